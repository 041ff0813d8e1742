// The model specs the unit tests build on: one optimizer and one spec builder, each with the
// tests' defaults (plain SGD at 0.1, a float64 model over in-memory data), so a test writes out only
// what it is about. The optimizer's remaining fields come from the model file's own defaults.

import { optimizerSpec } from '../../src/model/buildSpec';
import type { LayerSpec, ModelSpec, OptimizerSpec } from '../../src/model/spec';

export function optimizer(over: Partial<OptimizerSpec> = {}): OptimizerSpec {
  return optimizerSpec({ type: 'sgd', learningRate: 0.1, ...over });
}

export function makeSpec(layers: LayerSpec[], over: Partial<ModelSpec> = {}): ModelSpec {
  return {
    name: 'test',
    seed: 7,
    dtype: 'float64',
    data: { source: 'test', validationSplit: 0 },
    layers,
    loss: 'cross-entropy',
    optimizer: optimizer(),
    batchSize: 4,
    epochs: 1,
    ...over,
  };
}
