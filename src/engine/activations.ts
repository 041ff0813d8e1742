// The math of every activation, forward and derivative side by side: the one table the reference
// backend computes with and the WASM kernels are tested against. Which activations exist is the
// model format's list (src/model/fields.ts); `Record<Activation, …>` makes the compiler ask for the
// math of each one.

import type { Activation } from '../model/spec';
import { LEAKY_RELU_SLOPE } from '../model/fields';

export { LEAKY_RELU_SLOPE };

export interface ActivationMath {
  /** The formula, as shown to users and in the model file's documentation. */
  readonly formula: string;
  /** y = f(z). Keeps NaN a NaN (non-finite detection must see it). */
  forward(z: number): number;
  /**
   * g·f′(z), given z, y = f(z) (each uses whichever is cheaper) and the upstream gradient g. Where
   * f′ is 0 the result is exactly 0, even for a non-finite g; at a kink, the value stated beside it.
   */
  backward(z: number, y: number, g: number): number;
}

export const ACTIVATION_MATH: Readonly<Record<Activation, ActivationMath>> = {
  linear: { formula: 'z', forward: (z) => z, backward: (_z, _y, g) => g },
  // `z < 0 ? 0 : z` (not Math.max) so a NaN stays a NaN; f′(0) = 0.
  relu: { formula: 'max(0, z)', forward: (z) => (z < 0 ? 0 : z), backward: (z, _y, g) => (z > 0 ? g : 0) },
  // f′(0) = slope.
  'leaky-relu': {
    formula: `z for z > 0, ${LEAKY_RELU_SLOPE}·z otherwise`,
    forward: (z) => (z < 0 ? LEAKY_RELU_SLOPE * z : z),
    backward: (z, _y, g) => (z > 0 ? g : LEAKY_RELU_SLOPE * g),
  },
  tanh: { formula: 'tanh(z)', forward: Math.tanh, backward: (_z, y, g) => g * (1 - y * y) },
  sigmoid: { formula: '1 / (1 + e^−z)', forward: sigmoid, backward: (_z, y, g) => g * y * (1 - y) },
};

/** True for the activations with a kink at 0 whose sign pattern the gradient check must hold fixed. */
export function isReluLike(a: string): boolean {
  return a === 'relu' || a === 'leaky-relu';
}

function sigmoid(v: number): number {
  // Two branches so exp never overflows to Infinity/Infinity.
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}
