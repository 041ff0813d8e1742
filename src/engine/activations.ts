// Element-wise activations, forward and backward side by side. Used both as the `activation`
// field of dense/conv layers (fused) and as standalone layers.

import type { Activation } from '../model/spec';
import type { FloatArray } from './types';

export const LEAKY_RELU_SLOPE = 0.01;

/** y = act(z) over the first n entries. y may be the same array as z. */
export function activationForward(act: Activation, z: FloatArray, y: FloatArray, n: number): void {
  switch (act) {
    case 'linear':
      if (y !== z) y.set(z.subarray(0, n));
      return;
    case 'relu':
      // `v < 0 ? 0 : v` (not Math.max) so a NaN stays a NaN and non-finite detection sees it.
      for (let i = 0; i < n; i++) { const v = z[i]; y[i] = v < 0 ? 0 : v; }
      return;
    case 'leaky-relu':
      for (let i = 0; i < n; i++) { const v = z[i]; y[i] = v < 0 ? LEAKY_RELU_SLOPE * v : v; }
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) y[i] = Math.tanh(z[i]);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) y[i] = sigmoid(z[i]);
      return;
  }
}

/** dz = dy ⊙ act'(z), using z (pre-activation) or y (output), whichever the derivative needs. */
export function activationBackward(
  act: Activation, z: FloatArray, y: FloatArray, dy: FloatArray, dz: FloatArray, n: number,
): void {
  switch (act) {
    case 'linear':
      if (dz !== dy) dz.set(dy.subarray(0, n));
      return;
    case 'relu':
      for (let i = 0; i < n; i++) dz[i] = z[i] > 0 ? dy[i] : 0;
      return;
    case 'leaky-relu':
      for (let i = 0; i < n; i++) dz[i] = z[i] > 0 ? dy[i] : LEAKY_RELU_SLOPE * dy[i];
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) { const t = y[i]; dz[i] = dy[i] * (1 - t * t); }
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) { const s = y[i]; dz[i] = dy[i] * s * (1 - s); }
      return;
  }
}

function sigmoid(v: number): number {
  // Two branches so exp never overflows to Infinity/Infinity.
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}
