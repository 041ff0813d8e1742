// Optimizers: one update of one parameter tensor from its batch gradient G.
//   SGD:      g = G + wd·θ (weights only); v ← μ·v + g; step = g + μ·v (Nesterov) or v; θ ← θ − γ·step
//             (PyTorch's convention, no dampening; μ = 0 is plain SGD θ ← θ − γ·g)
//   Adam:     m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; θ ← θ − γ·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)
// `update` receives θ_after − θ_before, so views can show exactly what was applied.

import type { Backend } from './backend';
import type { FloatArray } from './types';
import type { OptimizerSpec } from '../model/spec';

export interface OptimizerState {
  first: FloatArray;
  second: FloatArray | null;
}

export function createOptimizerState(spec: OptimizerSpec, backend: Backend, size: number): OptimizerState {
  const needsFirst = spec.type === 'adam' || spec.momentum !== 0;
  return {
    first: backend.alloc(needsFirst ? size : 0),
    second: spec.type === 'adam' ? backend.alloc(size) : null,
  };
}

/**
 * Applies one step to `value`; t is the 1-based step number (Adam's bias correction). With `norms`
 * (≥ 3 long) it also writes [Σ grad², Σ θ_before², Σ update²] from the same pass (see Backend.sgdStep).
 */
export function applyUpdate(
  spec: OptimizerSpec,
  state: OptimizerState,
  t: number,
  isWeight: boolean,
  value: FloatArray,
  grad: FloatArray,
  update: FloatArray,
  norms: Float64Array | null = null,
): void {
  const lr = spec.learningRate;
  const wd = isWeight ? spec.weightDecay : 0;
  const n = value.length;
  if (spec.type === 'adam') {
    const { beta1, beta2, epsilon } = spec;
    const m = state.first,
      v = state.second!;
    const c1 = 1 - Math.pow(beta1, t),
      c2 = 1 - Math.pow(beta2, t);
    let sg = 0,
      sv = 0,
      su = 0;
    for (let i = 0; i < n; i++) {
      const before = value[i];
      const g = grad[i] + wd * before;
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      value[i] = before - (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + epsilon);
      update[i] = value[i] - before;
      sg += grad[i] * grad[i];
      sv += before * before;
      su += update[i] * update[i];
    }
    if (norms) setNorms(norms, sg, sv, su);
    return;
  }
  sgdStep(n, lr, wd, spec.momentum, spec.nesterov, grad, value, spec.momentum !== 0 ? state.first : null, update, norms);
}

/** One SGD step over n values (every backend's sgdStep matches this): see Backend.sgdStep. */
export const sgdStep: Backend['sgdStep'] = (n, lr, weightDecay, momentum, nesterov, grad, value, velocity, update, norms) => {
  if (momentum !== 0 && !velocity) throw new Error('sgdStep: momentum needs a velocity buffer');
  if (norms && norms.length < 3) throw new Error(`sgdStep: norms needs 3 elements, the array has ${norms.length}`);
  let sg = 0,
    sv = 0,
    su = 0;
  for (let i = 0; i < n; i++) {
    const before = value[i];
    let g = grad[i] + weightDecay * before;
    if (momentum !== 0) {
      velocity![i] = momentum * velocity![i] + g;
      g = nesterov ? g + momentum * velocity![i] : velocity![i];
    }
    value[i] = before - lr * g;
    update[i] = value[i] - before;
    sg += grad[i] * grad[i];
    sv += before * before;
    su += update[i] * update[i];
  }
  if (norms) setNorms(norms, sg, sv, su);
  // float64 sum of squared float32 values cannot overflow: it is finite exactly when every update
  // is, and a non-finite θ_after (from a finite θ_before) makes its update non-finite
  return Number.isFinite(su);
};

function setNorms(norms: Float64Array, gradSq: number, valueSq: number, updateSq: number): void {
  norms[0] = gradSq;
  norms[1] = valueSq;
  norms[2] = updateSq;
}
