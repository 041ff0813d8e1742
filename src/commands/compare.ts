// Compare Batch Sizes: the same model and seed trained with each batch size of the setting
// gradientLens.compare.batchSizes (default 1, 32 and the full set) for the same number of examples,
// in its own worker, with a cancellable progress notification; the result goes to the panel.

import type { CompareResult } from '../protocol';
import type { CompareRateMode } from '../config';
import { runCompareWorker } from '../session/oneShotWorker';
import type { CommandContext } from './context';
import { plainText } from '../views/plainText';
import { oneShotCommand, jobWorker, modelSource, whole, withCancellableProgress } from './oneShot';

export type BatchSizeSetting = (number | 'full')[];

/** Options a caller (a test, another command) may pass instead of the settings. */
export interface CompareCommandOptions {
  batchSizes?: BatchSizeSetting;
  /** Examples each run sees (default: 3 epochs of the training set). */
  examples?: number;
  /** Which learning rate each batch size gets (default: the setting gradientLens.compare.learningRates). */
  rateMode?: CompareRateMode;
}

/** The setting's batch sizes, or a user-facing sentence saying what is wrong with them. */
export function readBatchSizes(value: unknown): BatchSizeSetting | string {
  const where = 'The setting gradientLens.compare.batchSizes';
  if (!Array.isArray(value)) return `${where} must be a list such as [1, 32, "full"].`;
  const sizes: BatchSizeSetting = [];
  for (const [i, m] of value.entries()) {
    if (m === 'full') sizes.push('full');
    else if (typeof m === 'number' && Number.isInteger(m) && m >= 1) sizes.push(m);
    else return `${where}[${i}] is ${JSON.stringify(m)}; use a whole number ≥ 1 or "full".`;
  }
  if (sizes.length < 2) return `${where} needs at least two batch sizes to compare.`;
  return sizes;
}

export function compareBatchSizes(ctx: CommandContext) {
  return oneShotCommand<CompareCommandOptions, CompareResult>(ctx, async ({ options, model, settings }) => {
    const sizes = readBatchSizes(options.batchSizes ?? settings.compareBatchSizes);
    if (typeof sizes === 'string') {
      void ctx.notify.show('error', sizes);
      return undefined;
    }
    const named = sizes.map((m) => (m === 'full' ? 'the full set' : `M = ${m}`)).join(', ');
    ctx.log.info(plainText(`compare batch sizes ${named} on ${model.file}`));
    const result = await withCancellableProgress(ctx, `Gradient Lens: comparing ${named} on ${model.file}`, (progress, token) => {
      let reported = 0;
      return runCompareWorker(
        jobWorker(ctx),
        {
          type: 'compare',
          ...modelSource(ctx, model),
          batchSizes: sizes,
          examples: whole(options.examples, 1),
          rateMode: options.rateMode ?? settings.compareLearningRates,
          useWasm: settings.useWasm,
        },
        token,
        (p) => {
          // withProgress takes increments: report the growth of the overall fraction done.
          const done = Math.min(100, (100 * (p.run + p.examplesSeen / Math.max(1, p.examplesTotal))) / Math.max(1, p.runs));
          if (done > reported) {
            progress.report({
              increment: done - reported,
              message: `run ${p.run + 1} of ${p.runs}: ${p.examplesSeen.toLocaleString('en-US')} of ${p.examplesTotal.toLocaleString('en-US')} examples`,
            });
            reported = done;
          }
        },
      );
    });
    if (!result) return undefined;
    ctx.session.setCompare(result);
    ctx.panel.show(true);
    void ctx.notify.show('info', `batch sizes compared on ${model.file}. ${result.summary}`);
    return result;
  });
}
