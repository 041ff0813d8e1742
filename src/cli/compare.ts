// `gradient-lens compare`: the same model trained with several batch sizes for the same number of
// examples seen; a table and a summary in plain words (the panel's "Compare batch sizes").

import { compareBatchSizes } from '../engine/compare';
import { chooseBackendSync } from '../engine/chooseBackend';
import { BadInput, CommonOptions, EXIT_OK, loadModel } from './common';
import { ProgressBar } from './progress';

export async function runCompare(opts: CommonOptions & { batchSizes?: string; json: boolean }): Promise<number> {
  const model = await loadModel(opts);
  const sizes = (opts.batchSizes ?? '1,32,full').split(',').map((s) => s.trim()).map((s) => {
    if (s === 'full') return 'full' as const;
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) throw new BadInput(`--batch-sizes: expected positive integers or "full", got "${s}"`);
    return n;
  });
  const examples = 3 * model.train.count;
  const bar = new ProgressBar(sizes.length * examples);
  const result = compareBatchSizes({
    spec: model.spec, train: model.train, batchSizes: sizes, examples,
    backendFactory: (spec) => chooseBackendSync(spec, { useWasm: opts.wasm }).backend,
    onProgress: (run, seen) => bar.update(run * examples + seen, `batch size ${sizes[run]}: ${seen}/${examples} examples`),
  });
  bar.finish();
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return EXIT_OK;
  }
  const out = process.stdout;
  out.write(`batch size  updates  step-to-step σ  noise scale  final loss  seconds\n`);
  for (const r of result.runs) {
    const last = r.points[r.points.length - 1];
    out.write(`${String(r.batchSize).padStart(10)}  ${String(r.steps).padStart(7)}  ${Math.sqrt(r.stepLossVariance).toFixed(4).padStart(14)}  ${(Number.isFinite(r.noiseScale) ? r.noiseScale.toFixed(1) : '–').padStart(11)}  ${last.loss.toFixed(4).padStart(10)}  ${last.time.toFixed(2).padStart(7)}\n`);
  }
  out.write(`\n${result.summary}\n`);
  return EXIT_OK;
}
