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

import type { Backend } from './backend';
import type { FloatArray, LayerStepStats } from './types';
import type { ParamLayer } from './layers/layer';
import { type Network, reluOutputOf } from './network';

export type StatsLevel = 'full' | 'norms' | 'none';

/** Scratch reused every step, sized for the largest batch, and the backend's sum-of-squares kernel. */
export class StatsScratch {
  readonly squaredNorms: Float64Array;
  readonly dots: Float64Array;
  private readonly one: FloatArray;
  constructor(
    maxBatch: number,
    private readonly backend: Backend,
  ) {
    this.squaredNorms = new Float64Array(maxBatch);
    this.dots = new Float64Array(maxBatch);
    this.one = backend.alloc(1);
  }

  /** ‖x‖², in the backend's kernel (parameter-sized passes add up every step). */
  squaredNorm(x: FloatArray): number {
    if (x.length === 0) return 0;
    this.backend.rowSumSquares(1, x.length, x, this.one);
    return this.one[0];
  }
}

/** Partial sums that add up across layers into the model-wide noise scale. */
export interface NoiseParts {
  traceSigma: number;
  meanSquaredNorm: number;
}

/** Statistics that need the gradient but not the update (call between backward and the update). */
export function gradientStats(
  layer: ParamLayer,
  m: number,
  level: StatsLevel,
  scratch: StatsScratch,
  reluOutput: FloatArray | null,
): { stats: LayerStepStats; noise: NoiseParts } {
  const stats: LayerStepStats = {
    layer: layer.index,
    gradNorm: NaN,
    weightNorm: NaN,
    updateRatio: NaN,
    perExampleNorms: [],
    cosineToMean: [],
    noiseScale: NaN,
    deadFraction: null,
  };
  const noise: NoiseParts = { traceSigma: 0, meanSquaredNorm: 0 };
  if (level === 'none') return { stats, noise };
  const gSq = scratch.squaredNorm(layer.weight.grad) + scratch.squaredNorm(layer.bias.grad);
  stats.gradNorm = Math.sqrt(gSq);
  stats.weightNorm = Math.sqrt(scratch.squaredNorm(layer.weight.value) + scratch.squaredNorm(layer.bias.value));
  const sq = scratch.squaredNorms;
  layer.perExampleSquaredNorms(m, sq);
  let sumSq = 0;
  stats.perExampleNorms = new Array<number>(m);
  for (let i = 0; i < m; i++) {
    stats.perExampleNorms[i] = Math.sqrt(sq[i]);
    sumSq += sq[i];
  }
  const trace = noiseTrace(sumSq, gSq, m);
  stats.noiseScale = noiseScale(trace, gSq);
  noise.traceSigma = trace;
  noise.meanSquaredNorm = gSq;
  if (level === 'full') {
    layer.perExampleDotsWithMean(m, scratch.dots);
    const gNorm = stats.gradNorm;
    stats.cosineToMean = new Array<number>(m);
    for (let i = 0; i < m; i++) {
      const denom = stats.perExampleNorms[i] * gNorm;
      stats.cosineToMean[i] = denom > 0 ? scratch.dots[i] / denom : 0;
    }
    if (reluOutput) stats.deadFraction = deadFraction(reluOutput, m, layer.outSize, layer.positionsPerUnit);
  }
  return { stats, noise };
}

/** Fills updateRatio once the update is applied. */
export function updateStats(
  stats: LayerStepStats,
  weightUpdate: FloatArray,
  biasUpdate: FloatArray,
  scratch: StatsScratch,
): void {
  if (Number.isNaN(stats.weightNorm)) return;
  const du = Math.sqrt(scratch.squaredNorm(weightUpdate) + scratch.squaredNorm(biasUpdate));
  stats.updateRatio = stats.weightNorm > 0 ? du / stats.weightNorm : du === 0 ? 0 : Infinity;
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

/** gradientStats of every parameterised layer of a network, and the model-wide noise scale. */
export function networkGradientStats(
  net: Network,
  m: number,
  level: StatsLevel,
  scratch: StatsScratch,
): { layers: LayerStepStats[]; noiseScale: number } {
  const layers: LayerStepStats[] = [];
  let trace = 0,
    gSq = 0;
  for (const layer of net.paramLayers) {
    const r = gradientStats(layer, m, level, scratch, reluOutputOf(net, layer));
    layers.push(r.stats);
    trace += r.noise.traceSigma;
    gSq += r.noise.meanSquaredNorm;
  }
  return { layers, noiseScale: level === 'none' || m < 2 ? NaN : noiseScale(trace, gSq) };
}
