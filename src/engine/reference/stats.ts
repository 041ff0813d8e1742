// The reference backend's per-example statistics of a dense layer through its Gram matrices, in
// plain TypeScript (contract: Backend.denseGramStats): every aᵢ·aⱼ and δᵢ·δⱼ summed in float64.

import type { Backend } from '../backend';
import type { FloatArray } from '../types';

export const denseGramStats: Backend['denseGramStats'] = (m, p, q, withBias, a, delta, dots, squaredNorms) => {
  const b = withBias ? 1 : 0;
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < m; j++) s += rowDot(delta, i, j, q) * (rowDot(a, i, j, p) + b);
    // as denseNormsSquared rounds it (‖aᵢ‖²·‖δᵢ‖² + ‖δᵢ‖²), so the 'norms' level gives the same numbers
    const sqA = rowDot(a, i, i, p),
      sqD = rowDot(delta, i, i, q);
    squaredNorms[i] = withBias ? sqA * sqD + sqD : sqA * sqD;
    dots[i] = s / m;
  }
};

/** Row i · row j of an n-column matrix. */
function rowDot(x: FloatArray, i: number, j: number, n: number): number {
  let s = 0;
  for (let t = 0; t < n; t++) s += x[i * n + t] * x[j * n + t];
  return s;
}
