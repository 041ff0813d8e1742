// Our engine's side of the benchmark: the same Trainer on the reference (plain TS float32) and the
// WASM SIMD backends, started from identical weights.

import { Trainer, type Backend, type NamedTensor } from '../src/engine';
import type { ModelSpec, LayerSpec } from '../src/model/spec';
import { optimizerSpec } from '../src/model/buildSpec';
import { asDataset, type BenchData } from './data';
import { log, round, timeFor, type Timing } from './timing';

export function benchSpec(
  name: string,
  layers: LayerSpec[],
  d: Pick<BenchData, 'count' | 'batchSize' | 'learningRate'>,
): ModelSpec {
  return {
    name,
    seed: 1234,
    dtype: 'float32',
    data: { source: 'mnist', limit: d.count, validationSplit: 0 },
    layers,
    loss: 'cross-entropy',
    optimizer: optimizerSpec({ type: 'sgd', learningRate: d.learningRate }),
    batchSize: d.batchSize,
    epochs: 100000, // never reaches the end while timing
  };
}

export const MLP_LAYERS: LayerSpec[] = [
  { type: 'dense', units: 128, activation: 'relu' },
  { type: 'dense', units: 64, activation: 'relu' },
  { type: 'dense', units: 26, activation: 'linear' },
];

export const CNN_LAYERS: LayerSpec[] = [
  { type: 'conv2d', filters: 8, kernelSize: 3, stride: 1, padding: 'same', activation: 'relu' },
  { type: 'maxpool2d', poolSize: 2, stride: 2 },
  { type: 'conv2d', filters: 16, kernelSize: 3, stride: 1, padding: 'same', activation: 'relu' },
  { type: 'maxpool2d', poolSize: 2, stride: 2 },
  { type: 'flatten' },
  { type: 'dense', units: 26, activation: 'linear' },
];

export interface Start {
  weights: NamedTensor[];
  firstBatch: number[];
}

/** Initial weights (seeded He/Glorot init) and the first batch's indices, from a reference trainer. */
export function startingPoint(spec: ModelSpec, d: BenchData, backend: Backend): Start {
  const t = new Trainer({ spec, train: asDataset(d), validation: null, backend, stats: 'none' });
  const weights = t.getWeights();
  const s = t.trainStep();
  return { weights, firstBatch: s.exampleIndices };
}

/** Each trainer gets a fresh backend: a WASM backend's arena is never reused, so one per model. */
export type BackendFactory = () => Backend;

function trainer(
  spec: ModelSpec,
  d: BenchData,
  backend: BackendFactory,
  stats: 'full' | 'norms' | 'none',
  start: Start,
): Trainer {
  const t = new Trainer({ spec, train: asDataset(d), validation: null, backend: backend(), stats });
  t.setWeights(start.weights);
  return t;
}

export interface MlpResult {
  backend: string;
  firstBatchLoss: number;
  /** stats 'none': forward, backward, SGD update, loss/accuracy. */
  train: Timing;
  /** One training step (forward + backward + update) with stats 'none', ms. */
  forwardBackwardMs: number;
  /** Step + every per-example gradient of every parameter materialised (perExampleGradients). */
  allPerExampleMs: number;
  /** Step with stats 'norms' (per-example gradient norms + gradNorm/weightNorm/updateRatio). */
  perExampleNormsMs: number;
  /** Step with stats 'full' (all gradient-health instruments of the webview). */
  fullStatsMs: number;
  ratios: { allPerExampleOverStep: number; normsOverStep: number; fullStatsOverStep: number };
}

export function runMlp(spec: ModelSpec, d: BenchData, backend: BackendFactory, start: Start, budget: number): MlpResult {
  const plain = trainer(spec, d, backend, 'none', start);
  log(`ours MLP on ${plain.backendName}`);
  const firstBatchLoss = plain.trainStep().loss;
  const train = timeFor(() => plain.trainStep(), budget, d.batchSize);

  const materialise = trainer(spec, d, backend, 'none', start);
  const paramLayers = [...new Set(materialise.layers.flatMap((l) => l.params.map((p) => p.layer)))];
  const all = timeFor(() => {
    materialise.trainStep();
    for (const layer of paramLayers) {
      materialise.perExampleGradients(layer, 'weight');
      materialise.perExampleGradients(layer, 'bias');
    }
  }, budget / 2);

  const norms = trainer(spec, d, backend, 'norms', start);
  const normsT = timeFor(() => norms.trainStep(), budget / 2);
  const full = trainer(spec, d, backend, 'full', start);
  const fullT = timeFor(() => full.trainStep(), budget / 2);

  return {
    backend: plain.backendName,
    firstBatchLoss,
    train,
    forwardBackwardMs: train.stepMs,
    allPerExampleMs: all.stepMs,
    perExampleNormsMs: normsT.stepMs,
    fullStatsMs: fullT.stepMs,
    ratios: {
      allPerExampleOverStep: round(all.stepMs / train.stepMs, 3),
      normsOverStep: round(normsT.stepMs / train.stepMs, 3),
      fullStatsOverStep: round(fullT.stepMs / train.stepMs, 3),
    },
  };
}

export interface TrainResult {
  backend: string;
  firstBatchLoss: number;
  train: Timing;
}

/** Training steps only (stats 'none'): the CNN, and the MLP on the dense gemm path. */
export function runTrain(spec: ModelSpec, d: BenchData, backend: BackendFactory, start: Start, budget: number): TrainResult {
  const t = trainer(spec, d, backend, 'none', start);
  log(`ours ${spec.name} on ${t.backendName}`);
  const firstBatchLoss = t.trainStep().loss;
  return { backend: t.backendName, firstBatchLoss, train: timeFor(() => t.trainStep(), budget, d.batchSize) };
}
