// Drives the real `node dist/cli.js dap` over stdio with @vscode/debugadapter-testsupport's
// DebugClient. dist is rebuilt first when any source is newer than dist/cli.js.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';

export const root = path.resolve(__dirname, '../../..');
export const cli = path.join(root, 'dist/cli.js');
export const digits = path.join(root, 'examples/digits/digits.gradlens.json');

function newest(dir: string): number {
  return readdirSync(dir).reduce((t, name) => {
    const full = path.join(dir, name);
    const s = statSync(full);
    return Math.max(t, s.isDirectory() ? newest(full) : s.mtimeMs);
  }, 0);
}

export function ensureBuilt(): void {
  if (!existsSync(cli) || statSync(cli).mtimeMs < newest(path.join(root, 'src'))) {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'ignore' });
  }
}

/** 1-based line of the first line of `file` containing `needle`. */
export function lineOf(file: string, needle: string): number {
  const i = readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`${needle} not in ${file}`);
  return i + 1;
}

export async function startClient(): Promise<DebugClient> {
  // DebugClient spawns `runtime executable`; the shell form passes the `dap` subcommand along.
  const dc = new DebugClient(process.execPath, `"${cli}" dap`, 'gradient-lens', { shell: true, cwd: root });
  // A failure deadline only (the machine is shared): every wait is for a DAP event.
  dc.defaultTimeout = 120_000;
  await dc.start();
  return dc;
}

export interface Launch {
  model: string;
  stopOnEntry?: boolean;
  epochs?: number;
  batchSize?: number;
  workspace?: string;
}

/** initialize → breakpoints/exception filters → configurationDone → launch; resolves on the launch response. */
export async function launch(
  dc: DebugClient,
  args: Launch,
  breakpoints: DebugProtocol.SourceBreakpoint[] = [],
  filters: string[] = [],
): Promise<DebugProtocol.SetBreakpointsResponse> {
  await dc.initializeRequest({ adapterID: 'gradient-lens', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  const bps = await dc.setBreakpointsRequest({ source: { path: args.model }, breakpoints });
  await dc.setExceptionBreakpointsRequest({ filters });
  await dc.configurationDoneRequest();
  await dc.launchRequest({ workspace: root, ...args } as DebugProtocol.LaunchRequestArguments);
  return bps;
}

export async function topFrame(dc: DebugClient): Promise<DebugProtocol.StackFrame[]> {
  return (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
}

export async function evaluate(
  dc: DebugClient,
  expression: string,
  context = 'repl',
): Promise<DebugProtocol.EvaluateResponse['body']> {
  return (await dc.evaluateRequest({ expression, frameId: 1, context })).body;
}
