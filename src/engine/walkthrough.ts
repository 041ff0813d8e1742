// Step through one batch, example by example. Each example gets its OWN forward and backward pass
// (a one-example run at the current weights), so gᵢ = ∇Lᵢ is computed exactly as back-propagation
// computes it; the gradients are added to a running sum and average; and at the end the batch
// makes its single update θ ← θ − γ·(1/M)·Σᵢ gᵢ. One ordinary batch backward pass over the same
// examples is run too, to show that its gradient is that same mean. Nothing here changes the
// weights of the run being watched: it is a faithful replay on a copy.

import type { Dataset } from '../data/dataset';
import type { ModelSpec } from '../model/spec';
import type { Backend } from './backend';
import { Trainer, type NamedTensor } from './trainer';
import { referenceBackend } from './reference';

/** One scalar parameter: entry `index` (flat, row-major) of layers[layer].weight or .bias. */
export interface ScalarParam {
  layer: number;
  kind: 'weight' | 'bias';
  index: number;
}

export interface WalkthroughExample {
  /** Index into the training set. */
  index: number;
  label: number;
  prediction: number;
  /** Lᵢ, from this example's own forward pass. */
  loss: number;
  /** ∂Lᵢ/∂θ for the selected parameter, from this example's own backward pass. */
  gradient: number;
  /** Σ of the gradients so far (examples 1..i) and their average. */
  runningSum: number;
  runningMean: number;
  /** ‖gᵢ‖ per parameterised layer, from this example's own backward pass. */
  layerNorms: { layer: number; norm: number }[];
  image: number[] | null;
}

export interface WalkthroughResult {
  selection: ScalarParam;
  paramName: string;
  learningRate: number;
  /** θ now, and θ − γ·(1/M)·Σᵢ gᵢ: the one update the batch makes (plain SGD, shown, not applied). */
  before: number;
  after: number;
  examples: WalkthroughExample[];
  /** The same parameter's gradient from one ordinary batch backward pass: equals the mean. */
  batchGradient: number;
  imageShape: [number, number] | null;
}

export interface WalkthroughOptions {
  spec: ModelSpec;
  train: Dataset;
  /** The examples of the batch (training-set indices). */
  indices: number[];
  /** The weights to replay at (Trainer.getWeights() of the run). */
  weights: NamedTensor[];
  selection: ScalarParam;
  backendFactory?: (spec: ModelSpec) => Backend;
}

export function walkThroughBatch(o: WalkthroughOptions): WalkthroughResult {
  if (o.indices.length === 0) throw new Error('The batch is empty.');
  const make = (indices: number[]): Trainer => {
    const data = subset(o.train, indices);
    const spec: ModelSpec = {
      ...o.spec,
      batchSize: indices.length,
      epochs: 1,
      // Plain SGD for the replay: the lesson is θ ← θ − γ·mean.
      optimizer: { ...o.spec.optimizer, type: 'sgd', momentum: 0, nesterov: false, weightDecay: 0 },
      data: { ...o.spec.data, validationSplit: 0 },
    };
    const t = new Trainer({ spec, train: data, validation: null, backend: o.backendFactory?.(spec) ?? referenceBackend(spec.dtype), stats: 'norms' });
    t.setWeights(o.weights);
    return t;
  };
  const { layer, kind, index } = o.selection;
  const param = o.weights.find((w) => w.layer === layer && w.kind === kind);
  if (!param) throw new Error(`layers[${layer}] has no ${kind}.`);
  if (index < 0 || index >= param.value.length) throw new Error(`${param.name} has no entry ${index}.`);
  const before = param.value[index];

  const examples: WalkthroughExample[] = [];
  let sum = 0;
  for (const [i, example] of o.indices.entries()) {
    const t = make([example]);
    const s = t.trainStep();
    const g = t.gradient(layer, kind)[index];
    sum += g;
    examples.push({
      index: example,
      label: o.train.y[example],
      prediction: s.predictions[0],
      loss: s.perExampleLoss[0],
      gradient: g,
      runningSum: sum,
      runningMean: sum / (i + 1),
      layerNorms: s.layers.map((l) => ({ layer: l.layer, norm: l.gradNorm })),
      image: imageOf(o.train, example),
    });
  }
  const batch = make(o.indices);
  batch.trainStep();
  const batchGradient = batch.gradient(layer, kind)[index];
  const mean = sum / o.indices.length;
  const shape = o.train.inputShape;
  return {
    selection: o.selection,
    paramName: `${param.name}[${index}]`,
    learningRate: o.spec.optimizer.learningRate,
    before,
    after: before - o.spec.optimizer.learningRate * mean,
    examples,
    batchGradient,
    imageShape: shape.length === 3 && shape[0] === 1 ? [shape[1], shape[2]] : null,
  };
}

function subset(d: Dataset, indices: number[]): Dataset {
  const size = d.inputShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(indices.length * size);
  const y = new Int32Array(indices.length);
  indices.forEach((k, i) => {
    x.set(d.x.subarray(k * size, (k + 1) * size), i * size);
    y[i] = d.y[k];
  });
  return { ...d, count: indices.length, x, y };
}

function imageOf(d: Dataset, k: number): number[] | null {
  const s = d.inputShape;
  if (s.length !== 3 || s[0] !== 1) return null;
  const size = s[1] * s[2];
  return Array.from(d.x.subarray(k * size, (k + 1) * size), (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
}
