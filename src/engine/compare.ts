// SGD (M = 1), mini-batch and full batch, side by side, fairly: the same model, seed, initial
// weights and data, the same number of examples seen, and for each batch size a learning rate that
// suits it (by default a short seeded sweep chosen by validation loss). Reports per run the
// smoothed training loss and the validation loss at shared checkpoints (against examples seen,
// updates and seconds), examples per second, activation memory, how much the loss jumps from step
// to step, the gradient noise scale, and a summary in plain words built only from those numbers.

import type { ModelSpec } from '../model/spec';
import type { Dataset } from '../data/dataset';
import type { Backend } from './backend';
import { Trainer } from './trainer';
import { referenceBackend } from './reference';
import { summarizeComparison, SWEEP_MIN_UPDATES } from './compareSummary';

/** How each batch size gets its learning rate. */
export type RateMode = 'sweep' | 'file' | 'linear';

export { RATE_MODE_NAMES, SWEEP_MIN_UPDATES } from './compareSummary';

/** One learning rate tried by the sweep. */
export interface RateTrial {
  learningRate: number;
  /** Validation loss (training-set loss when there is no validation set) after the sweep's examples; null if it diverged. */
  loss: number | null;
}

export interface ComparePoint {
  examplesSeen: number;
  updates: number;
  /** Seconds of training so far (evaluations excluded). */
  time: number;
  /** This batch's mean loss (one example's loss when M = 1). */
  loss: number;
  /** The batch loss averaged over about the last 200 examples seen: the model's training loss. */
  smoothedLoss: number;
}

/** The whole validation set evaluated at a checkpoint shared by all runs (the same examples seen). */
export interface CompareCheckpoint {
  examplesSeen: number;
  updates: number;
  time: number;
  validationLoss: number;
  validationAccuracy: number;
}

/** One run of the batch-size comparison. */
export interface CompareRun {
  batchSize: number;
  /** The learning rate this run used, and how it was chosen. */
  learningRate: number;
  rateMode: RateMode;
  /** The sweep's trials (empty unless rateMode is 'sweep'). */
  rateTrials: RateTrial[];
  /** Examples each of this run's sweep trials saw (0 without a sweep). */
  rateTrialExamples: number;
  momentum: number;
  /** Updates made (every step; `points` may be thinned for drawing). */
  steps: number;
  examplesSeen: number;
  /** Seconds of training (evaluations excluded). */
  seconds: number;
  examplesPerSecond: number;
  /** Activations and their gradients kept for one step's back-propagation, in bytes. */
  activationBytes: number;
  /** Whole validation set at the end; null when there is none (see notApplicable.validation). */
  validation: { loss: number; accuracy: number } | null;
  /** σ of the change of the batch loss from one update to the next; null with fewer than 3 updates. */
  stepLossSigma: number | null;
  /** Mean B_simple = tr(Σ)/‖G‖² over the run's updates; null for M = 1. */
  noiseScale: number | null;
  /** Why a value above is null, by field name. */
  notApplicable: Partial<Record<'validation' | 'stepLossSigma' | 'noiseScale', string>>;
  points: ComparePoint[];
  checkpoints: CompareCheckpoint[];
  /** Σθ² of the initial weights: equal for every run when they all start from the same weights. */
  initialWeightsFingerprint: number;
  seed: number;
}

export interface CompareResult {
  runs: CompareRun[];
  rateMode: RateMode;
  /** Examples each run saw. */
  examples: number;
  /** Examples each sweep trial saw. */
  sweepExamples: number;
  /** Wall seconds of the whole comparison, sweep and evaluations included. */
  seconds: number;
  /** What the loss that chose the rates was measured on. */
  chosenBy: 'validation' | 'training';
  summary: string;
}

export interface CompareOptions {
  spec: ModelSpec;
  train: Dataset;
  /** The held-out set for checkpoints and for choosing rates (null: the training set chooses, and no validation is reported). */
  validation?: Dataset | null;
  /** Batch sizes; 'full' means the whole training set. */
  batchSizes: (number | 'full')[];
  /** Examples each run sees (default: 3 epochs of the training set). */
  examples?: number;
  /** Default 'sweep'. */
  rateMode?: RateMode;
  /** Examples each sweep trial sees (default: one epoch; at least 10 updates; at most `examples`). */
  sweepExamples?: number;
  /** A fresh backend per run (each trainer allocates its own buffers). */
  backendFactory?: (spec: ModelSpec) => Backend;
  onProgress?: (run: number, examplesSeen: number, examplesTotal: number) => void;
  shouldCancel?: () => boolean;
  /** Wall clock in seconds; injectable so tests can be exact. */
  now?: () => number;
}

