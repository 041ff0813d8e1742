// The training loop over one model: builds the network once for the largest batch, then each
// trainStep() takes the next batch of the seeded schedule, runs forward, loss, backward, the
// statistics and the optimizer update, and keeps the per-example state (layer inputs aᵢ and
// deltas δᵢ) of that step so views can ask for per-example gradients afterwards.

import type { Backend } from './backend';
import type { EpochStats, FloatArray, LayerInfo, LayerStepStats, NonFiniteReport, StepStats } from './types';
import type { ModelSpec } from '../model/spec';
import type { Dataset } from '../data/dataset';
import { referenceBackend } from './reference';
import { Network } from './network';
import { DEFAULT_CHUNK, type ParamLayer, type ParamTensor } from './layers/layer';
import { BatchSchedule, firstBatchIndices } from './batching';
import { GradientStats, StatsScratch, type StatsLevel } from './stats';
import { applyUpdates, findParam, trainedParams, type TrainedParam } from './update';
import { BatchOutputs, evaluateSet } from './evaluation';
import { firstNonFinite, locateForward, locateGradient, locateWeights } from './nonFinite';
import { type BatchSnapshot, buildBatchSnapshot } from './snapshot';
export type { BatchSnapshot } from './snapshot';
import { checkDataFits } from './compat';
import { loadNamedTensors, namedTensors, type NamedTensor } from './weights';

export interface TrainerOptions {
  spec: ModelSpec;
  train: Dataset;
  validation: Dataset | null;
  /** Default referenceBackend(spec.dtype). */
  backend?: Backend;
  /** Default 'full'. */
  stats?: StatsLevel;
  /** Examples per chunk of the per-batch temporaries (LayerContext.chunk); the result does not depend on it. */
  chunk?: number;
}

export type { NamedTensor } from './weights';

/**
 * A point inside one step where stepPhases() suspends, in this order: batch-start, forward-done,
 * layer-backward for each layer from the output down, before-update, after-update. The same shape
 * as a run source's StopPoint, declared here so the engine depends on nothing outside it.
 */
export interface PhasePoint {
  kind: 'batch-start' | 'forward-done' | 'layer-backward' | 'before-update' | 'after-update';
  step: number;
  epoch: number;
  /** Index into spec.layers, for layer-backward. */
  layer?: number;
}

/** Evaluation and snapshots run in chunks of at most this many examples. */
const EVAL_CHUNK = 256;

export class Trainer {
  readonly layers: LayerInfo[];
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  readonly backendName: string;
  private spec: ModelSpec;
  private readonly train: Dataset;
  private readonly validation: Dataset | null;
  private readonly statsLevel: StatsLevel;
  private readonly schedule: BatchSchedule;
  private readonly net: Network;
  private readonly evalNet: Network;
  private readonly params: TrainedParam[];
  private readonly outputs: BatchOutputs;
  private readonly scratch: StatsScratch;
  private readonly exampleSize: number;
  private steps = 0;
  private permutation: Int32Array | null = null;
  private lastIndices: number[] = [];
  private lastM = 0;
  private current: number[] = [];
  private currentLoss = NaN;
  private pending: { layers: LayerStepStats[]; nonFinite: NonFiniteReport | null; noiseScale: number } | null = null;
  /** The statistics of the step in progress, until the update finishes them. */
  private gradStats: GradientStats | null = null;
  private examplesSeen = 0;
  /** Seconds spent inside trainStep during the current epoch (pauses between steps do not count). */
  private epochSeconds = 0;

