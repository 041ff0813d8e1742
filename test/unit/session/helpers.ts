// Shared fixtures of the session tests.
import { Rng } from '../../../src/engine/random';
import type { Dataset } from '../../../src/data/dataset';

/** A small seeded tabular dataset with class-dependent means, so the loss can fall. */
export function dataset(count: number, features: number, classes: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const x = new Float32Array(count * features);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    y[i] = i % classes;
    for (let f = 0; f < features; f++) x[i * features + f] = rng.next() * 0.5 + (f % classes === y[i] ? 0.5 : 0);
  }
  return { name: 'generated', inputShape: [features], numClasses: classes, count, x, y };
}
