// Independent float64 references for the oracle tests: a dense network's forward and backward
// pass written out from the formulas (no engine code), per example, and the optimizer steps.
// They read nothing but the weights (as Trainer.getWeights() lists them) and the raw data, so a
// value a view shows can be checked against a number computed a second way.

import type { Dataset } from '../../../src/data/dataset';
import type { Activation, LayerSpec, ModelSpec, OptimizerSpec } from '../../../src/model/spec';
import { makeSpec } from '../specs';

export interface Weights {
  name: string;
  layer: number;
  kind: 'weight' | 'bias';
  shape: number[];
  value: number[];
}

export type DenseAct = Activation;

interface DenseLayerSpec {
  index: number;
  units: number;
  activation: DenseAct;
}

function denseLayers(spec: ModelSpec): DenseLayerSpec[] {
  return spec.layers.map((l, index) => {
    if (l.type !== 'dense') throw new Error(`the reference handles dense layers only (layer ${index} is ${l.type})`);
    return { index, units: l.units, activation: l.activation as DenseAct };
  });
}

/** φ(z), the closed form of each activation a dense layer may have. */
export function act(a: DenseAct, z: number): number {
  switch (a) {
    case 'linear':
      return z;
    case 'relu':
      return z > 0 ? z : 0;
    case 'leaky-relu':
      return z > 0 ? z : 0.01 * z;
    case 'tanh':
      return Math.tanh(z);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-z));
    case 'gelu':
      return 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3)));
  }
}

/** dφ/dz at pre-activation z: closed forms, and central differences in float64 for GELU. */
export function actDerivative(a: DenseAct, z: number): number {
  switch (a) {
    case 'linear':
      return 1;
    case 'relu':
      return z > 0 ? 1 : 0;
    case 'leaky-relu':
      return z > 0 ? 1 : 0.01;
    case 'tanh': {
      const t = Math.tanh(z);
      return 1 - t * t;
    }
    case 'sigmoid': {
      const s = 1 / (1 + Math.exp(-z));
      return s * (1 - s);
    }
    case 'gelu':
      return (act('gelu', z + 1e-5) - act('gelu', z - 1e-5)) / 2e-5;
  }
}

export interface ExampleResult {
  loss: number;
  prediction: number;
  /** Per parameter name (e.g. `layers[0].weight`): ∂Lᵢ/∂θ, same layout as the weights. */
  grads: Map<string, number[]>;
  /** Per layer index: the activation output φ(z) of that layer. */
  outputs: number[][];
}

/** One example's loss and full gradient, by the chain rule in float64. */
export function exampleGradient(spec: ModelSpec, weights: Weights[], x: ArrayLike<number>, label: number): ExampleResult {
  const layers = denseLayers(spec);
  const byName = new Map(weights.map((w) => [w.name, w]));
  const inputs: number[][] = [];
  const pre: number[][] = [];
  const outputs: number[][] = [];
  let a = Array.from(x);
  for (const l of layers) {
    const W = byName.get(`layers[${l.index}].weight`)!.value;
    const b = byName.get(`layers[${l.index}].bias`)!.value;
    const n = l.units,
      p = a.length;
    if (W.length !== p * n) throw new Error(`layer ${l.index}: ${W.length} weights for ${p}×${n}`);
    const z = new Array<number>(n);
    for (let c = 0; c < n; c++) {
      let s = b[c];
      for (let r = 0; r < p; r++) s += a[r] * W[r * n + c];
      z[c] = s;
    }
    inputs.push(a);
    pre.push(z);
    a = z.map((v) => act(l.activation, v));
    outputs.push(a);
  }
  const out = a;
  let prediction = 0;
  for (let j = 1; j < out.length; j++) if (out[j] > out[prediction]) prediction = j;
  let loss: number;
  let delta: number[];
  if (spec.loss === 'cross-entropy') {
    const max = Math.max(...out);
    const logSum = max + Math.log(out.reduce((s, v) => s + Math.exp(v - max), 0));
    loss = logSum - out[label];
    delta = out.map((v, j) => Math.exp(v - logSum) - (j === label ? 1 : 0));
  } else {
    delta = out.map((v, j) => v - (j === label ? 1 : 0));
    loss = delta.reduce((s, d) => s + 0.5 * d * d, 0);
  }
  const grads = new Map<string, number[]>();
  for (let k = layers.length - 1; k >= 0; k--) {
    const l = layers[k];
    const dz = delta.map((d, c) => d * actDerivative(l.activation, pre[k][c]));
    const ak = inputs[k];
    const n = l.units;
    const gW = new Array<number>(ak.length * n);
    for (let r = 0; r < ak.length; r++) for (let c = 0; c < n; c++) gW[r * n + c] = ak[r] * dz[c];
    grads.set(`layers[${l.index}].weight`, gW);
    grads.set(`layers[${l.index}].bias`, dz.slice());
    if (k > 0) {
      const W = byName.get(`layers[${l.index}].weight`)!.value;
      delta = ak.map((_, r) => {
        let s = 0;
        for (let c = 0; c < n; c++) s += W[r * n + c] * dz[c];
        return s;
      });
    }
  }
  return { loss, prediction, grads, outputs };
}

