// Per-step gradient statistics of every parameterised layer, from the per-example quantities the
// layers expose (see perExampleSquaredNorms / perExampleDotsWithMean beside each backward).
//   gradNorm    ‖G‖ (weights and bias together), G = (1/M)·Σᵢ gᵢ
//   weightNorm  ‖θ‖ before the update; updateRatio ‖Δθ‖/‖θ‖
//   perExampleNorms ‖gᵢ‖, cosineToMean gᵢ·G / (‖gᵢ‖·‖G‖) (0 when either is zero: no direction)
//   noiseScale  B_simple = tr(Σ)/‖G‖², tr(Σ) = (Σᵢ‖gᵢ‖² − M‖G‖²)/(M−1)  (the unbiased trace of the
//               per-example gradient covariance; clamped at 0 against rounding; NaN when M < 2 or G = 0)
//   deadFraction units whose ReLU output is 0 for every example of the batch
// Levels: 'full' = everything; 'norms' = per-example norms, noise scale and the three norms (no
// cosines, no dead units); 'none' = nothing per example (norm fields NaN), for timing the bare step.

import type { Backend, DenseGramJob } from './backend';
import type { FloatArray, LayerStepStats } from './types';
import type { ParamLayer } from './layers/layer';
import { type Network, reluOutputOf } from './network';

export type StatsLevel = 'full' | 'norms' | 'none';

/** Scratch reused every step, sized for the largest batch and the model's parameter tensors. */
export class StatsScratch {
  readonly squaredNorms: Float64Array;
  readonly dots: Float64Array;
  /** [Σ grad², Σ θ_before², Σ Δθ²] of each parameter tensor (weight then bias per layer), from the update. */
  readonly paramNorms: Float64Array;
  private readonly one: FloatArray;
  constructor(
    maxBatch: number,
    private readonly backend: Backend,
    paramTensors = 0,
  ) {
    this.squaredNorms = new Float64Array(maxBatch);
    this.dots = new Float64Array(maxBatch);
    this.paramNorms = new Float64Array(3 * paramTensors);
    this.one = backend.alloc(1);
  }

  /** Per-layer [‖gᵢ‖², gᵢ·G] for layers whose Gram statistics run on another thread (made on first use). */
  layerArrays(l: number): [Float64Array, Float64Array] {
    return (this.perLayer[l] ??= [new Float64Array(this.squaredNorms.length), new Float64Array(this.squaredNorms.length)]);
  }
  private readonly perLayer: [Float64Array, Float64Array][] = [];

  /** ‖x‖², in the backend's kernel (parameter-sized passes add up every step). */
  squaredNorm(x: FloatArray): number {
    if (x.length === 0) return 0;
    this.backend.rowSumSquares(1, x.length, x, this.one);
    return this.one[0];
  }
}

/**
 * The per-example part of one layer's statistics, which needs the step's aᵢ and δᵢ but not ‖G‖:
 * perExampleNorms, deadFraction and, until finished, the raw gᵢ·G in cosineToMean. Returns Σᵢ‖gᵢ‖².
 */
function perExampleStats(
  layer: ParamLayer,
  m: number,
  level: StatsLevel,
  scratch: StatsScratch,
  reluOutput: FloatArray | null,
  stats: LayerStepStats,
): number {
  const sq = scratch.squaredNorms;
  const full = level === 'full';
  if (full && layer.perExampleNormsAndDots) layer.perExampleNormsAndDots(m, sq, scratch.dots);
  else {
    layer.perExampleSquaredNorms(m, sq);
    if (full) layer.perExampleDotsWithMean(m, scratch.dots);
  }
  if (full && reluOutput) stats.deadFraction = deadFraction(reluOutput, m, layer.outSize, layer.positionsPerUnit);
  return fillPerExample(stats, m, sq, full ? scratch.dots : null);
}

/** perExampleNorms from ‖gᵢ‖², and the raw gᵢ·G into cosineToMean (when dots); returns Σᵢ‖gᵢ‖². */
function fillPerExample(stats: LayerStepStats, m: number, sq: Float64Array, dots: Float64Array | null): number {
  let sumSq = 0;
  const norms = new Array<number>(m);
  for (let i = 0; i < m; i++) {
    norms[i] = Math.sqrt(sq[i]);
    sumSq += sq[i];
  }
  stats.perExampleNorms = norms;
  if (dots) {
    // a plain loop: Array.from over a typed array's view iterates it generically (measured slower)
    const cos = new Array<number>(m);
    for (let i = 0; i < m; i++) cos[i] = dots[i];
    stats.cosineToMean = cos;
  }
  return sumSq;
}

