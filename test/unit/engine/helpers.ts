// Shared builders for engine tests: specs with sensible defaults and small random datasets.

import type { Dataset } from '../../../src/data/dataset';
import type { Activation, LayerSpec } from '../../../src/model/spec';
import { Rng } from '../../../src/engine/random';
import type { Backend } from '../../../src/engine/backend';
import { referenceBackend } from '../../../src/engine/reference';

export { optimizer, makeSpec } from '../specs';

export function randomDataset(seed: number, count: number, inputShape: number[], numClasses: number): Dataset {
  const rng = new Rng(seed);
  const size = inputShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(count * size);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) y[i] = rng.int(numClasses);
  return { name: 'random', inputShape, numClasses, count, x, y };
}

export const dense = (units: number, activation: Activation = 'linear'): LayerSpec => ({ type: 'dense', units, activation });

export const conv = (
  filters: number,
  kernelSize: number,
  stride: number,
  padding: 'same' | 'valid',
  activation: Activation = 'linear',
): LayerSpec => ({ type: 'conv2d', filters, kernelSize, stride, padding, activation });

/** |a − b| / max(|a|, |b|, tiny): for comparing two computations of the same quantity. */
export function relDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-300);
}

export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>, scale?: number): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let s = scale ?? 0;
  if (scale === undefined) for (let i = 0; i < a.length; i++) s = Math.max(s, Math.abs(a[i]), Math.abs(b[i]));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(s, 1e-300));
  return worst;
}

/** The reference backend, counting every element it allocates (what a run really takes, for the memory estimate's tests). */
export function countingBackend(dtype: 'float32' | 'float64'): { backend: Backend; elements: () => number } {
  const inner = referenceBackend(dtype);
  let total = 0;
  const backend = {
    ...inner,
    alloc: (n: number) => {
      total += n;
      return inner.alloc(n);
    },
  } as Backend;
  return { backend, elements: () => total };
}
