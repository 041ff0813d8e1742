// Step Through Batch: replays one batch example by example (each example's own forward and backward
// pass, the running sum and average of gᵢ, then the single update) for the selected parameter.
// With a run: its latest batch at its current weights. Without one: the model file's run is started
// paused, and its first batch is replayed at the initial weights (Step then makes that update).

import * as vscode from 'vscode';
import type { WalkthroughResult } from '../protocol';
import { RunCancelled } from '../session/session';
import type { CommandContext } from './context';
import { pickPreparedModel } from './modelFile';

export function stepThroughBatch(ctx: CommandContext) {
  return async (arg?: unknown): Promise<WalkthroughResult | undefined> => {
    if (!(await ensureRun(ctx, arg))) return undefined;
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: 'Gradient Lens: stepping through the batch' },
        () => ctx.session.walkThrough(),
      );
      ctx.panel.show(true);
      return result;
    } catch (e) {
      void ctx.notify.show('error', e instanceof Error ? e.message : String(e));
      return undefined;
    }
  };
}

/** A run whose worker can answer (the current one, else the model file's run started paused). False when none could start. */
export async function ensureRun(ctx: CommandContext, arg: unknown): Promise<boolean> {
  if (ctx.session.canWalkThrough) return true;
  const model = await pickPreparedModel(ctx, arg);
  if (!model) return false;
  ctx.panel.show(true);
  try {
    await ctx.session.start({ ...model, stepOnly: false, paused: true });
    return true;
  } catch (e) {
    if (!(e instanceof RunCancelled)) void ctx.notify.show('error', e instanceof Error ? e.message : String(e));
    return false;
  }
}
