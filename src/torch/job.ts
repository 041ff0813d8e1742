// The job a PyTorch run is handed: the model file's spec, the built-in engine's initial weights
// and the engine's exact batch schedule, so PyTorch's first steps are the engine's first steps.
// Written as a folder (python/gradlens/job.py reads it): job.json plus raw float32/int32 data,
// which every rank reads itself instead of it crossing a pipe once per rank.

import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ModelSpec } from '../model/spec';
import type { Dataset } from '../data/dataset';
import type { NamedTensor } from '../engine/trainer';
import { BatchSchedule } from '../engine/batching';

export interface PlannedStep {
  step: number;
  epoch: number;
  batchInEpoch: number;
  indices: number[];
}

export interface TorchJob {
  spec: ModelSpec;
  train: Dataset;
  validation: Dataset | null;
  /** The engine Trainer's initial parameters (getWeights()). */
  weights: NamedTensor[];
  /** Train at most this many steps (default: all of spec.epochs). */
  maxSteps?: number;
}

/** The engine's schedule (src/engine/batching.ts): the same permutation and cut of every epoch. */
export function planSteps(spec: ModelSpec, trainCount: number, maxSteps?: number): { steps: PlannedStep[]; epochEnds: number[] } {
  const schedule = new BatchSchedule(spec.seed, trainCount, spec.batchSize);
  const total = Math.min(schedule.stepsPerEpoch * spec.epochs, maxSteps ?? Infinity);
  const steps: PlannedStep[] = [];
  const epochEnds: number[] = [];
  let permutation: Int32Array | null = null;
  for (let t = 0; t < total; t++) {
    const epoch = Math.floor(t / schedule.stepsPerEpoch) + 1;
    const batchInEpoch = t % schedule.stepsPerEpoch;
    if (batchInEpoch === 0 || !permutation) permutation = schedule.permutation(epoch);
    const [start, end] = schedule.range(batchInEpoch);
    steps.push({ step: t + 1, epoch, batchInEpoch, indices: Array.from(permutation.subarray(start, end)) });
    if (batchInEpoch === schedule.stepsPerEpoch - 1) epochEnds.push(t + 1);
  }
  return { steps, epochEnds };
}

/** Writes the job into a fresh temporary folder and returns its path (remove it with removeJob). */
export function writeJob(job: TorchJob): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gradlens-torch-'));
  const { steps, epochEnds } = planSteps(job.spec, job.train.count, job.maxSteps);
  const raw = (name: string, data: Float32Array | Int32Array): void => {
    writeFileSync(path.join(dir, name), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  };
  raw('train_x.f32', job.train.x);
  raw('train_y.i32', job.train.y);
  if (job.validation && job.validation.count > 0) {
    raw('val_x.f32', job.validation.x);
    raw('val_y.i32', job.validation.y);
  }
  const meta = {
    spec: job.spec,
    inputShape: job.train.inputShape,
    numClasses: job.train.numClasses,
    trainCount: job.train.count,
    validationCount: job.validation?.count ?? 0,
    weights: job.weights,
    steps,
    epochEnds,
  };
  // job.json last and by rename: a rank that sees it sees a complete job.
  const tmp = path.join(dir, 'job.json.tmp');
  writeFileSync(tmp, JSON.stringify(meta));
  renameSync(tmp, path.join(dir, 'job.json'));
  return dir;
}

export function removeJob(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
