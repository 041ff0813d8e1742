// SGD (M = 1), mini-batch and full batch, side by side: the same model, seed and data, trained
// with several batch sizes for the same number of examples seen. Reports loss against examples
// seen and against time, how much the loss jumps from step to step, the gradient noise scale, and
// a summary in plain words built only from the measured numbers.

import type { ModelSpec } from '../model/spec';
import type { Dataset } from '../data/dataset';
import type { Backend } from './backend';
import { Trainer } from './trainer';
import { referenceBackend } from './reference';

/** One run of the batch-size comparison. */
export interface CompareRun {
  batchSize: number;
  /** Updates made (every step; `points` may be thinned for drawing). */
  steps: number;
  points: { examplesSeen: number; time: number; loss: number }[];
  stepLossVariance: number;
  noiseScale: number;
}
export interface CompareResult { runs: CompareRun[]; summary: string }

export interface CompareOptions {
  spec: ModelSpec;
  train: Dataset;
  /** Batch sizes; 'full' means the whole training set. */
  batchSizes: (number | 'full')[];
  /** Examples each run sees (default: 3 epochs of the training set). */
  examples?: number;
  /** A fresh backend per run (each trainer allocates its own buffers). */
  backendFactory?: (spec: ModelSpec) => Backend;
  onProgress?: (run: number, examplesSeen: number, examplesTotal: number) => void;
  shouldCancel?: () => boolean;
  /** Wall clock in seconds; injectable so tests can be exact. */
  now?: () => number;
}

/** Points kept per run for the charts (every step still counts in the statistics). */
export const MAX_COMPARE_POINTS = 1500;

export class CompareCancelled extends Error {}

export function compareBatchSizes(opts: CompareOptions): CompareResult {
  const n = opts.train.count;
  const examples = opts.examples ?? 3 * n;
  const now = opts.now ?? (() => performance.now() / 1000);
  const sizes = [...new Set(opts.batchSizes.map((m) => (m === 'full' ? n : Math.min(Math.max(1, Math.floor(m)), n))))];
  const runs: CompareRun[] = sizes.map((batchSize, r) => {
    const spec: ModelSpec = { ...opts.spec, batchSize, epochs: Math.ceil(examples / n) };
    const backend = opts.backendFactory?.(spec) ?? referenceBackend(spec.dtype);
    // 'norms' gives the noise scale at almost no cost; cosines and dead units are not needed here.
    const trainer = new Trainer({ spec, train: opts.train, validation: null, backend, stats: 'norms' });
    const losses: number[] = [];
    const seenAt: number[] = [];
    const timeAt: number[] = [];
    let noiseSum = 0;
    let noiseCount = 0;
    let seen = 0;
    const start = now();
    while (seen < examples && !trainer.done()) {
      if (opts.shouldCancel?.()) throw new CompareCancelled('The comparison was cancelled.');
      const s = trainer.trainStep();
      seen += s.batchSize;
      losses.push(s.loss);
      seenAt.push(seen);
      timeAt.push(now() - start);
      if (Number.isFinite(s.noiseScale)) { noiseSum += s.noiseScale; noiseCount++; }
      if (s.nonFinite) break;
      if (losses.length % 50 === 0) opts.onProgress?.(r, seen, examples);
    }
    opts.onProgress?.(r, seen, examples);
    const keep = Math.max(1, Math.ceil(losses.length / MAX_COMPARE_POINTS));
    const points = losses
      .map((loss, i) => ({ examplesSeen: seenAt[i], time: timeAt[i], loss }))
      .filter((_, i) => i % keep === 0 || i === losses.length - 1);
    return { batchSize, steps: losses.length, points, stepLossVariance: stepVariance(losses), noiseScale: noiseCount ? noiseSum / noiseCount : NaN, ...extras(losses, seenAt) };
  });
  return { runs, summary: summarize(runs, n) };
}

/** Variance of the step-to-step change of the loss: how much one update moves it. */
export function stepVariance(losses: number[]): number {
  if (losses.length < 3) return NaN;
  const d = losses.slice(1).map((l, i) => l - losses[i]);
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  return d.reduce((a, b) => a + (b - mean) ** 2, 0) / (d.length - 1);
}

