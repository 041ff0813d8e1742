// Run Gradient Check: the float64 finite-difference check of every parameterised layer, in its own
// worker, with a cancellable progress notification; the result goes to the panel and a message.

import type { GradCheckResult } from '../engine/types';
import { runJobWorker } from '../session/oneShotWorker';
import type { CommandContext } from './context';
import { pickPreparedModel } from './modelFile';
import { jobWorker, modelSource, withCancellableProgress } from './oneShot';

export function gradientCheck(ctx: CommandContext) {
  return async (arg?: unknown): Promise<GradCheckResult | undefined> => {
    const model = await pickPreparedModel(ctx, arg);
    if (!model) return undefined;
    const result = await withCancellableProgress(
      ctx,
      `Gradient Lens: checking the gradients of ${model.file} (float64)…`,
      (_progress, token) =>
        runJobWorker(jobWorker(ctx), { type: 'gradCheck', ...modelSource(ctx, model) }, token).then((a) => a.result),
    );
    if (!result) return undefined;
    ctx.session.setGradCheck(result);
    ctx.panel.show(true);
    const worst = Math.max(...result.layers.map((l) => l.maxRelativeError), 0);
    if (result.passed) {
      void ctx.notify.show(
        'info',
        `gradient check passed for ${model.file}: back-propagation matches central finite differences in every layer ` +
          `(largest relative error ${worst.toExponential(1)}, tolerance ${result.tolerance.toExponential(0)}).`,
      );
    } else {
      const failing = result.layers.filter((l) => !l.passed).map((l) => `${l.name} (${l.maxRelativeError.toExponential(1)})`);
      void ctx.notify.show(
        'warning',
        `gradient check FAILED for ${model.file}: ${failing.join(', ')} exceed the tolerance ${result.tolerance.toExponential(0)}.`,
      );
    }
    return result;
  };
}
