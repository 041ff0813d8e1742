// The math of every activation, forward and derivative side by side: the one table the reference
// backend computes with and the WASM kernels are tested against. Which activations exist is the
// model format's list (src/model/fields.ts); `Record<Activation, …>` makes the compiler ask for the
// math of each one.

import type { Activation } from '../model/spec';
import { LEAKY_RELU_SLOPE } from '../model/fields';

export { LEAKY_RELU_SLOPE };

/** √(2/π) and the cubic coefficient of GELU's tanh approximation (Hendrycks & Gimpel 2016). */
export const GELU_SCALE = Math.sqrt(2 / Math.PI);
export const GELU_CUBIC = 0.044715;

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
  // GELU needs z for its derivative (it is not invertible from y). Computed through the identity
  // 0.5·(1 + tanh u) = σ(2u) = 1 / (1 + e^−2u), which keeps full precision where 1 + tanh u cancels.
  gelu: {
    formula: `0.5·z·(1 + tanh(√(2/π)·(z + ${GELU_CUBIC}·z³))), the tanh approximation`,
    forward: (z) => z / (1 + Math.exp(-2 * geluU(z))),
    backward: (z, _y, g) => {
      const e = Math.exp(-2 * geluU(z));
      if (e === Infinity) return 0 * g; // σ(2u) and its slope are 0 (below about z = −10)
      const d = 1 + e;
      // σ(2u) + 2·z·σ(2u)·(1 − σ(2u))·u′, with σ(1 − σ) = e/d²
      return g * (1 / d + 2 * z * GELU_SCALE * (1 + 3 * GELU_CUBIC * z * z) * (e / (d * d)));
    },
  },
};

/** True for the activations with a kink at 0 whose sign pattern the gradient check must hold fixed. */
export function isReluLike(a: string): boolean {
  return a === 'relu' || a === 'leaky-relu';
}

/** u = √(2/π)·(z + 0.044715·z³), the argument of GELU's tanh. */
function geluU(z: number): number {
  return GELU_SCALE * (z + GELU_CUBIC * z * z * z);
}

function sigmoid(v: number): number {
  // Two branches so exp never overflows to Infinity/Infinity.
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}
