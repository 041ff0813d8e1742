// Seeded initial weights: He-normal (std √(2/fan_in)) for layers whose output goes through a
// ReLU or leaky ReLU, Glorot-uniform (±√(6/(fan_in + fan_out))) otherwise; biases start at 0.

import { Rng } from './random';
import type { FloatArray } from './types';

export function initWeights(rng: Rng, weights: FloatArray, fanIn: number, fanOut: number, followedByRelu: boolean): void {
  if (followedByRelu) {
    const std = Math.sqrt(2 / fanIn);
    for (let i = 0; i < weights.length; i++) weights[i] = rng.normal() * std;
  } else {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < weights.length; i++) weights[i] = (2 * rng.next() - 1) * limit;
  }
}