export function exampleInput(d: Dataset, index: number): Float32Array | Float64Array {
  const size = d.inputShape.reduce((a, b) => a * b, 1);
  return d.x.subarray(index * size, (index + 1) * size);
}

/** Every example of a batch, by the reference, in the batch's order. */
export function batchGradients(spec: ModelSpec, weights: Weights[], d: Dataset, indices: number[]): ExampleResult[] {
  return indices.map((k) => exampleGradient(spec, weights, exampleInput(d, k), d.y[k]));
}

/** (1/M)·Σᵢ gᵢ of one parameter. */
export function meanGradient(examples: ExampleResult[], name: string): number[] {
  const first = examples[0].grads.get(name)!;
  const out = new Array<number>(first.length).fill(0);
  for (const e of examples)
    e.grads.get(name)!.forEach((g, j) => {
      out[j] += g;
    });
  return out.map((s) => s / examples.length);
}

/** The optimizer's state for one tensor, kept by the reference from step 1. */
export interface RefState {
  m: number[];
  v: number[];
}

export function refState(size: number): RefState {
  return { m: new Array<number>(size).fill(0), v: new Array<number>(size).fill(0) };
}

/**
 * One step from the textbook formulas (PyTorch's conventions): coupled L2 weight decay on weights;
 * SGD velocity v ← μv + g, step v (or g + μv with Nesterov); Adam with bias correction at step t.
 * Returns θ after.
 */
export function referenceStep(
  o: OptimizerSpec,
  s: RefState,
  t: number,
  isWeight: boolean,
  theta: number[],
  grad: number[],
): number[] {
  const wd = isWeight ? o.weightDecay : 0;
  return theta.map((th, i) => {
    const g = grad[i] + wd * th;
    if (o.type === 'adam') {
      s.m[i] = o.beta1 * s.m[i] + (1 - o.beta1) * g;
      s.v[i] = o.beta2 * s.v[i] + (1 - o.beta2) * g * g;
      const mHat = s.m[i] / (1 - o.beta1 ** t);
      const vHat = s.v[i] / (1 - o.beta2 ** t);
      return th - (o.learningRate * mHat) / (Math.sqrt(vHat) + o.epsilon);
    }
    if (o.momentum === 0) return th - o.learningRate * g;
    s.m[i] = o.momentum * s.m[i] + g;
    const step = o.nesterov ? g + o.momentum * s.m[i] : s.m[i];
    return th - o.learningRate * step;
  });
}

/** Largest |a − b| relative to the largest magnitude in either (0 for two empty arrays). */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let scale = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(a[i]), Math.abs(b[i]));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(scale, 1e-300));
  return worst;
}

/** actual ≈ expected to a relative tol; NaN matches only NaN (both sides found the quantity undefined). */
export function close(actual: number, expected: number, tol: number, what: string): void {
  if (Number.isNaN(expected) && Number.isNaN(actual)) return;
  const err = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-12);
  if (!(err <= tol))
    throw new Error(`${what}: ${actual} but the reference says ${expected} (relative error ${err.toExponential(2)} > ${tol})`);
}

/** A seeded dataset with class-dependent means (so training moves), in [features] shape. */
export function separable(count: number, features: number, classes: number, seed: number): Dataset {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
  const x = new Float32Array(count * features);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    y[i] = Math.floor(next() * classes);
    for (let f = 0; f < features; f++) x[i * features + f] = next() * 2 - 1 + (f % classes === y[i] ? 0.8 : 0);
  }
  return { name: 'separable', inputShape: [features], numClasses: classes, count, x, y };
}

