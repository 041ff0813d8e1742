// Repeat One Example: update on one training example again and again (until its loss is under
// 1 % of its start, at most gradientLens.repeat.times updates) beside normal shuffled training,
// in its own worker with a cancellable progress notification; the result goes to the panel.

import * as vscode from 'vscode';
import type { RepeatResult } from '../protocol';
import { runRepeatWorker } from '../session/oneShotWorker';
import type { CommandContext } from './context';
import { pickPreparedModel } from './modelFile';
import { jobWorker, withCancellableProgress } from './oneShot';

/** Options a caller (a test, another command) may pass. */
export interface RepeatCommandOptions {
  example?: number;
  times?: number;
}

export function repeatOneExample(ctx: CommandContext) {
  return async (arg?: unknown, rawOptions?: unknown): Promise<RepeatResult | undefined> => {
    const options: RepeatCommandOptions =
      rawOptions && typeof rawOptions === 'object' ? (rawOptions as RepeatCommandOptions) : {};
    const model = await pickPreparedModel(ctx, arg);
    if (!model) return undefined;
    const config = vscode.workspace.getConfiguration('gradientLens');
    const whole = (x: unknown, min: number): number | undefined =>
      Number.isInteger(x) && (x as number) >= min ? (x as number) : undefined;
    ctx.log.info(`repeat one example on ${model.file}`);
    const result = await withCancellableProgress(
      ctx,
      `Gradient Lens: repeating one example of ${model.file}`,
      (_progress, token) =>
        runRepeatWorker(
          jobWorker(ctx),
          {
            type: 'repeat',
            spec: model.spec,
            dataPath: model.dataPath,
            labelsPath: model.labelsPath,
            mediaDir: ctx.mediaDir,
            file: model.file,
            useWasm: config.get<boolean>('useWasm', true),
            example: whole(options.example, 0),
            times: whole(options.times, 1),
          },
          token,
        ),
    );
    if (!result) return undefined;
    ctx.session.setRepeat(result);
    ctx.panel.show(true);
    void ctx.notify.show(
      'info',
      `repeated example #${result.example.index} of ${model.file} ${result.updates} times. ${result.conclusion.split('. ')[0]}.`,
    );
    return result;
  };
}