/** Points kept per run for the charts (every step still counts in the statistics). */
export const MAX_COMPARE_POINTS = 1500;
/** Validation checkpoints per run, at the same examples seen for every run. */
export const COMPARE_CHECKPOINTS = 12;
/** The sweep's factors around the centre rate: 5 rates, log-spaced by √10. */
export const SWEEP_FACTORS = [0.1, 0.316, 1, 3.16, 10];

export class CompareCancelled extends Error {}

export function compareBatchSizes(opts: CompareOptions): CompareResult {
  const n = opts.train.count;
  const examples = opts.examples ?? 3 * n;
  const mode = opts.rateMode ?? 'sweep';
  const sweepExamples = Math.min(examples, opts.sweepExamples ?? n);
  const now = opts.now ?? (() => performance.now() / 1000);
  const validation = opts.validation && opts.validation.count > 0 ? opts.validation : null;
  const started = now();
  const sizes = [...new Set(opts.batchSizes.map((m) => (m === 'full' ? n : Math.min(Math.max(1, Math.floor(m)), n))))];
  const fileRate = opts.spec.optimizer.learningRate;
  const fileBatch = Math.min(Math.max(1, opts.spec.batchSize), n);
  const runs = sizes.map((batchSize, r): CompareRun => {
    const scaled = (fileRate * batchSize) / fileBatch;
    let learningRate = mode === 'file' ? fileRate : scaled;
    const rateTrials: RateTrial[] = [];
    // A trial sees the sweep's examples, and at least SWEEP_MIN_UPDATES updates (capped by the run's
    // length), so a big batch is not judged on its first update alone.
    const trialExamples = Math.min(examples, Math.max(sweepExamples, SWEEP_MIN_UPDATES * batchSize));
    if (mode === 'sweep') {
      for (const f of SWEEP_FACTORS) {
        const rate = Number((scaled * f).toPrecision(3));
        const trial = train(opts, batchSize, rate, trialExamples, validation, null, now, false);
        rateTrials.push({ learningRate: rate, loss: trial.finalLoss });
      }
      const best = rateTrials.filter((t) => t.loss !== null).sort((a, b) => (a.loss as number) - (b.loss as number))[0];
      learningRate = best ? best.learningRate : Number((scaled * SWEEP_FACTORS[0]).toPrecision(3));
    }
    const run = train(
      opts,
      batchSize,
      learningRate,
      examples,
      validation,
      (seen) => opts.onProgress?.(r, seen, examples),
      now,
      true,
    );
    return { ...run.run, rateMode: mode, rateTrials, rateTrialExamples: mode === 'sweep' ? trialExamples : 0 };
  });
  const result: CompareResult = {
    runs,
    rateMode: mode,
    examples,
    sweepExamples: mode === 'sweep' ? sweepExamples : 0,
    seconds: now() - started,
    chosenBy: validation ? 'validation' : 'training',
    summary: '',
  };
  result.summary = summarizeComparison(result, n);
  return result;
}

interface TrainedRun {
  run: Omit<CompareRun, 'rateMode' | 'rateTrials' | 'rateTrialExamples'>;
  finalLoss: number | null;
}