/** Dense layers' Gram statistics running on another thread: wait for them, then read them from the scratch. */
interface DeferredPerExample {
  wait: () => void;
  /** The indices (into paramLayers) of the layers whose statistics are still running. */
  layers: number[];
  scratch: StatsScratch;
}

/**
 * One step's statistics between backward and the update. The per-example parts are computed at
 * once; ‖G‖ and ‖θ‖ (and with them the cosines and the noise scales) come from the update, which
 * reads G and θ anyway and returns their sums with ‖Δθ‖² (finishAfterUpdate), so no parameter is
 * read again for the statistics. A view that looks before the update (a debugger stopped there)
 * gets them by their own passes over G and θ (finishBeforeUpdate); the update then adds only ‖Δθ‖.
 */
export class GradientStats {
  noiseScale = NaN;
  private normsKnown = false;
  private updateKnown = false;
  private constructor(
    readonly layers: LayerStepStats[],
    private readonly paramLayers: ParamLayer[],
    private readonly sumSq: number[],
    private readonly m: number,
    private readonly level: StatsLevel,
    /** The Gram statistics running on another thread (null: none); completePerExample waits and fills those layers in. */
    private pending: DeferredPerExample | null,
  ) {}

  /**
   * The per-example parts of every parameterised layer of a network (the rest waits for finish*).
   * mayDefer: nobody looks at the step before finish* (trainStep), so dense layers' Gram statistics
   * may run on the backend's other thread meanwhile (Backend.denseGramStatsLater), during the update.
   */
  static start(net: Network, m: number, level: StatsLevel, scratch: StatsScratch, mayDefer = false): GradientStats {
    // plain loops and no closures made per step (this runs every step: allocations and closures add up)
    const paramLayers = net.paramLayers;
    const n = paramLayers.length;
    const layers = new Array<LayerStepStats>(n);
    for (let l = 0; l < n; l++) layers[l] = emptyStats(paramLayers[l].index);
    if (level === 'none') return new GradientStats(layers, paramLayers, [], m, level, null);
    const later = level === 'full' && mayDefer ? net.backend.denseGramStatsLater : undefined;
    let jobs: DenseGramJob[] | null = null,
      deferred: number[] | null = null;
    const sumSq = new Array<number>(n);
    for (let l = 0; l < n; l++) {
      const layer = paramLayers[l];
      const job = later && layer.gramJob ? layer.gramJob(m, ...scratch.layerArrays(l)) : null;
      const reluOutput = reluOutputOf(net, layer);
      if (!job) {
        sumSq[l] = perExampleStats(layer, m, level, scratch, reluOutput, layers[l]);
        continue;
      }
      (jobs ??= []).push(job);
      (deferred ??= []).push(l);
      if (reluOutput) layers[l].deadFraction = deadFraction(reluOutput, m, layer.outSize, layer.positionsPerUnit);
      sumSq[l] = NaN; // filled in by completePerExample
    }
    const pending = later && jobs ? { wait: later.call(net.backend, jobs), layers: deferred!, scratch } : null;
    return new GradientStats(layers, paramLayers, sumSq, m, level, pending);
  }

