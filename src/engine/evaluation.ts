// The per-example outputs of a batch (labels, predictions, losses) and loss and accuracy over a
// whole set, run through a network in chunks of its largest batch.

import type { Dataset } from '../data/dataset';
import type { FloatArray } from './types';
import type { LossName } from '../model/spec';
import type { Network } from './network';
import { computeLoss } from './loss';

export class BatchOutputs {
  readonly labels: Int32Array;
  readonly predictions: Int32Array;
  readonly perExampleLoss: Float64Array;

  constructor(size: number) {
    this.labels = new Int32Array(size);
    this.predictions = new Int32Array(size);
    this.perExampleLoss = new Float64Array(size);
  }

  /** Copies examples `indices` of `set` into the rows of `input` (exampleSize each) and their labels into labels. */
  gather(set: Dataset, indices: number[], input: FloatArray, exampleSize: number): void {
    for (let i = 0; i < indices.length; i++) {
      const src = indices[i] * exampleSize;
      input.set(set.x.subarray(src, src + exampleSize), i * exampleSize);
      this.labels[i] = set.y[indices[i]];
    }
  }

  /** The loss of the first m rows of `out`; gradOut (∂Lᵢ/∂outᵢ) is written when given. */
  loss(
    kind: LossName,
    out: FloatArray,
    m: number,
    outputs: number,
    gradOut: FloatArray | null,
  ): { loss: number; correct: number } {
    return computeLoss(kind, out, this.labels, m, outputs, this.perExampleLoss, this.predictions, gradOut);
  }

  /** Labels, predictions and per-example losses of the first m examples, as plain arrays. */
  rows(m: number): { labels: number[]; predictions: number[]; perExampleLoss: number[] } {
    return {
      labels: Array.from(this.labels.subarray(0, m)),
      predictions: Array.from(this.predictions.subarray(0, m)),
      perExampleLoss: Array.from(this.perExampleLoss.subarray(0, m)),
    };
  }
}

/** Mean loss and accuracy over every example of `set`, through `net` in chunks of its largest batch. */
export function evaluateSet(
  net: Network,
  kind: LossName,
  set: Dataset,
  outputs: BatchOutputs,
): { loss: number; accuracy: number } {
  const chunk = net.maxBatch;
  let total = 0,
    correct = 0;
  const indices: number[] = [];
  for (let start = 0; start < set.count; start += chunk) {
    const m = Math.min(chunk, set.count - start);
    indices.length = m;
    for (let i = 0; i < m; i++) indices[i] = start + i;
    outputs.gather(set, indices, net.input, net.inputSize);
    const r = outputs.loss(kind, net.forward(m), m, net.outputSize, null);
    total += r.loss * m;
    correct += r.correct;
  }
  return { loss: total / set.count, accuracy: correct / set.count };
}