export { optimizer } from '../specs';

export function mlpSpec(over: Partial<ModelSpec> = {}): ModelSpec {
  const layers: LayerSpec[] = [
    { type: 'dense', units: 6, activation: 'relu' },
    { type: 'dense', units: 3, activation: 'linear' },
  ];
  return makeSpec(layers, {
    name: 'oracle',
    seed: 11,
    data: { source: 'oracle', validationSplit: 0 },
    batchSize: 5,
    epochs: 2,
    ...over,
  });
}

/** The entry of a parameter whose per-example gradients differ most across the batch (a swap or a shift shows there). */
export function spreadIndex(examples: ExampleResult[], name: string): number {
  const n = examples[0].grads.get(name)!.length;
  let best = 0,
    bestSpread = -1;
  for (let j = 0; j < n; j++) {
    const v = examples.map((e) => e.grads.get(name)![j]);
    const spread = Math.max(...v) - Math.min(...v);
    if (spread > bestSpread) {
      bestSpread = spread;
      best = j;
    }
  }
  return best;
}

/**
 * C = alpha·op(A)·op(B) + beta·C the textbook way, in float64, summed over p in order; with each
 * entry's Σ|terms| (`mag`), the scale a float32 kernel's rounding is judged against.
 */
export function textbookGemm(
  tA: boolean,
  tB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  beta: number,
  c: ArrayLike<number>,
): { value: Float64Array; mag: Float64Array } {
  const value = new Float64Array(m * n),
    mag = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0,
        g = 0;
      for (let p = 0; p < k; p++) {
        const t = (tA ? a[p * m + i] : a[i * k + p]) * (tB ? b[j * k + p] : b[p * n + j]);
        s += t;
        g += Math.abs(t);
      }
      const before = beta === 0 ? 0 : beta * c[i * n + j];
      value[i * n + j] = alpha * s + before;
      mag[i * n + j] = Math.abs(alpha) * g + Math.abs(before);
    }
  return { value, mag };
}

/**
 * A dense layer's Gram statistics (Backend.denseGramStats) in float64, from the contract:
 * dots[i] = (1/m)·Σⱼ KΔ[i,j]·(KA[i,j] + b), squaredNorms[i] = KΔ[i,i]·(KA[i,i] + b), KA = A·Aᵀ,
 * KΔ = Δ·Δᵀ; with Σ|terms| per entry for a float32 rounding bound (checkGram).
 */
export function gramReference(
  m: number,
  p: number,
  q: number,
  withBias: boolean,
  a: ArrayLike<number>,
  delta: ArrayLike<number>,
) {
  const dot = (x: ArrayLike<number>, n: number, i: number, j: number) => {
    let s = 0,
      mag = 0;
    for (let t = 0; t < n; t++) {
      s += x[i * n + t] * x[j * n + t];
      mag += Math.abs(x[i * n + t] * x[j * n + t]);
    }
    return [s, mag];
  };
  const b = withBias ? 1 : 0;
  const dots = new Float64Array(m),
    sq = new Float64Array(m),
    dotsMag = new Float64Array(m),
    sqMag = new Float64Array(m);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < m; j++) {
      const [ka, kaMag] = dot(a, p, i, j),
        [kd, kdMag] = dot(delta, q, i, j);
      dots[i] += (kd * (ka + b)) / m;
      dotsMag[i] += (kdMag * (kaMag + b)) / m;
      if (i === j) {
        sq[i] = kd * (ka + b);
        sqMag[i] = kdMag * (kaMag + b);
      }
    }
  return { dots, sq, dotsMag, sqMag };
}

/** actual ≈ expected within 1e-5·Σ|terms| (float32 rounding); NaN matches only NaN. */
export function checkGram(actual: ArrayLike<number>, expected: ArrayLike<number>, mag: ArrayLike<number>, what: string): void {
  for (let i = 0; i < expected.length; i++) {
    if (Number.isNaN(expected[i])) {
      if (!Number.isNaN(actual[i])) throw new Error(`${what}[${i}]: ${actual[i]}, expected NaN`);
      continue;
    }
    if (!(Math.abs(actual[i] - expected[i]) <= 1e-5 * mag[i] + 1e-12))
      throw new Error(`${what}[${i}]: ${actual[i]}, expected ${expected[i]} (Σ|terms| ${mag[i]})`);
  }
}
