// Losses, per example, with the backward seed ∂Lᵢ/∂outputᵢ (NOT divided by M: layers average).
//   mse:           Lᵢ = ½‖f(xᵢ) − onehot(yᵢ)‖²,  ∂Lᵢ/∂f = f(xᵢ) − onehot(yᵢ)
//   cross-entropy: Lᵢ = logsumexp(zᵢ) − zᵢ[yᵢ] (stable: shifted by max), ∂Lᵢ/∂z = softmax(zᵢ) − onehot(yᵢ)
// The batch loss is the mean (1/M)·Σᵢ Lᵢ.

import type { LossName } from '../model/spec';
import type { FloatArray } from './types';

export interface LossResult {
  loss: number;
  correct: number;
}

/**
 * Fills perExample[0..m) with Lᵢ, predictions[0..m) with argmax, and seed (if given) with ∂Lᵢ/∂outᵢ.
 * Returns the mean loss and the number of correct predictions.
 */
export function computeLoss(
  kind: LossName,
  out: FloatArray,
  labels: Int32Array,
  m: number,
  classes: number,
  perExample: Float64Array,
  predictions: Int32Array,
  seed: FloatArray | null,
): LossResult {
  let total = 0;
  let correct = 0;
  for (let i = 0; i < m; i++) {
    const row = i * classes;
    const y = labels[i];
    let best = 0;
    let max = out[row];
    for (let j = 1; j < classes; j++)
      if (out[row + j] > max) {
        max = out[row + j];
        best = j;
      }
    predictions[i] = best;
    if (best === y) correct++;
    let li: number;
    if (kind === 'cross-entropy') {
      // e^(zⱼ − max) once per class, kept for the seed: exp is most of a small loss's cost
      const e = expScratch(classes);
      let sum = 0;
      for (let j = 0; j < classes; j++) sum += e[j] = Math.exp(out[row + j] - max);
      const logSum = max + Math.log(sum);
      li = logSum - out[row + y];
      // softmax(z)ⱼ = e^(zⱼ − logSum) = e^(zⱼ − max)·e^(max − logSum), the same rounding of logSum as the loss
      if (seed) {
        const scale = Math.exp(max - logSum);
        for (let j = 0; j < classes; j++) seed[row + j] = e[j] * scale - (j === y ? 1 : 0);
      }
    } else {
      li = 0;
      for (let j = 0; j < classes; j++) {
        const d = out[row + j] - (j === y ? 1 : 0);
        li += 0.5 * d * d;
        if (seed) seed[row + j] = d;
      }
    }
    perExample[i] = li;
    total += li;
  }
  return { loss: total / m, correct };
}

let exps = new Float64Array(64);
/** A reused float64 row for the exponentials (grown once for a model with more classes). */
function expScratch(classes: number): Float64Array {
  if (exps.length < classes) exps = new Float64Array(classes);
  return exps;
}
