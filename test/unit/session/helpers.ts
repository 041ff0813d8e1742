// Shared fixtures of the session tests.
import { Rng } from '../../../src/engine/random';
import type { Dataset } from '../../../src/data/dataset';
import type { ModelSpec } from '../../../src/model/spec';

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

/** A small MLP over `dataset(…, 12 features, 4 classes)`: the worker-loop and run tests change only what they test. */
export function loopSpec(overrides: Partial<ModelSpec> = {}): ModelSpec {
  return {
    name: 'loop',
    seed: 3,
    dtype: 'float32',
    data: { source: 'generated.csv', validationSplit: 0.25 },
    layers: [
      { type: 'dense', units: 16, activation: 'relu' },
      { type: 'dense', units: 4, activation: 'linear' },
    ],
    loss: 'cross-entropy',
    optimizer: {
      type: 'sgd',
      learningRate: 0.1,
      momentum: 0.9,
      nesterov: false,
      weightDecay: 0,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
    },
    batchSize: 8,
    epochs: 3,
    ...overrides,
  };
}
