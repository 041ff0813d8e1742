// The WASM backend's per-example statistics of a dense layer through its Gram matrices (contract:
// Backend.denseGramStats), in three kernel calls (kernels/gramstats.wat): the upper triangles of
// KA = A·Aᵀ and KΔ = Δ·Δᵀ by dot products on the rows as they are (no transposed copies), then
// their combination in float64. Where A is sparse (the first layer's MNIST pixels: 19 % nonzero)
// KA instead skips A's zeros through the zero-skipping product of kernels/sparse.wat on A and
// transposed copies of its rows, in two blocks (3/4 of the products, one transpose of A).

import type { Backend } from '../backend';
import type { WasmContext } from './elementwise';
import { checkAll } from './elementwise';

/** A·Aᵀ skips A's zeros at most at this share of nonzeros (as the zero-skipping gemm). */
const SPARSE_MAX_DENSITY = 0.3;

export function statsKernels({ arena, k }: WasmContext): Pick<Backend, 'denseGramStats'> {
  /** Whether A's zeros are worth skipping (judged on its first rows: both paths give the same numbers). */
  const sparseEnough = (m: number, p: number, pa: number): boolean => {
    const look = Math.min(m, 8);
    return p > 0 && m >= 4 && k.nonzero_count(look * p, pa) <= SPARSE_MAX_DENSITY * look * p;
  };
  /**
   * X·Xᵀ (X m×n at px) skipping X's zeros (kernels/sparse.wat), in two blocks as it is symmetric:
   * rows [0, h) against columns [0, h) into k1 (h×h), every row against columns [h, m) into k2
   * (m×(m−h)): 3/4 of the full products, and the two transposed copies they need (of rows [0, h)
   * and of rows [h, m)) are one transpose's worth. [k1, k2, h], or null when there is no room or X
   * is not all finite (a skipped 0·x would hide a NaN or ∞): a non-finite xⱼ always shows on the
   * diagonal, a sum of squares in its own row's block, which multiplies every nonzero of that row.
   */
  const sparseGram = (m: number, n: number, px: number): [number, number, number] | null => {
    // the first block: m/2 rows (whole 4-row tiles) from 16 on; else all
    const h = m >= 16 ? (m >> 3) << 2 : m,
      rest = m - h;
    const k1 = arena.reserve(h * h),
      k2 = arena.reserve(Math.max(1, m * rest)),
      xt = arena.reserve(n * Math.max(h, rest)),
      list = arena.reserve(5 * n + 5);
    if (k1 === null || k2 === null || xt === null || list === null) return null;
    const f = arena.f32;
    /** Whether entries (first + j, j) of a block with the given row stride are finite, j < count. */
    const finiteDiagonal = (out: number, first: number, count: number, stride: number) => {
      for (let j = 0; j < count; j++) if (!Number.isFinite(f[out / 4 + (first + j) * stride + j])) return false;
      return true;
    };
    k.transpose(h, n, px, xt);
    k.gemm_sparse_a(h, h, n, 1, px, n, 1, xt, k1, list);
    if (!finiteDiagonal(k1, 0, h, h)) return null;
    if (rest > 0) {
      k.transpose(rest, n, px + h * n * 4, xt);
      k.gemm_sparse_a(m, rest, n, 1, px, n, 1, xt, k2, list);
      if (!finiteDiagonal(k2, h, rest, rest)) return null;
    }
    return [k1, k2, h];
  };
  /** The upper triangle of X·Xᵀ (X m×n at px) into k (m×m), through a transposed copy of X. */
  const upperGram = (m: number, n: number, px: number, out: number): void => {
    const xt = arena.reserve(n * m);
    if (xt === null) throw new Error('WASM backend: no scratch space left for the Gram matrices');
    k.transpose(m, n, px, xt);
    k.gram_upper(m, n, px, xt, out);
  };
  /** [k, k, m]: the upper triangle of X·Xᵀ in one m×m block k (as sparseGram's blocks). */
  const denseGram = (m: number, n: number, px: number): [number, number, number] => {
    const out = arena.reserve(m * m);
    if (out === null) throw new Error('WASM backend: no scratch space left for the Gram matrices');
    upperGram(m, n, px, out);
    return [out, out, m];
  };
  return {
    denseGramStats(m, p, q, withBias, a, delta, dots, squaredNorms) {
      checkAll('denseGramStats', ['a', a, m * p], ['delta', delta, m * q]);
      if (dots.length < m || squaredNorms.length < m) throw new Error(`denseGramStats: dots and squaredNorms need ${m} elements`);
      if (m === 0) return;
      arena.begin();
      const pa = arena.in(a, m * p),
        pd = arena.in(delta, m * q);
      const kd = arena.reserve(m * m),
        out = arena.reserve(4 * m);
      if (kd === null || out === null) throw new Error('WASM backend: no scratch space left for the Gram matrices');
      // KA: A's zeros skipped in two blocks (the first m/2 columns against the first m/2 rows, the
      // rest against all), or its upper triangle as KΔ's
      const [ka, ka2, h] = (sparseEnough(m, p, pa) && sparseGram(m, p, pa)) || denseGram(m, p, pa);
      upperGram(m, q, pd, kd);
      k.gram_combine(m, withBias ? 1 : 0, ka, ka2, h, kd, out, out + 8 * m);
      const result = new Float64Array(arena.buffer, out, 2 * m);
      for (let i = 0; i < m; i++) {
        dots[i] = result[i];
        squaredNorms[i] = result[m + i];
      }
    },
  };
}