  constructor(opts: TrainerOptions) {
    const { spec, train, validation } = opts;
    checkDataFits(spec, train, validation);
    const backend = opts.backend ?? referenceBackend(spec.dtype);
    this.spec = spec;
    this.train = train;
    this.validation = validation;
    this.statsLevel = opts.stats ?? 'full';
    this.backendName = backend.name;
    this.schedule = new BatchSchedule(spec.seed, train.count, spec.batchSize);
    this.stepsPerEpoch = this.schedule.stepsPerEpoch;
    this.totalSteps = this.stepsPerEpoch * spec.epochs;
    // Everything is allocated here, once: a backend such as WASM may move its memory when it grows.
    const maxBatch = this.schedule.batchSize;
    const chunk = opts.chunk ?? DEFAULT_CHUNK;
    this.net = new Network(spec, train.inputShape, backend, maxBatch, undefined, chunk);
    const evalSize = Math.min(EVAL_CHUNK, Math.max(train.count, validation?.count ?? 0));
    this.evalNet = new Network(spec, train.inputShape, backend, evalSize, this.net.values, chunk);
    this.params = trainedParams(this.net, spec.optimizer, backend);
    this.outputs = new BatchOutputs(Math.max(maxBatch, evalSize));
    this.scratch = new StatsScratch(maxBatch, backend, this.params.length);
    this.exampleSize = this.net.inputSize;
    this.layers = this.net.layers.map((l) => ({
      index: l.index,
      type: l.type,
      label: l.label,
      inputShape: l.inputShape.slice(),
      outputShape: l.outputShape.slice(),
      params: l.params.map((p) => ({ ...p.info, shape: p.info.shape.slice() })),
    }));
  }

  get step(): number {
    return this.steps;
  }

  /** The epoch of the most recent step (1 before the first step). */
  get epoch(): number {
    return this.steps === 0 ? 1 : Math.floor((this.steps - 1) / this.stepsPerEpoch) + 1;
  }

  done(): boolean {
    return this.steps >= this.totalSteps;
  }

  epochJustEnded(): boolean {
    return this.steps > 0 && this.steps % this.stepsPerEpoch === 0;
  }

  trainStep(): StepStats {
    const phases = this.phases(true);
    for (;;) {
      const r = phases.next();
      if (r.done) return r.value;
    }
  }

  /**
   * One training step in phases, for a debugger: yields a stop point at batch-start, forward-done
   * (the loss is known), after each layer's backward pass from the output down, before-update and
   * after-update, and returns the step's statistics. Draining it is exactly trainStep(). While the
   * generator is suspended the trainer is mid-step: the per-example state, gradients and (until
   * after-update) the weights are those of the batch in progress. Time spent suspended is not
   * counted as training time.
   */
  stepPhases(): Generator<PhasePoint, StepStats, void> {
    return this.phases(false);
  }

