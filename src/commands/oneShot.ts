// What the one-shot commands (gradient check, repeat, compare, batch snapshot) share: the worker
// they run in, and a cancellable progress notification around the job whose failure becomes a
// message (never a stack trace) and whose cancellation is silent.

import * as vscode from 'vscode';
import type { JobWorker } from '../session/oneShotWorker';
import type { CommandContext } from './context';
import type { ModelSource } from '../protocol';
import type { Settings } from '../config';
import { pickPreparedModel, type PreparedModel } from './modelFile';

/** The worker script and the heap limit the settings allow it. */
export function jobWorker(ctx: CommandContext): JobWorker {
  const { workerMemoryMb, engineThreads } = ctx.config.settings;
  return { script: ctx.workerScript, heapMb: workerMemoryMb, engineThreads };
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

/** What a job worker needs to find the model's data. */
export function modelSource(ctx: CommandContext, model: PreparedModel): ModelSource {
  return {
    spec: model.spec,
    dataPath: model.dataPath,
    labelsPath: model.labelsPath,
    mediaDir: ctx.mediaDir,
    file: model.file,
    workspaceRoot: model.workspaceRoot,
  };
}

/** A whole number ≥ min, else undefined (a caller's option that is not one is ignored). */
export function whole(x: unknown, min: number): number | undefined {
  return Number.isInteger(x) && (x as number) >= min ? (x as number) : undefined;
}

/**
 * A one-shot command over a model file: the options a caller (a test, another command) passed as the
 * second argument, the model file, validated, and the settings now; `body` runs only when the file
 * can run.
 */
export function oneShotCommand<O extends object, R>(
  ctx: CommandContext,
  body: (inputs: { options: Partial<O>; model: PreparedModel; settings: Settings }) => Promise<R | undefined>,
): (arg?: unknown, rawOptions?: unknown) => Promise<R | undefined> {
  return async (arg, rawOptions) => {
    const options = (rawOptions && typeof rawOptions === 'object' ? rawOptions : {}) as Partial<O>;
    const model = await pickPreparedModel(ctx, arg);
    return model ? body({ options, model, settings: ctx.config.settings }) : undefined;
  };
}