/** The loss smoothed over examples seen (an exponential average over about 200 examples). */
function smoothed(losses: number[], seenAt: number[]): number[] {
  const out: number[] = [];
  let s = losses[0];
  let prevSeen = 0;
  for (let i = 0; i < losses.length; i++) {
    const w = 1 - Math.exp(-(seenAt[i] - prevSeen) / 200);
    s = i === 0 ? losses[0] : s + w * (losses[i] - s);
    prevSeen = seenAt[i];
    out.push(s);
  }
  return out;
}

function extras(losses: number[], seenAt: number[]): { smoothedMin: number; smooth: { seen: number; loss: number }[] } {
  const sm = smoothed(losses, seenAt);
  return { smoothedMin: Math.min(...sm), smooth: sm.map((loss, i) => ({ seen: seenAt[i], loss })) };
}

type RunWithSmooth = CompareRun & { smoothedMin?: number; smooth?: { seen: number; loss: number }[] };

function summarize(runs: RunWithSmooth[], n: number): string {
  if (runs.length < 2) return 'Choose at least two batch sizes to compare.';
  const label = (m: number): string => (m === 1 ? 'M = 1 (pure SGD)' : m >= n ? `M = ${m} (full batch)` : `M = ${m}`);
  const sorted = runs.slice().sort((a, b) => a.batchSize - b.batchSize);
  const small = sorted[0];
  const mid = sorted.find((r) => r.batchSize > small.batchSize && r.batchSize < n) ?? sorted[1];
  const sentences: string[] = [];
  if (Number.isFinite(small.stepLossVariance) && Number.isFinite(mid.stepLossVariance) && mid.stepLossVariance > 0) {
    const ratio = Math.sqrt(small.stepLossVariance / mid.stepLossVariance);
    sentences.push(`With ${label(small.batchSize)} the loss moved ${fmt(ratio)}× ${ratio >= 1 ? 'more' : 'less'} from step to step than with ${label(mid.batchSize)} (standard deviation of the step-to-step change).`);
  }
  // A loss level that the runs which really learned all reach (after smoothing), and when each got there.
  const first = (r: RunWithSmooth): number => r.smooth?.[0]?.loss ?? NaN;
  const learned = sorted.filter((r) => (r.smoothedMin ?? Infinity) < 0.8 * first(r));
  if (learned.length > 0) {
    const target = Math.max(...learned.map((r) => r.smoothedMin as number));
    const level = Number((target * 1.05).toPrecision(2));
    const reach = sorted.map((r) => ({ r, at: r.smooth?.find((p) => p.loss <= level)?.seen ?? null }));
    const got = reach.filter((x) => x.at !== null).map((x) => `${(x.at as number).toLocaleString('en-US')} examples with ${label(x.r.batchSize)} (${Math.ceil((x.at as number) / x.r.batchSize)} updates)`);
    const never = reach.filter((x) => x.at === null).map((x) => `${label(x.r.batchSize)} (${x.r.steps} updates) never got there`);
    sentences.push(`The smoothed loss reached ${level} after ${got.join(', ')}${never.length ? `; ${never.join(', ')}` : ''}, for the same ${(sorted[0].points[sorted[0].points.length - 1]?.examplesSeen ?? 0).toLocaleString('en-US')} examples seen.`);
  } else {
    sentences.push('None of the runs lowered the loss much in this many examples: try more epochs or another learning rate.');
  }
  const noise = sorted.map((r) => r.noiseScale).filter(Number.isFinite);
  if (noise.length) sentences.push(`The gradient noise scale B_simple averaged about ${fmt(noise.reduce((x, y) => x + y, 0) / noise.length)}: batches much larger than that barely reduce the noise, yet make fewer updates per example.`);
  for (const r of runs) { delete r.smoothedMin; delete r.smooth; }
  return sentences.join(' ');
}

function fmt(x: number): string {
  return x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1);
}
