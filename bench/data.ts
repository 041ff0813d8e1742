// The benchmark data: the first 1000 real MNIST digits shipped as media/digits.bin (built by
// scripts/build-digits.mjs, loaded through src/data). 28×28 inputs, digit labels 0..9, but the
// networks have 26 outputs as for EMNIST letters: EMNIST itself is not available offline, and the
// cost of a step does not depend on which 10 of the 26 classes occur.

import * as path from 'node:path';
import type { Dataset } from '../src/data/dataset';
import { loadBuiltinDigits } from '../src/data/builtin';

export interface BenchData {
  source: string;
  count: number;
  features: number;
  numClasses: number;
  batchSize: number;
  learningRate: number;
  x: Float32Array;
  y: Int32Array;
}

export const BENCH = { count: 1000, numClasses: 26, batchSize: 32, learningRate: 0.05 } as const;

export async function loadBenchData(root: string): Promise<BenchData> {
  const digits = await loadBuiltinDigits(path.join(root, 'media'));
  const features = 28 * 28;
  if (digits.count < BENCH.count) throw new Error(`media/digits.bin has ${digits.count} digits, the bench needs ${BENCH.count}`);
  return {
    source: `${digits.name}: first ${BENCH.count} of ${digits.count} real 28×28 digits (labels 0..9, 26 output units)`,
    count: BENCH.count,
    features,
    numClasses: BENCH.numClasses,
    batchSize: BENCH.batchSize,
    learningRate: BENCH.learningRate,
    x: digits.x.slice(0, BENCH.count * features),
    y: digits.y.slice(0, BENCH.count),
  };
}

/** The engine's view of the bench data. */
export function asDataset(d: BenchData): Dataset {
  return { name: 'bench-digits', inputShape: [1, 28, 28], numClasses: d.numClasses, count: d.count, x: d.x, y: d.y };
}
