// Train and Step One Batch. Both validate the model file first; Train on a running session asks
// (modal) before restarting; Step with nothing running starts the run paused and does one batch.

import * as vscode from 'vscode';
import type { DeepReadonly, RunInfo } from '../protocol';
import { RunCancelled } from '../session/session';
import type { CommandContext } from './context';
import { pickPreparedModel, type PreparedModel } from './modelFile';
import { plainText } from '../views/plainText';

export function train(ctx: CommandContext) {
  return async (arg?: unknown): Promise<DeepReadonly<RunInfo> | undefined> => {
    const model = await pickPreparedModel(ctx, arg);
    if (!model) return undefined;
    if (ctx.session.isActive) {
      const current = ctx.session.modelUri ? vscode.workspace.asRelativePath(ctx.session.modelUri) : 'a model';
      const step = ctx.session.snapshot.status.step;
      const restart = 'Restart';
      const question =
        current === model.file
          ? `Gradient Lens is already training ${current} (step ${step}). Stop it and train it again from the start?`
          : `Gradient Lens is training ${current} (step ${step}). Stop it and train ${model.file} from the start?`;
      const choice = await vscode.window.showWarningMessage(question, { modal: true }, restart);
      if (choice !== restart) return undefined;
    }
    return start(ctx, model, false);
  };
}

export function step(ctx: CommandContext) {
  return async (arg?: unknown): Promise<DeepReadonly<RunInfo> | undefined> => {
    if (ctx.session.isActive) {
      ctx.session.step();
      return ctx.session.snapshot.run ?? undefined;
    }
    const model = await pickPreparedModel(ctx, arg);
    return model ? start(ctx, model, true) : undefined;
  };
}

/** How long a run waits for the panel's page to load, so the panel shows it from its first step. */
const PANEL_READY_MS = 5000;

async function start(ctx: CommandContext, model: PreparedModel, stepOnly: boolean): Promise<DeepReadonly<RunInfo> | undefined> {
  ctx.panel.show(true);
  const gate = ctx.panel.whenReady(PANEL_READY_MS);
  ctx.log.info(plainText(`train ${model.file}${stepOnly ? ' (one step)' : ''}`));
  // The run is loading from this moment on, before any await: a Train arriving meanwhile (the
  // CodeLens, the panel, the palette) sees an active run and asks before restarting it.
  const started = ctx.session.start({ ...model, stepOnly, gate });
  started.catch(() => undefined); // answered below; never an unhandled rejection meanwhile
  try {
    const run = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Gradient Lens: loading data for ${model.file}…`,
        cancellable: true,
      },
      (_progress, token) => {
        token.onCancellationRequested(() => void ctx.session.stop());
        return started;
      },
    );
    // Data that loads but cannot teach much (one class, classes without examples, skipped files) is said, not hidden.
    for (const warning of run.dataWarnings ?? []) void ctx.notify.show('warning', plainText(`${model.file}: ${warning}`));
    return run;
  } catch (e) {
    if (e instanceof RunCancelled) return undefined;
    const message = e instanceof Error ? e.message : String(e);
    if (ctx.session.state !== 'stopped') void ctx.notify.show('error', message);
    else ctx.log.info(plainText(message));
    return undefined;
  }
}
