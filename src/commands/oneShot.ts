// What the one-shot commands (gradient check, repeat, compare, batch snapshot) share: the worker
// they run in, and a cancellable progress notification around the job whose failure becomes a
// message (never a stack trace) and whose cancellation is silent.

import * as vscode from 'vscode';
import type { JobWorker } from '../session/oneShotWorker';
import type { CommandContext } from './context';

/** The worker script and the heap limit the settings allow it. */
export function jobWorker(ctx: CommandContext): JobWorker {
  return { script: ctx.workerScript, heapMb: ctx.config.settings.workerMemoryMb };
}

/** The job's result; undefined when the user cancelled it or it failed (the failure is shown). */
export async function withCancellableProgress<T>(
  ctx: CommandContext,
  title: string,
  job: (progress: vscode.Progress<{ message?: string; increment?: number }>, token: vscode.CancellationToken) => Promise<T>,
): Promise<T | undefined> {
  try {
    return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, job);
  } catch (e) {
    if (e instanceof vscode.CancellationError) return undefined;
    void ctx.notify.show('error', e instanceof Error ? e.message : String(e));
    return undefined;
  }
}
