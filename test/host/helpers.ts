// Small helpers shared by the host tests: getting the extension's test API, polling, files in the
// test workspace.

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { appendFileSync } from 'node:fs';
import type { GradientLensApi } from '../../src/extension';
import type { SessionState } from '../../src/protocol';

export const EXTENSION_ID = 'gradient-lens.gradient-lens';

export async function api(): Promise<GradientLensApi> {
  const ext = vscode.extensions.getExtension<GradientLensApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed in this host`);
  return ext.activate();
}

export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the host tests need a workspace folder (a copy of examples/)');
  return folder.uri;
}

export function digitsUri(): vscode.Uri {
  return vscode.Uri.joinPath(workspaceRoot(), 'digits', 'digits.gradlens.json');
}

/**
 * No condition wait gives up sooner than this: on a loaded 2-core CI machine the extension host, its
 * worker and the workbench are many times slower than on a quiet one, and a deadline only bounds how
 * long a failing test takes (how fast things are belongs in the benchmark).
 */
export const MIN_DEADLINE_MS = 60_000;

/** Polls `get` until it returns a value other than undefined or false; fails after the deadline. */
/** `what` names the condition; a function is asked only at the deadline, so it can describe the state then. */
export async function waitFor<T>(get: () => T | undefined | false, timeoutMs: number, what: string | (() => string)): Promise<T> {
  const deadline = Math.max(timeoutMs, MIN_DEADLINE_MS);
  const end = Date.now() + deadline;
  for (;;) {
    const value = get();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end)
      throw new Error(`timed out after ${deadline} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Round trips to the training worker, one after another (each asks for its weights). The worker
 * answers between two training slices and its step reports arrive before its answer, so a run
 * that were still stepping would show new steps by the time these return: "nothing happened" is
 * proved by a condition, not by waiting some milliseconds.
 */
export async function workerRoundTrips(gl: GradientLensApi, n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await gl.session.weights();
}

/** Resolves when the session enters one of `states` (or already is in one); the time it took in ms (for notes). */
export async function waitForState(gl: GradientLensApi, states: SessionState[], timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  await waitFor(
    () => states.includes(gl.session.state),
    timeoutMs,
    `session state ${states.join(' or ')} (now ${gl.session.state})`,
  );
  return Date.now() - t0;
}

export function lastStep(gl: GradientLensApi): number {
  const history = gl.session.snapshot.history;
  return history.length ? history[history.length - 1].step : 0;
}

/** Makes sure nothing is training and the history is empty. */
export async function resetSession(): Promise<void> {
  await vscode.commands.executeCommand('gradientLens.reset');
}

/**
 * The digits example with many more epochs, beside it (so its data paths still resolve): for tests
 * that must catch a run while it is still going (the real example may finish in a second with WASM).
 */
export async function longRunUri(): Promise<vscode.Uri> {
  const uri = vscode.Uri.joinPath(workspaceRoot(), 'digits', 'long-run.gradlens.json');
  const text = Buffer.from(await vscode.workspace.fs.readFile(digitsUri())).toString('utf8');
  const long = text.replace(/"epochs"\s*:\s*\d+/, '"epochs": 1000');
  assert.notEqual(long, text, 'the digits example has no "epochs" field to lengthen');
  await vscode.workspace.fs.writeFile(uri, Buffer.from(long, 'utf8'));
  return uri;
}

/** A measured number for the log: into the mirrored reporter output when the harness collects it. */
export function note(line: string): void {
  const out = process.env.GRADIENT_LENS_TEST_OUTPUT;
  if (out) appendFileSync(out, `      ${line}\n`);
  else console.log(`      ${line}`);
}