  /** The per-example parts still running on another thread, waited for and filled in (no-op when none). */
  private completePerExample(): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    pending.wait();
    const { layers: deferred, scratch } = pending;
    for (let d = 0; d < deferred.length; d++) {
      const l = deferred[d];
      const [sq, dots] = scratch.layerArrays(l);
      this.sumSq[l] = fillPerExample(this.layers[l], this.m, sq, dots);
    }
  }

  /** Whether the update should return its norms (nothing to finish at level 'none'). */
  get wantsUpdateNorms(): boolean {
    return this.level !== 'none';
  }

  /** ‖G‖ and ‖θ‖ now, by passes over the (not yet updated) parameters; no-op once known. */
  finishBeforeUpdate(scratch: StatsScratch): void {
    this.completePerExample();
    if (this.normsKnown || this.updateKnown || this.level === 'none') return;
    const norm = (x: FloatArray) => scratch.squaredNorm(x);
    this.finishNorms(
      this.paramLayers.map((l) => norm(l.weight.grad) + norm(l.bias.grad)),
      this.paramLayers.map((l) => norm(l.weight.value) + norm(l.bias.value)),
    );
  }

  /** From the update's sums: 3 per parameter tensor, weight then bias per layer (StatsScratch.paramNorms). */
  finishAfterUpdate(norms: Float64Array): void {
    this.completePerExample();
    if (this.level === 'none' || this.updateKnown) return;
    this.updateKnown = true;
    const layers = this.layers,
      n = layers.length;
    // layer l's sums: weight at 6l, bias at 6l + 3 (Σ grad², Σ θ², Σ Δθ² each)
    if (!this.normsKnown) {
      const gradSq = new Array<number>(n),
        valueSq = new Array<number>(n);
      for (let l = 0; l < n; l++) {
        gradSq[l] = norms[6 * l] + norms[6 * l + 3];
        valueSq[l] = norms[6 * l + 1] + norms[6 * l + 4];
      }
      this.finishNorms(gradSq, valueSq);
    }
    for (let l = 0; l < n; l++) {
      const stats = layers[l];
      const du = Math.sqrt(norms[6 * l + 2] + norms[6 * l + 5]);
      stats.updateRatio = stats.weightNorm > 0 ? du / stats.weightNorm : du === 0 ? 0 : Infinity;
    }
  }

  private finishNorms(gradSq: number[], valueSq: number[]): void {
    this.normsKnown = true;
    const m = this.m,
      layers = this.layers;
    let trace = 0,
      gSqAll = 0;
    for (let l = 0; l < layers.length; l++) {
      const stats = layers[l];
      const gSq = gradSq[l];
      stats.gradNorm = Math.sqrt(gSq);
      stats.weightNorm = Math.sqrt(valueSq[l]);
      const t = noiseTrace(this.sumSq[l], gSq, m);
      stats.noiseScale = noiseScale(t, gSq);
      trace += t;
      gSqAll += gSq;
      // cosineToMean held gᵢ·G: now divided by ‖gᵢ‖·‖G‖ (0 when either is zero: no direction)
      const dots = stats.cosineToMean,
        norms = stats.perExampleNorms;
      for (let i = 0; i < dots.length; i++) {
        const denom = norms[i] * stats.gradNorm;
        dots[i] = denom > 0 ? dots[i] / denom : 0;
      }
    }
    this.noiseScale = m < 2 ? NaN : noiseScale(trace, gSqAll);
  }
}

function emptyStats(layer: number): LayerStepStats {
  return {
    layer,
    gradNorm: NaN,
    weightNorm: NaN,
    updateRatio: NaN,
    perExampleNorms: [],
    cosineToMean: [],
    noiseScale: NaN,
    deadFraction: null,
  };
}

/** tr(Σ) = (Σᵢ‖gᵢ‖² − M‖G‖²)/(M−1); NaN for M < 2. */
export function noiseTrace(sumSquaredNorms: number, meanSquaredNorm: number, m: number): number {
  if (m < 2) return NaN;
  return Math.max(0, (sumSquaredNorms - m * meanSquaredNorm) / (m - 1));
}

export function noiseScale(traceSigma: number, meanSquaredNorm: number): number {
  return meanSquaredNorm > 0 ? traceSigma / meanSquaredNorm : NaN;
}

/**
 * Fraction of units (an output of a dense layer, a channel of a conv layer) whose ReLU output is 0
 * at every position for every example of the batch.
 */
export function deadFraction(reluOutput: FloatArray, m: number, outSize: number, positionsPerUnit: number): number {
  const units = outSize / positionsPerUnit;
  let dead = 0;
  if (positionsPerUnit === 1) {
    // a dense layer's unit is a column: walk down it to the first example where it is not 0 (a NaN
    // is not 0 either), as the general loop below with one position a unit, in fewer operations
    const end = m * outSize;
    for (let u = 0; u < units; u++) {
      let at = u;
      while (at < end && reluOutput[at] === 0) at += outSize;
      if (at >= end) dead++;
    }
    return dead / units;
  }
  for (let u = 0; u < units; u++) {
    let alive = false;
    for (let i = 0; i < m && !alive; i++) {
      const start = i * outSize + u * positionsPerUnit;
      for (let p = start; p < start + positionsPerUnit; p++)
        if (reluOutput[p] !== 0) {
          alive = true;
          break;
        }
    }
    if (!alive) dead++;
  }
  return dead / units;
}
