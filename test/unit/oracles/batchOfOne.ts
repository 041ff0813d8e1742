// The engine's gradient a second way: a fresh network at given weights over exactly the chosen
// examples (one of them for gᵢ, all of them for the batch gradient), read from its gradient buffers
// after an ordinary forward and backward pass. Nothing of the run under test is reused but its weights.

import { Trainer, referenceBackend, type NamedTensor } from '../../../src/engine';
import type { Dataset } from '../../../src/data/dataset';
import type { ModelSpec } from '../../../src/model/spec';
import type { ParamSelection } from '../../../src/protocol';
import { optimizer } from './reference';

/** The examples `indices` of `d`, in that order, as a dataset of their own. */
export function subset(d: Dataset, indices: number[]): Dataset {
  const size = d.inputShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(indices.length * size);
  indices.forEach((k, i) => x.set(d.x.subarray(k * size, (k + 1) * size), i * size));
  return { ...d, count: indices.length, x, y: Int32Array.from(indices, (k) => d.y[k]) };
}

/** ∂(mean loss over `indices`)/∂θ at `weights` for the selected entry, by a fresh float64 network (γ = 0: nothing moves). */
export function engineGradient(
  spec: ModelSpec,
  train: Dataset,
  weights: NamedTensor[],
  indices: number[],
  sel: ParamSelection,
): number {
  const fresh: ModelSpec = {
    ...spec,
    dtype: 'float64',
    batchSize: indices.length,
    epochs: 1,
    optimizer: optimizer({ learningRate: 0 }),
    data: { ...spec.data, validationSplit: 0 },
  };
  const t = new Trainer({
    spec: fresh,
    train: subset(train, indices),
    validation: null,
    backend: referenceBackend('float64'),
    stats: 'none',
  });
  t.setWeights(weights);
  t.trainStep();
  return t.gradient(sel.layer, sel.kind)[sel.index];
}

/** gᵢ of the selected entry for each example of the batch, each from its own batch-of-one network. */
export function batchOfOneGradients(
  spec: ModelSpec,
  train: Dataset,
  weights: NamedTensor[],
  indices: number[],
  sel: ParamSelection,
): number[] {
  return indices.map((k) => engineGradient(spec, train, weights, [k], sel));
}