/** One seeded run: every run starts from the same initial weights and the same shuffling seed. */
function train(
  opts: CompareOptions,
  batchSize: number,
  learningRate: number,
  examples: number,
  validation: Dataset | null,
  onProgress: ((seen: number) => void) | null,
  now: () => number,
  withCheckpoints: boolean,
): TrainedRun {
  const n = opts.train.count;
  const spec: ModelSpec = {
    ...opts.spec,
    batchSize,
    epochs: Math.ceil(examples / n),
    optimizer: { ...opts.spec.optimizer, learningRate },
  };
  const backend = opts.backendFactory?.(spec) ?? referenceBackend(spec.dtype);
  // 'norms' gives the noise scale at almost no cost; cosines and dead units are not needed here.
  const trainer = new Trainer({ spec, train: opts.train, validation, backend, stats: 'norms' });
  const fingerprint = trainer.getWeights().reduce((s, w) => s + w.value.reduce((a, v) => a + v * v, 0), 0);
  const every = Math.max(1, Math.round(examples / COMPARE_CHECKPOINTS));
  const losses: number[] = [];
  const all: ComparePoint[] = [];
  const checkpoints: CompareCheckpoint[] = [];
  let noiseSum = 0,
    noiseCount = 0,
    seen = 0,
    seconds = 0,
    smooth = NaN,
    nextCheck = every,
    diverged = false;
  const checkpoint = (): void => {
    if (!validation || !withCheckpoints) return;
    const e = trainer.evaluate();
    checkpoints.push({
      examplesSeen: seen,
      updates: losses.length,
      time: seconds,
      validationLoss: e.validationLoss as number,
      validationAccuracy: e.validationAccuracy as number,
    });
  };
  while (seen < examples && !trainer.done()) {
    if (opts.shouldCancel?.()) throw new CompareCancelled('The comparison was cancelled.');
    const t0 = now();
    const s = trainer.trainStep();
    seconds += now() - t0;
    const before = seen;
    seen += s.batchSize;
    losses.push(s.loss);
    smooth = Number.isNaN(smooth) ? s.loss : smooth + (1 - Math.exp(-(seen - before) / 200)) * (s.loss - smooth);
    all.push({ examplesSeen: seen, updates: losses.length, time: seconds, loss: s.loss, smoothedLoss: smooth });
    if (Number.isFinite(s.noiseScale)) {
      noiseSum += s.noiseScale;
      noiseCount++;
    }
    if (s.nonFinite || !Number.isFinite(s.loss)) {
      diverged = true;
      break;
    }
    if (seen >= nextCheck) {
      checkpoint();
      while (nextCheck <= seen) nextCheck += every;
    }
    if (onProgress && losses.length % 50 === 0) onProgress(seen);
  }
  onProgress?.(seen);
  if (!diverged && validation && withCheckpoints && checkpoints[checkpoints.length - 1]?.examplesSeen !== seen) checkpoint();
  const end = diverged ? null : trainer.evaluate();
  const keep = Math.max(1, Math.ceil(all.length / MAX_COMPARE_POINTS));
  const points = all.filter((_, i) => i % keep === 0 || i === all.length - 1);
  const sigma = stepSigma(losses);
  const notApplicable: CompareRun['notApplicable'] = {};
  if (!validation) notApplicable.validation = 'the model file holds out no validation set (data.validationSplit is 0)';
  else if (!end) notApplicable.validation = 'the run diverged (the loss became NaN or infinite)';
  if (sigma === null) notApplicable.stepLossSigma = `it needs at least 3 updates; this run made ${losses.length}`;
  if (noiseCount === 0)
    notApplicable.noiseScale =
      batchSize < 2
        ? 'it needs at least 2 examples per batch to see their spread'
        : 'the batch gradient was zero or the run diverged';
  const finalLoss = end ? (validation ? end.validationLoss : end.trainLoss) : null;
  return {
    finalLoss: finalLoss !== null && Number.isFinite(finalLoss) ? finalLoss : null,
    run: {
      batchSize,
      learningRate,
      momentum: spec.optimizer.type === 'sgd' ? spec.optimizer.momentum : 0,
      steps: losses.length,
      examplesSeen: seen,
      seconds,
      examplesPerSecond: seconds > 0 ? seen / seconds : NaN,
      activationBytes: activationBytes(trainer, batchSize, spec.dtype === 'float64' ? 8 : 4),
      validation: end && validation ? { loss: end.validationLoss as number, accuracy: end.validationAccuracy as number } : null,
      stepLossSigma: sigma,
      noiseScale: noiseCount ? noiseSum / noiseCount : null,
      notApplicable,
      points,
      checkpoints,
      initialWeightsFingerprint: fingerprint,
      seed: spec.seed,
    },
  };
}

/** The input batch and every layer's output, and a gradient of the same size for each, for M examples. */
function activationBytes(t: Trainer, m: number, bytes: number): number {
  const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
  const values = size(t.layers[0]?.inputShape ?? []) + t.layers.reduce((a, l) => a + size(l.outputShape), 0);
  return 2 * m * values * bytes;
}

/** σ of the step-to-step change of the loss: how much one update moves it (null below 3 updates). */
export function stepSigma(losses: number[]): number | null {
  if (losses.length < 3) return null;
  const d = losses.slice(1).map((l, i) => l - losses[i]);
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  return Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / (d.length - 1));
}
