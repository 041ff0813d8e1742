// The full-batch case: all 10,000 built-in digits in ONE batch through 784-512-10, one training
// step at a time on the reference backend and on WASM (whose memory grows to fit, and whose weight
// gradients over the batch are summed in slices). Reported: each backend's step time (the better of
// STEPS steps: the first includes compilation), the first-step losses (they must agree), and how
// much WASM memory the run took.

import * as path from 'node:path';
import { Trainer, referenceBackend, type Backend } from '../src/engine';
import { createWasmBackendSync } from '../src/engine/wasm/backend';
import { loadBuiltinDigits } from '../src/data/builtin';
import type { ModelSpec } from '../src/model/spec';
import { benchSpec } from './ours';
import { log, round } from './timing';

const STEPS = 2;
const UNITS = 512;

export interface BigBatchResult {
  model: string;
  batchSize: number;
  reference: { stepMs: number; firstStepLoss: number };
  wasm: { stepMs: number; firstStepLoss: number; memoryBytes: number; memoryGrows: number };
  wasmOverReference: number;
  lossAbsDiff: number;
}

function timeSteps(spec: ModelSpec, backend: Backend, data: Awaited<ReturnType<typeof loadBuiltinDigits>>) {
  const train = { name: 'digits', inputShape: [1, 28, 28], numClasses: 10, count: data.count, x: data.x, y: data.y };
  const t = new Trainer({ spec, train, validation: null, backend });
  let best = Infinity,
    firstStepLoss = NaN;
  for (let s = 0; s < STEPS; s++) {
    const t0 = performance.now();
    const stats = t.trainStep();
    best = Math.min(best, performance.now() - t0);
    if (s === 0) firstStepLoss = stats.loss;
  }
  return { stepMs: round(best, 4), firstStepLoss };
}

export async function runBigBatch(root: string): Promise<BigBatchResult> {
  const digits = await loadBuiltinDigits(path.join(root, 'media'));
  const layers = [
    { type: 'dense' as const, units: UNITS, activation: 'relu' as const },
    { type: 'dense' as const, units: 10, activation: 'linear' as const },
  ];
  const spec: ModelSpec = {
    ...benchSpec('bench-full-batch', layers, { count: digits.count, batchSize: digits.count, learningRate: 0.05 }),
    epochs: STEPS,
  };
  log(`ours full batch (${digits.count}) 784-${UNITS}-10 on reference-float32`);
  const reference = timeSteps(spec, referenceBackend('float32'), digits);
  log(`ours full batch (${digits.count}) 784-${UNITS}-10 on wasm-simd`);
  const backend = createWasmBackendSync();
  const fast = timeSteps(spec, backend, digits);
  const info = backend.memoryInfo();
  return {
    model: `784-${UNITS} relu-10, cross-entropy, SGD, stats 'full'`,
    batchSize: digits.count,
    reference,
    wasm: { ...fast, memoryBytes: info.reservedBytes, memoryGrows: info.grows },
    wasmOverReference: round(reference.stepMs / fast.stepMs, 3),
    lossAbsDiff: Math.abs(reference.firstStepLoss - fast.firstStepLoss),
  };
}
