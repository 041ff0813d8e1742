// Step through one batch, example by example. Each example gets its OWN forward and backward pass
// (a one-example run at the current weights), so gᵢ = ∇Lᵢ is computed exactly as back-propagation
// computes it; the gradients are added to a running sum and average; and at the end the batch
// makes its single update θ ← θ − γ·(1/M)·Σᵢ gᵢ. One ordinary batch backward pass over the same
// examples is run too, to show that its gradient is that same mean. Nothing here changes the
// weights of the run being watched: it is a faithful replay on a copy. After a step, the replay is
// of that step's batch at the weights BEFORE its update (θ_after − Δθ), so its gradients are the
// ones the run used; `applied` says what the run's optimizer (momentum, Adam...) then did with them.

import type { Dataset } from '../data/dataset';
import type { ModelSpec, OptimizerSpec } from '../model/spec';
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
  /** True when the batch was replayed at the weights before the update the run made with it. */
  atWeightsBeforeUpdate: boolean;
  /** What the run's optimizer really did to this parameter with this batch, when it made that update. */
  applied: UpdateTerms | null;
}

/** One optimizer update of one scalar, every term with its number. */
export interface UpdateTerms {
  optimizer: 'sgd' | 'adam';
  /** The 1-based update number t (Adam's bias correction uses it). */
  step: number;
  learningRate: number;
  /** G, the batch gradient: the mean of the per-example gradients. */
  batchGradient: number;
  /** wd (0 for biases, which are never decayed). */
  weightDecay: number;
  /** g = G + wd·θ_before, what the optimizer works with. */
  gradient: number;
  momentum: number;
  nesterov: boolean;
  /** Momentum's velocity v, or Adam's first moment m, before and after this update (null without momentum). */
  firstBefore: number | null;
  firstAfter: number | null;
  /** Adam's second moment v, before and after (null for SGD). */
  secondBefore: number | null;
  secondAfter: number | null;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Adam's bias-corrected moments m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ) (null for SGD). */
  firstCorrected: number | null;
  secondCorrected: number | null;
  /** d in θ_after = θ_before − γ·d: g (plain SGD), v (momentum), g + μ·v (Nesterov), m̂/(√v̂ + ε) (Adam). */
  direction: number;
  /** θ before and after, as the run applied them. */
  before: number;
  after: number;
  /** θ_before − γ·d from the terms above, in float64: equals `after` up to float32 rounding. */
  predictedAfter: number;
}

/** What the optimizer state read after an update says about it: the state before is recovered by
 *  inverting the state's own recurrence (at t = 1 it was zero). */
export function updateTerms(
  o: OptimizerSpec,
  r: {
    step: number;
    isWeight: boolean;
    batchGradient: number;
    before: number;
    after: number;
    first: number | null;
    second: number | null;
  },
): UpdateTerms {
  const wd = r.isWeight ? o.weightDecay : 0;
  const g = r.batchGradient + wd * r.before;
  const base = {
    step: r.step,
    learningRate: o.learningRate,
    batchGradient: r.batchGradient,
    weightDecay: wd,
    gradient: g,
    momentum: o.type === 'sgd' ? o.momentum : 0,
    nesterov: o.type === 'sgd' && o.momentum !== 0 && o.nesterov,
    beta1: o.beta1,
    beta2: o.beta2,
    epsilon: o.epsilon,
    before: r.before,
    after: r.after,
  };
  if (o.type === 'adam') {
    const m = r.first ?? 0,
      v = r.second ?? 0;
    const mBefore = r.step <= 1 ? 0 : (m - (1 - o.beta1) * g) / o.beta1;
    const vBefore = r.step <= 1 ? 0 : (v - (1 - o.beta2) * g * g) / o.beta2;
    const mHat = m / (1 - Math.pow(o.beta1, r.step));
    const vHat = v / (1 - Math.pow(o.beta2, r.step));
    const direction = mHat / (Math.sqrt(vHat) + o.epsilon);
    return {
      ...base,
      optimizer: 'adam',
      firstBefore: mBefore,
      firstAfter: m,
      secondBefore: vBefore,
      secondAfter: v,
      firstCorrected: mHat,
      secondCorrected: vHat,
      direction,
      predictedAfter: r.before - o.learningRate * direction,
    };
  }
  const mu = o.momentum;
  const velocity = mu !== 0 ? (r.first ?? 0) : null;
  const velocityBefore = velocity === null ? null : r.step <= 1 ? 0 : (velocity - g) / mu;
  const direction = velocity === null ? g : base.nesterov ? g + mu * velocity : velocity;
  return {
    ...base,
    optimizer: 'sgd',
    firstBefore: velocityBefore,
    firstAfter: velocity,
    secondBefore: null,
    secondAfter: null,
    firstCorrected: null,
    secondCorrected: null,
    direction,
    predictedAfter: r.before - o.learningRate * direction,
  };
}