  /**
   * unobserved: nobody can look at the step between its phases (trainStep), so the gradients'
   * non-finite check may wait for the update, whose own pass says whether anything is non-finite:
   * usually nothing is, and the check of every gradient and weight is skipped.
   */
  private *phases(unobserved: boolean): Generator<PhasePoint, StepStats, void> {
    if (this.done()) throw new Error(`training is finished: all ${this.totalSteps} steps of ${this.spec.epochs} epochs are done`);
    const epoch = Math.floor(this.steps / this.stepsPerEpoch) + 1;
    const batchInEpoch = this.steps % this.stepsPerEpoch;
    this.pending = null;
    this.gradStats = null;
    let startedAt = now();
    let elapsed = 0;
    const pause = (): void => {
      elapsed += now() - startedAt;
    };
    const unpause = (): void => {
      startedAt = now();
    };
    if (batchInEpoch === 0 || !this.permutation) {
      this.permutation = this.schedule.permutation(epoch);
      this.epochSeconds = 0;
    }
    const [start, end] = this.schedule.range(batchInEpoch);
    const m = end - start;
    const indices = Array.from(this.permutation.subarray(start, end));
    this.outputs.gather(this.train, indices, this.net.input, this.exampleSize);
    const stepNumber = this.steps + 1;
    this.current = indices;
    pause();
    yield { kind: 'batch-start', step: stepNumber, epoch };
    unpause();

    const { loss, correct } = this.outputs.loss(this.spec.loss, this.net.forward(m), m, this.net.outputSize, this.net.outputGrad);
    // From here on the per-example state (aᵢ, δᵢ) is this batch's.
    this.lastM = m;
    this.currentLoss = loss;
    pause();
    yield { kind: 'forward-done', step: stepNumber, epoch };
    unpause();
    // Network.backward, one layer at a time.
    let g = this.net.outputGrad;
    for (let i = this.net.layers.length - 1; i >= 0; i--) {
      const layer = this.net.layers[i];
      layer.backward(g, m);
      if (layer.inputGrad) g = layer.inputGrad;
      pause();
      yield { kind: 'layer-backward', step: stepNumber, epoch, layer: i };
      unpause();
    }

    const ctx = { step: stepNumber, indices };
    const perExampleLoss = this.outputs.perExampleLoss;
    let nonFinite: NonFiniteReport | null = null;
    if (firstNonFinite(perExampleLoss, m) >= 0) nonFinite = locateForward(this.net, m, perExampleLoss, ctx);
    if (!unobserved) nonFinite ??= locateGradient(this.net, m, ctx);

    // The per-example statistics before the update; ‖G‖, ‖θ‖ and ‖Δθ‖ from the update's own pass
    // (or, when pendingStats() is asked before it, by passes of their own).
    // Unobserved (trainStep): the dense layers' Gram statistics may run on the backend's other thread
    // during the update, waited for when the update's norms finish the statistics.
    const gradStats = GradientStats.start(this.net, m, this.statsLevel, this.scratch, unobserved);
    const layerStats = gradStats.layers;
    const pending = { layers: layerStats, nonFinite, noiseScale: NaN };
    this.pending = pending;
    this.gradStats = gradStats;
    pause();
    yield { kind: 'before-update', step: stepNumber, epoch };
    unpause();
    const norms = gradStats.wantsUpdateNorms ? this.scratch.paramNorms : null;
    const updatedFinite = applyUpdates(this.params, this.spec.optimizer, this.net.backend, stepNumber, norms);
    if (norms) gradStats.finishAfterUpdate(norms);
    pending.noiseScale = gradStats.noiseScale;
    if (!updatedFinite) {
      // the update leaves the gradients and each layer's aᵢ and δᵢ as they were: the same report
      if (unobserved) nonFinite ??= locateGradient(this.net, m, ctx);
      nonFinite ??= locateWeights(this.net, ctx);
    }

    this.steps = stepNumber;
    this.lastIndices = indices;
    this.examplesSeen += m;
    pause();
    this.epochSeconds += elapsed / 1000;
    const rows = this.outputs.rows(m);
    const stats: StepStats = {
      step: stepNumber,
      epoch,
      batchInEpoch,
      batchSize: m,
      examplesSeen: this.examplesSeen,
      loss,
      perExampleLoss: rows.perExampleLoss,
      accuracy: correct / m,
      exampleIndices: indices,
      labels: rows.labels,
      predictions: rows.predictions,
      layers: layerStats,
      noiseScale: pending.noiseScale,
      learningRate: this.spec.optimizer.learningRate,
      nonFinite,
    };
    pending.nonFinite = nonFinite;
    yield { kind: 'after-update', step: stepNumber, epoch };
    return stats;
  }

  /** The training-set indices of the batch of the step in progress (or of the last step). */
  currentBatch(): number[] {
    return this.current.slice();
  }

  /** Labels, predictions and per-example losses of the batch in progress, once its forward pass ran. */
  currentOutputs(): { labels: number[]; predictions: number[]; perExampleLoss: number[]; loss: number } | null {
    if (this.lastM === 0) return null;
    return { ...this.outputs.rows(this.lastM), loss: this.currentLoss };
  }

  /** Per-layer statistics of the step in progress from before-update on (updateRatio filled in at after-update). */
  pendingStats(): { layers: LayerStepStats[]; nonFinite: NonFiniteReport | null; noiseScale: number } | null {
    if (this.pending && this.gradStats) {
      // asked before the update: ‖G‖ and ‖θ‖ by their own passes (a no-op once the update gave them)
      this.gradStats.finishBeforeUpdate(this.scratch);
      this.pending.noiseScale = this.gradStats.noiseScale;
    }
    return this.pending;
  }

  /** The batch input rows (m × inputSize) of the step in progress. */
  batchInput(): FloatArray {
    return this.net.input.subarray(0, this.current.length * this.exampleSize);
  }

  /** Output of spec layer i for the batch in progress (m × outputs of that layer). */
  activation(layer: number): FloatArray {
    const l = this.net.layers[layer];
    if (!l) throw new Error(`the model has ${this.net.layers.length} layers; layers[${layer}] does not exist`);
    return l.output.subarray(0, this.lastM * l.outSize);
  }

  /** Momentum (first) and Adam's second moment of one parameter; empty arrays when the optimizer keeps none. */
  optimizerState(layer: number, kind: 'weight' | 'bias'): { first: FloatArray; second: FloatArray | null } {
    return findParam(this.params, this.paramLayer(layer), kind).state;
  }

