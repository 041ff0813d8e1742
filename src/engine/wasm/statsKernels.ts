// The WASM backend's per-example statistics of a dense layer through its Gram matrices (contract:
// Backend.denseGramStats). Both Gram matrices go in two blocks (they are symmetric: 3/4 of the
// products). KA = A·Aᵀ skips A's zeros where A is sparse (the first layer's MNIST pixels: 19 %
// nonzero) through the zero-skipping product of kernels/sparse.wat on A and transposed copies of
// its rows (32×32×784: 22 µs against 28 dense, measured; a row-at-a-time sparse kernel was slower,
// 27 µs). The m² combination runs in JS over the blocks.

import type { Backend } from '../backend';
import type { WasmContext } from './elementwise';
import { checkAll } from './elementwise';

/** A·Aᵀ skips A's zeros at most at this share of nonzeros (as the zero-skipping gemm). */
const SPARSE_MAX_DENSITY = 0.3;
/** Aᵀ·… products pack (transpose) the right operand when it has at most this many columns (as gemm.ts). */
const PACK_MAX_K = 256;

export function statsKernels({ arena, k }: WasmContext): Pick<Backend, 'denseGramStats'> {
  /** Whether A's zeros are worth skipping (judged on its first rows: both paths give the same numbers). */
  const sparseEnough = (m: number, p: number, pa: number): boolean => {
    const look = Math.min(m, 8);
    return p > 0 && m >= 4 && k.nonzero_count(look * p, pa) <= SPARSE_MAX_DENSITY * look * p;
  };
  /**
   * X·Xᵀ (X m×n at px) in two blocks, as it is symmetric: rows [0, h) against every column into k1
   * (h×m), rows [h, m) against columns [h, m) only into k2 ((m−h)×(m−h)); the rest is k1 transposed.
   * Each block is X's rows times a transposed copy of the rows it meets (the 4×8 tile's A·B), or
   * dot products for long rows. sparse: skipping X's zeros (kernels/sparse.wat); false when X is
   * not all finite (a skipped 0·x would hide a NaN or ∞): a non-finite xⱼ always shows on the
   * diagonal, a sum of squares in its own row's block, which multiplies every nonzero of that row.
   */
  const gram = (m: number, n: number, px: number, h: number, k1: number, k2: number, sparse: boolean): boolean => {
    const rest = m - h,
      pr = px + h * n * 4;
    const xt = sparse || (m >= 8 && n <= PACK_MAX_K) ? arena.reserve(n * m) : null;
    const list = sparse ? arena.reserve(5 * n + 5) : 0;
    if (xt === null || list === null) {
      if (sparse) return false;
      k.gemm_nt(h, m, n, 1, px, px, 0, k1);
      if (rest > 0) k.gemm_nt(rest, rest, n, 1, pr, pr, 0, k2);
      return true;
    }
    const product = (rows: number, cols: number, pa: number, out: number) => {
      if (sparse) k.gemm_sparse_a(rows, cols, n, 1, pa, n, 1, xt, out, list);
      else k.gemm_bn(rows, cols, n, 1, pa, n, 1, xt, 0, out);
    };
    const f = arena.f32;
    k.transpose(m, n, px, xt);
    product(h, m, px, k1);
    if (sparse) for (let j = 0; j < h; j++) if (!Number.isFinite(f[k1 / 4 + j * m + j])) return false;
    if (rest === 0) return true;
    k.transpose(rest, n, pr, xt);
    product(rest, rest, pr, k2);
    if (sparse) for (let j = 0; j < rest; j++) if (!Number.isFinite(f[k2 / 4 + j * rest + j])) return false;
    return true;
  };
  return {
    denseGramStats(m, p, q, withBias, a, delta, dots, squaredNorms) {
      checkAll('denseGramStats', ['a', a, m * p], ['delta', delta, m * q]);
      if (dots.length < m || squaredNorms.length < m) throw new Error(`denseGramStats: dots and squaredNorms need ${m} elements`);
      if (m === 0) return;
      arena.begin();
      const pa = arena.in(a, m * p),
        pd = arena.in(delta, m * q);
      // the first block: m/2 rows (whole 4-row tiles) from 16 on, 3/4 of the full products; else all
      const h = m >= 16 ? (m >> 3) << 2 : m,
        rest = m - h;
      const [a1, a2, d1, d2] = [h * m, rest * rest, h * m, rest * rest].map((n) => arena.reserve(n));
      if (a1 === null || a2 === null || d1 === null || d2 === null)
        throw new Error('WASM backend: no scratch space left for the Gram matrices');
      if (!(sparseEnough(m, p, pa) && gram(m, p, pa, h, a1, a2, true))) gram(m, p, pa, h, a1, a2, false);
      gram(m, q, pd, h, d1, d2, false);
      const f = arena.f32,
        [fa1, fa2, fd1, fd2] = [a1 / 4, a2 / 4, d1 / 4, d2 / 4],
        b = withBias ? 1 : 0;
      for (let i = 0; i < m; i++) {
        let s = 0;
        if (i < h) {
          const r = i * m;
          for (let j = 0; j < m; j++) s += f[fd1 + r + j] * (f[fa1 + r + j] + b);
          squaredNorms[i] = f[fd1 + r + i] * (f[fa1 + r + i] + b);
        } else {
          for (let j = 0; j < h; j++) s += f[fd1 + j * m + i] * (f[fa1 + j * m + i] + b);
          const r = (i - h) * rest - h;
          for (let j = h; j < m; j++) s += f[fd2 + r + j] * (f[fa2 + r + j] + b);
          squaredNorms[i] = f[fd2 + r + i] * (f[fa2 + r + i] + b);
        }
        dots[i] = s / m;
      }
    },
  };
}
