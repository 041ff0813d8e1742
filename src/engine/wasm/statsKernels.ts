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
  /**
   * How many rows the zero-skipping KA takes in its first block: 0 when A is too dense to pay
   * (judged on its first rows: a cheap look, both paths give the same numbers), m/2 (rounded to
   * the kernel's 4-row tiles) from 16 rows on, else m.
   */
  const sparseRows = (m: number, p: number, pa: number): number => {
    const look = Math.min(m, 8);
    if (p === 0 || m < 4 || k.nonzero_count(look * p, pa) > SPARSE_MAX_DENSITY * look * p) return 0;
    return m >= 16 ? (m >> 3) << 2 : m;
  };
  /**
   * KA rows [0, h) into ka (m×m) and, when h < m, rows [h, m) × columns [h, m) into kb, skipping A's
   * zeros (A times transposed copies of its rows). False when A was not all finite: a skipped 0·x
   * would hide a NaN or ∞, and a non-finite aⱼ always shows on the diagonal KA[j,j] (a sum of
   * squares, in its own row's block, which multiplies every nonzero of that row).
   */
  const sparseGram = (m: number, p: number, pa: number, h: number, ka: number, kb: number | null): boolean => {
    const at = arena.reserve(p * m),
      list = arena.reserve(5 * p + 5);
    if (at === null || list === null || (h < m && kb === null)) return false;
    k.transpose(m, p, pa, at);
    k.gemm_sparse_a(h, m, p, 1, pa, p, 1, at, ka, list);
    const f = arena.f32;
    for (let j = 0; j < h; j++) if (!Number.isFinite(f[ka / 4 + j * m + j])) return false;
    if (h === m) return true;
    const rest = m - h,
      pr = pa + h * p * 4;
    k.transpose(rest, p, pr, at);
    k.gemm_sparse_a(rest, rest, p, 1, pr, p, 1, at, kb!, list);
    for (let j = 0; j < rest; j++) if (!Number.isFinite(f[kb! / 4 + j * rest + j])) return false;
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
      const ka = arena.reserve(m * m),
        kd = arena.reserve(m * m);
      if (ka === null || kd === null) throw new Error('WASM backend: no scratch space left for the Gram matrices');
      // KA's rows [0, h) against all columns, then rows [h, m) against columns [h, m) only (their
      // columns below h are the first block's transposed): 3/4 of the full product when h = m/2.
      const h = sparseRows(m, p, pa);
      const kb = h < m ? arena.reserve((m - h) * (m - h)) : null;
      let split = false;
      if (h > 0 && sparseGram(m, p, pa, h, ka, kb)) split = h < m;
      else gramDense(m, p, pa, ka);
      gramDense(m, q, pd, kd);
      const f = arena.f32,
        fa = ka / 4,
        fb = (kb ?? 0) / 4,
        fd = kd / 4,
        b = withBias ? 1 : 0;
      for (let i = 0; i < m; i++) {
        let s = 0;
        const rd = fd + i * m;
        if (!split || i < h) {
          const ra = fa + i * m;
          for (let j = 0; j < m; j++) s += f[rd + j] * (f[ra + j] + b);
          squaredNorms[i] = f[rd + i] * (f[ra + i] + b);
        } else {
          for (let j = 0; j < h; j++) s += f[rd + j] * (f[fa + j * m + i] + b);
          const rb = fb + (i - h) * (m - h) - h;
          for (let j = h; j < m; j++) s += f[rd + j] * (f[rb + j] + b);
          squaredNorms[i] = f[rd + i] * (f[rb + i] + b);
        }
        dots[i] = s / m;
      }
    },
  };
}
