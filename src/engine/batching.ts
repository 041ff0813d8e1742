// The batch schedule. Every epoch is a fresh seeded permutation of the training set (the Rng is
// seeded from spec.seed and the epoch number, so any epoch can be reproduced on its own), cut
// into batches of B = min(batchSize, N). When B does not divide N, the LAST batch of the epoch is
// kept as a smaller batch of N mod B examples rather than dropped or padded: every example is seen
// once per epoch, and StepStats.batchSize reports that smaller M, which is also the M of its mean.

import { Rng } from './random';
import { deriveSeed, Streams } from './seeds';

export class BatchSchedule {
  readonly batchSize: number;
  readonly stepsPerEpoch: number;

  constructor(
    readonly seed: number,
    readonly count: number,
    requestedBatchSize: number,
  ) {
    this.batchSize = Math.max(1, Math.min(requestedBatchSize, count));
    this.stepsPerEpoch = Math.ceil(count / this.batchSize);
  }

  /** The order of the training set in epoch `epoch` (1-based). */
  permutation(epoch: number): Int32Array {
    return new Rng(deriveSeed(this.seed, Streams.shuffle, epoch)).permutation(this.count);
  }

  /** [start, end) into that epoch's permutation for batch b (0-based) of the epoch. */
  range(b: number): [number, number] {
    const start = b * this.batchSize;
    return [start, Math.min(start + this.batchSize, this.count)];
  }
}

/** The example indices of the first batch of epoch 1: what a run trains on first. */
export function firstBatchIndices(seed: number, count: number, batchSize: number): number[] {
  const schedule = new BatchSchedule(seed, count, batchSize);
  const [start, end] = schedule.range(0);
  return Array.from(schedule.permutation(1).subarray(start, end));
}
