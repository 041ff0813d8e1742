// `gradient-lens compare`: the same model trained with several batch sizes for the same number of
// examples seen, each with a fair learning rate (a short sweep by default); a table and a summary
// in plain words (the panel's "Compare batch sizes").

import { compareBatchSizes, type CompareRun, type RateMode } from '../engine/compare';
import { BadInput, CommonOptions, EXIT_OK, backendFactory, loadModel } from './common';
import { ProgressBar } from './progress';

const MODES: RateMode[] = ['sweep', 'file', 'linear'];

export async function runCompare(opts: CommonOptions & { batchSizes?: string; rates?: string; json: boolean }): Promise<number> {
  const model = await loadModel(opts);
  const sizes = (opts.batchSizes ?? '1,32,full')
    .split(',')
    .map((s) => s.trim())
    .map((s) => {
      if (s === 'full') return 'full' as const;
      const n = Number(s);
      if (!Number.isInteger(n) || n < 1) throw new BadInput(`--batch-sizes: expected positive integers or "full", got "${s}"`);
      return n;
    });
  const rateMode = (opts.rates ?? 'sweep') as RateMode;
  if (!MODES.includes(rateMode)) throw new BadInput(`--rates: expected one of ${MODES.join(', ')}, got "${opts.rates}"`);
  const examples = 3 * model.train.count;
  const bar = new ProgressBar(sizes.length * examples);
  const result = compareBatchSizes({
    spec: model.spec,
    train: model.train,
    validation: model.validation,
    batchSizes: sizes,
    examples,
    rateMode,
    backendFactory: backendFactory(opts),
    onProgress: (run, seen) => bar.update(run * examples + seen, `batch size ${sizes[run]}: ${seen}/${examples} examples`),
  });
  bar.finish();
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return EXIT_OK;
  }
  const out = process.stdout;
  const cols: [string, (r: CompareRun) => string][] = [
    ['batch size', (r) => String(r.batchSize)],
    ['learning rate', (r) => String(r.learningRate)],
    ['updates', (r) => String(r.steps)],
    [
      'examples/s',
      (r) => (Number.isFinite(r.examplesPerSecond) ? Math.round(r.examplesPerSecond).toLocaleString('en-US') : 'n/a'),
    ],
    ['activation memory', (r) => `${(r.activationBytes / 1024).toFixed(0)} KB`],
    ['validation loss', (r) => (r.validation ? r.validation.loss.toFixed(4) : 'n/a')],
    ['validation accuracy', (r) => (r.validation ? `${(100 * r.validation.accuracy).toFixed(1)} %` : 'n/a')],
    ['step-to-step σ', (r) => (r.stepLossSigma !== null ? r.stepLossSigma.toFixed(4) : 'n/a')],
    ['noise scale', (r) => (r.noiseScale !== null ? r.noiseScale.toFixed(1) : 'n/a')],
  ];
  const cells = result.runs.map((r) => cols.map(([, f]) => f(r)));
  const widths = cols.map(([h], i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  out.write(`${cols.map(([h], i) => h.padStart(widths[i])).join('  ')}\n`);
  for (const c of cells) out.write(`${c.map((v, i) => v.padStart(widths[i])).join('  ')}\n`);
  const reasons = result.runs.flatMap((r) =>
    Object.entries(r.notApplicable).map(([k, why]) => `n/a: ${k} of M = ${r.batchSize}: ${why}`),
  );
  if (reasons.length) out.write(`${[...new Set(reasons)].join('\n')}\n`);
  out.write(`\n${result.summary}\n(${result.seconds.toFixed(1)} s in all, learning-rate sweep included)\n`);
  return EXIT_OK;
}
