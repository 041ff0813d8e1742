// `npm run bench:stats`: only what the per-step statistics cost over a bare step (statsCost.ts), for
// the MLP and the CNN of `npm run bench` on one and two threads, with the same data, weights and
// relaxed-SIMD setting. Prints one JSON object on stdout; progress on stderr. Environment:
// BENCH_BUDGET=seconds per measurement (default 1.5), STATS_MODELS=mlp,cnn (which to measure).

import * as os from 'node:os';
import * as path from 'node:path';
import { referenceBackend } from '../src/engine';
import { createWasmBackend, createWasmBackendSync } from '../src/engine/wasm/backend';
import { nodeSpawnHelper } from '../src/engine-host/spawnHelper';
import { loadBenchData } from './data';
import { benchSpec, CNN_LAYERS, MLP_LAYERS, startingPoint } from './ours';
import { switchOnRelaxedSimd } from './relaxedSimd';
import { measureStatsCost, type StatsCost } from './statsCost';

async function main(): Promise<void> {
  const relaxedSimd = switchOnRelaxedSimd();
  const budget = Number(process.env.BENCH_BUDGET ?? 1.5);
  const models = (process.env.STATS_MODELS ?? 'mlp,cnn').split(',');
  const data = await loadBenchData(path.resolve(__dirname, '..'));
  const results: StatsCost[] = [];
  for (const model of models) {
    const layers = model === 'cnn' ? CNN_LAYERS : MLP_LAYERS;
    const spec = benchSpec(`bench-${model}`, layers, data);
    const start = startingPoint(spec, data, referenceBackend('float32'));
    results.push(measureStatsCost(model, spec, data, () => createWasmBackendSync(), start.weights, budget));
    // two threads: each trainer's backend made (and its helper running) before the timing starts;
    // also with the Gram statistics kept on the calling thread (what running them on the helper gains)
    for (const deferStats of [true, false]) {
      const pool = await Promise.all([0, 1].map(() => createWasmBackend({ spawnHelper: nodeSpawnHelper, deferStats })));
      const two = pool.slice();
      const cost = measureStatsCost(model, spec, data, () => two.pop()!, start.weights, budget);
      results.push({ ...cost, model: deferStats ? model : `${model}, Gram statistics on the calling thread` });
      for (const b of pool) b.close();
    }
  }
  const out = { relaxedSimd, cpus: os.cpus().length, loadAverage1m: os.loadavg()[0], statsCost: results };
  console.log(JSON.stringify(out, null, 2));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
