// The reference element-wise, reduction and optimizer kernels (see Backend for each contract).
// Sums accumulate in float64 whatever the storage type, so the float32 reference is as close to
// exact as its storage allows.

import type { Backend } from '../backend';
import type { FloatArray } from '../types';
import { ACTIVATION_MATH } from '../activations';

export const biasActivation: Backend['biasActivation'] = (m, n, activation, x, bias, out) => {
  if (activation === 'linear' && !bias) {
    if (out !== x) out.set(x.subarray(0, m * n));
    return;
  }
  const f = ACTIVATION_MATH[activation].forward;
  for (let i = 0; i < m; i++) {
    const row = i * n;
    if (bias) for (let j = 0; j < n; j++) out[row + j] = f(x[row + j] + bias[j]);
    else for (let j = 0; j < n; j++) out[row + j] = f(x[row + j]);
  }
};

export const channelBiasActivation: Backend['channelBiasActivation'] = (m, channels, positions, activation, z, bias, out) => {
  const f = ACTIVATION_MATH[activation].forward;
  for (let plane = 0; plane < m * channels; plane++) {
    const b = bias[plane % channels];
    for (let t = plane * positions, end = t + positions; t < end; t++) {
      z[t] += b;
      out[t] = f(z[t]);
    }
  }
};

export const activationBackward: Backend['activationBackward'] = (size, activation, z, y, gradOut, gradIn) => {
  if (activation === 'linear') {
    if (gradIn !== gradOut) gradIn.set(gradOut.subarray(0, size));
    return;
  }
  const back = ACTIVATION_MATH[activation].backward;
  for (let t = 0; t < size; t++) gradIn[t] = back(z[t], y[t], gradOut[t]);
};

export const columnSums: Backend['columnSums'] = (m, n, alpha, beta, x, out) => {
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += x[i * n + j];
    out[j] = beta === 0 ? alpha * s : alpha * s + beta * out[j];
  }
};

export const rowSums: Backend['rowSums'] = (m, n, alpha, x, out) => {
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = i * n, end = j + n; j < end; j++) s += x[j];
    out[i] = alpha * s;
  }
};

export const rowSumSquares: Backend['rowSumSquares'] = (m, n, x, out) => {
  for (let i = 0; i < m; i++) out[i] = sumSquares(x, i * n, n);
};

export const allFinite: Backend['allFinite'] = (n, x) => {
  for (let i = 0; i < n; i++) if (!Number.isFinite(x[i])) return false;
  return true;
};

// The SGD rule has one home, beside Adam.
export { sgdStep } from '../optimizers';

export const denseNormsSquared: Backend['denseNormsSquared'] = (m, p, q, withBias, a, delta, out) => {
  for (let i = 0; i < m; i++) {
    const sqA = sumSquares(a, i * p, p);
    const sqD = sumSquares(delta, i * q, q);
    out[i] = withBias ? sqA * sqD + sqD : sqA * sqD;
  }
};

export const outerBatch: Backend['outerBatch'] = (m, p, q, alpha, a, delta, out) => {
  const size = p * q;
  for (let i = 0; i < m; i++) {
    const base = i * size;
    for (let r = 0; r < p; r++) {
      const ar = alpha * a[i * p + r];
      const row = base + r * q;
      for (let s = 0; s < q; s++) out[row + s] = ar * delta[i * q + s];
    }
  }
};

function sumSquares(a: FloatArray, start: number, len: number): number {
  let s = 0;
  for (let i = start; i < start + len; i++) s += a[i] * a[i];
  return s;
}
