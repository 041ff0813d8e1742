// The WASM backend's per-example statistics of a dense layer through its Gram matrices (contract:
// Backend.denseGramStats). KA = A·Aᵀ skips A's zeros where A is sparse (the first layer's MNIST
// pixels: 19 % nonzero) through the zero-skipping product of kernels/sparse.wat on A and a
// transposed copy of it (one call for all of KA: 22 µs against 28 dense for 32×32×784, measured;
// a row-at-a-time sparse kernel was slower, 27 µs); else KA is one dense product, as KΔ = Δ·Δᵀ always
// is. The m² combination runs in JS over the two m×m results.

import type { Backend } from '../backend';
import type { WasmContext } from './elementwise';
import { checkAll } from './elementwise';

/** A·Aᵀ skips A's zeros at most at this share of nonzeros (as the zero-skipping gemm). */
const SPARSE_MAX_DENSITY = 0.3;
/** Aᵀ·… products pack (transpose) the right operand when it has at most this many columns (as gemm.ts). */
const PACK_MAX_K = 256;

export function statsKernels({ arena, k }: WasmContext): Pick<Backend, 'denseGramStats'> {
  /** out (m×m) = X·Xᵀ for X m×n at px, dense. */
  const gramDense = (m: number, n: number, px: number, out: number) => {
    const packed = m >= 8 && n <= PACK_MAX_K ? arena.reserve(m * n) : null;
    if (packed === null) return k.gemm_nt(m, m, n, 1, px, px, 0, out);
    k.transpose(m, n, px, packed);
    k.gemm_bn(m, m, n, 1, px, n, 1, packed, 0, out);
  };
  return {
    denseGramStats(m, p, q, withBias, a, delta, dots, squaredNorms) {
      checkAll('denseGramStats', ['a', a, m * p], ['delta', delta, m * q]);
      if (dots.length < m || squaredNorms.length < m) throw new Error(`denseGramStats: dots and squaredNorms need ${m} elements`);
      if (m === 0) return;
      arena.begin();
      const pa = arena.in(a, m * p),
        pd = arena.in(delta, m * q);
      const ka = arena.reserve(m * m),
        kd = arena.reserve(m * m);
      if (ka === null || kd === null) throw new Error('WASM backend: no scratch space left for the Gram matrices');
      // Skipping A's zeros needs a finite A (its transpose is the other operand: 0·∞ must stay NaN).
      const sparse = p > 0 && m >= 4 && k.nonzero_count(m * p, pa) <= SPARSE_MAX_DENSITY * m * p && k.all_finite(m * p, pa) === 1;
      const at = sparse ? arena.reserve(p * m) : null;
      const list = sparse ? arena.reserve(5 * p + 5) : null;
      if (at !== null && list !== null) {
        k.transpose(m, p, pa, at);
        k.gemm_sparse_a(m, m, p, 1, pa, p, 1, at, ka, list);
      } else gramDense(m, p, pa, ka);
      gramDense(m, q, pd, kd);
      const f = arena.f32,
        fa = ka / 4,
        fd = kd / 4,
        b = withBias ? 1 : 0;
      for (let i = 0; i < m; i++) {
        let s = 0;
        const rd = fd + i * m,
          ra = fa + i * m;
        for (let j = 0; j < m; j++) s += f[rd + j] * (f[ra + j] + b);
        dots[i] = s / m;
        squaredNorms[i] = f[rd + i] * (f[ra + i] + b);
      }
    },
  };
}