/** The part of the engine's Trainer that tells what its last update did. */
export interface LastStepView {
  readonly step: number;
  parameter(layer: number, kind: 'weight' | 'bias'): ArrayLike<number>;
  gradient(layer: number, kind: 'weight' | 'bias'): ArrayLike<number>;
  lastUpdate(layer: number, kind: 'weight' | 'bias'): ArrayLike<number>;
  optimizerState?(layer: number, kind: 'weight' | 'bias'): { first: ArrayLike<number> | null; second: ArrayLike<number> | null };
}

/** θ before the last update: θ_after − Δθ, tensor by tensor (Δθ is what the update added). */
export function weightsBeforeLastStep(t: Pick<LastStepView, 'lastUpdate'> & { getWeights(): NamedTensor[] }): NamedTensor[] {
  return t.getWeights().map((w) => {
    const update = t.lastUpdate(w.layer, w.kind);
    return { ...w, value: w.value.map((v, i) => v - update[i]) };
  });
}

/** The terms of the last update of one scalar, read from the trainer right after that step. */
export function lastUpdateTerms(t: LastStepView, optimizer: OptimizerSpec, sel: ScalarParam): UpdateTerms | null {
  if (t.step === 0 || !t.optimizerState) return null;
  const after = t.parameter(sel.layer, sel.kind)[sel.index];
  if (after === undefined) return null;
  const state = t.optimizerState(sel.layer, sel.kind);
  return updateTerms(optimizer, {
    step: t.step,
    isWeight: sel.kind === 'weight',
    batchGradient: t.gradient(sel.layer, sel.kind)[sel.index],
    before: after - t.lastUpdate(sel.layer, sel.kind)[sel.index],
    after,
    first: state.first && state.first.length > sel.index ? state.first[sel.index] : null,
    second: state.second && state.second.length > sel.index ? state.second[sel.index] : null,
  });
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
  /** Set when `weights` are those before an update the run made with this batch, and what it did. */
  replayOf?: { applied: UpdateTerms | null };
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
    const t = new Trainer({
      spec,
      train: data,
      validation: null,
      backend: o.backendFactory?.(spec) ?? referenceBackend(spec.dtype),
      stats: 'norms',
    });
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
    atWeightsBeforeUpdate: o.replayOf !== undefined,
    applied: o.replayOf?.applied ?? null,
  };
}

/** The examples `indices` of `d` as a dataset of their own. */
export function subset(d: Dataset, indices: number[]): Dataset {
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

/**
 * The weight whose per-example gradients vary most across the last batch, so the per-example card
 * shows averaging that matters: the largest spread (standard deviation over the examples) weighted
 * by the share of examples that pull on it at all (|gᵢ| ≥ 10 % of the largest), so one example's
 * lone bar does not win. Null before a step or with fewer than 2 examples.
 */
export function mostVariedWeight(
  t: {
    readonly layers: { index: number; params: { kind: 'weight' | 'bias'; shape: number[] }[] }[];
    perExampleGradients(layer: number, kind: 'weight' | 'bias'): ArrayLike<number>;
  },
  m: number,
): ScalarParam | null {
  if (m < 2) return null;
  let best: ScalarParam | null = null;
  let bestScore = 0;
  for (const layer of t.layers) {
    const w = layer.params.find((p) => p.kind === 'weight');
    if (!w) continue;
    const size = w.shape.reduce((a, b) => a * b, 1);
    const g = t.perExampleGradients(layer.index, 'weight');
    for (let j = 0; j < size; j++) {
      let sum = 0,
        sq = 0,
        max = 0;
      for (let i = 0; i < m; i++) {
        const v = g[i * size + j];
        sum += v;
        sq += v * v;
        const a = Math.abs(v);
        if (a > max) max = a;
      }
      if (max === 0) continue;
      let pulling = 0;
      for (let i = 0; i < m; i++) if (Math.abs(g[i * size + j]) >= 0.1 * max) pulling++;
      const variance = Math.max(0, (sq - (sum * sum) / m) / (m - 1));
      const score = Math.sqrt(variance) * (pulling / m);
      if (score > bestScore) {
        bestScore = score;
        best = { layer: layer.index, kind: 'weight', index: j };
      }
    }
  }
  return best;
}
