// Repeat One Example: update on one training example again and again (until its loss is under
// 1 % of its start, at most gradientLens.repeat.times updates) beside normal shuffled training,
// in its own worker with a cancellable progress notification; the result goes to the panel.

import type { RepeatResult } from '../protocol';
import { runJobWorker } from '../session/oneShotWorker';
import type { CommandContext } from './context';
import { oneShotCommand, jobWorker, modelSource, whole, withCancellableProgress } from './oneShot';

/** Options a caller (a test, another command) may pass. */
export interface RepeatCommandOptions {
  example?: number;
  times?: number;
}

export function repeatOneExample(ctx: CommandContext) {
  return oneShotCommand<RepeatCommandOptions, RepeatResult>(ctx, async ({ options, model, settings }) => {
    ctx.log.info(`repeat one example on ${model.file}`);
    const result = await withCancellableProgress(
      ctx,
      `Gradient Lens: repeating one example of ${model.file}`,
      (_progress, token) =>
        runJobWorker(
          jobWorker(ctx),
          {
            type: 'repeat',
            ...modelSource(ctx, model),
            useWasm: settings.useWasm,
            example: whole(options.example, 0),
            times: whole(options.times, 1) ?? settings.repeatTimes,
          },
          token,
        ).then((a) => a.result),
    );
    if (!result) return undefined;
    ctx.session.setRepeat(result);
    ctx.panel.show(true);
    void ctx.notify.show(
      'info',
      `repeated example #${result.example.index} of ${model.file} ${result.updates} times. ${result.conclusion.split('. ')[0]}.`,
    );
    return result;
  });
}