  get learningRate(): number {
    return this.spec.optimizer.learningRate;
  }

  /** Changes γ from the next update on (a debugger's setVariable). */
  setLearningRate(lr: number): void {
    if (!Number.isFinite(lr) || lr < 0) throw new Error(`the learning rate must be a finite number ≥ 0, got ${lr}`);
    this.spec = { ...this.spec, optimizer: { ...this.spec.optimizer, learningRate: lr } };
  }

  /** Loss and accuracy over the whole training and validation sets at the current weights. */
  /** `seconds` is the training time of the current epoch so far (evaluation itself excluded). */
  evaluate(): EpochStats {
    const trainResult = evaluateSet(this.evalNet, this.spec.loss, this.train, this.outputs);
    const valResult =
      this.validation && this.validation.count > 0
        ? evaluateSet(this.evalNet, this.spec.loss, this.validation, this.outputs)
        : null;
    return {
      epoch: this.epoch,
      step: this.steps,
      trainLoss: trainResult.loss,
      trainAccuracy: trainResult.accuracy,
      validationLoss: valResult ? valResult.loss : null,
      validationAccuracy: valResult ? valResult.accuracy : null,
      seconds: this.epochSeconds,
    };
  }

  perExampleGradient(sel: { layer: number; kind: 'weight' | 'bias'; index: number }): number[] {
    const layer = this.paramLayer(sel.layer);
    const size = sel.kind === 'weight' ? layer.weight.size : layer.bias.size;
    if (!Number.isInteger(sel.index) || sel.index < 0 || sel.index >= size) {
      throw new Error(`layers[${sel.layer}].${sel.kind} has ${size} entries; index ${sel.index} is out of range`);
    }
    return layer.perExampleScalar(sel.kind, sel.index, this.requireStep());
  }

  /**
   * All M per-example gradients gᵢ of one parameter for the last step (M × size, row i = gᵢ).
   * A view of a buffer the layer reuses: it is valid until the next step or the next call for the
   * same parameter; copy it to keep it.
   */
  perExampleGradients(layer: number, kind: 'weight' | 'bias'): FloatArray {
    return this.paramLayer(layer).perExampleTensor(kind, this.requireStep());
  }

  parameter(layer: number, kind: 'weight' | 'bias'): FloatArray {
    return this.tensor(layer, kind).value;
  }

  gradient(layer: number, kind: 'weight' | 'bias'): FloatArray {
    return this.tensor(layer, kind).grad;
  }

  lastUpdate(layer: number, kind: 'weight' | 'bias'): FloatArray {
    return findParam(this.params, this.paramLayer(layer), kind).update;
  }

  lastBatchInputs(): { indices: number[] } {
    return { indices: this.lastIndices.slice() };
  }

  getWeights(): NamedTensor[] {
    return namedTensors(this.params.map((p) => p.tensor));
  }

  /** Replaces every parameter; the optimizer state (momentum, Adam moments) is kept as it is. */
  setWeights(weights: NamedTensor[]): void {
    loadNamedTensors(
      this.params.map((p) => p.tensor),
      weights,
    );
  }

  /** The first batch of epoch 1 at the current weights, with every per-example gradient (does not train). */
  batchSnapshot(): BatchSnapshot {
    const indices = firstBatchIndices(this.spec.seed, this.train.count, this.spec.batchSize);
    return buildBatchSnapshot(this.evalNet, this.spec.loss, this.train, indices);
  }

  private paramLayer(index: number): ParamLayer {
    const layer = this.net.paramLayers.find((l) => l.index === index);
    if (!layer) {
      const has = this.net.paramLayers.map((l) => l.index).join(', ');
      throw new Error(`layers[${index}] has no parameters (layers with parameters: ${has || 'none'})`);
    }
    return layer;
  }

  private tensor(layer: number, kind: 'weight' | 'bias'): ParamTensor {
    const l = this.paramLayer(layer);
    return kind === 'weight' ? l.weight : l.bias;
  }

  private requireStep(): number {
    if (this.lastM === 0) throw new Error('no training step has run yet, so there are no per-example gradients');
    return this.lastM;
  }
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
