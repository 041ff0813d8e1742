// The WASM backend's per-example statistics of a dense layer through its Gram matrices (contract:
// Backend.denseGramStats), in kernel calls of kernels/gramstats.wat: the upper triangles of
// KA = A·Aᵀ and KΔ = Δ·Δᵀ through gemm_bn's tiles on transposed copies, then their combination in
// float64. Where A is sparse (the first layer's MNIST pixels: 19 % nonzero) KA instead skips A's
// zeros with no transposed copy (gram_upper_sparse: 29 → 12 µs for 32 digits, 784 pixels).

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
   * The upper triangle of X·Xᵀ (X m×n at px) skipping X's zeros (gram_upper_sparse: no transposed
   * copy) as [k, m4]: one m4×m4 matrix, m4 = m rounded up to 4. null when there is no room or X is
   * not all finite (a skipped 0·x would hide a NaN or ∞): a non-finite xᵢ always shows on the
   * diagonal, a sum of squares over row i's nonzeros.
   */
  const sparseGram = (m: number, n: number, px: number): [number, number] | null => {
    const m4 = (m + 3) & ~3;
    const out = arena.reserve(m4 * m4),
      panels = arena.reserve(m4 * n),
      lists = arena.reserve((m4 >> 2) * (n + 1));
    if (out === null || panels === null || lists === null) return null;
    k.gram_upper_sparse(m, n, px, panels, lists, out);
    const f = arena.f32,
      at = out / 4;
    for (let i = 0; i < m; i++) if (!Number.isFinite(f[at + i * (m4 + 1)])) return null;
    return [out, m4];
  };
  /** The upper triangle of X·Xᵀ (X m×n at px) into k (m×m), through a transposed copy of X. */
  const upperGram = (m: number, n: number, px: number, out: number): void => {
    const xt = arena.reserve(n * m);
    if (xt === null) throw new Error('WASM backend: no scratch space left for the Gram matrices');
    k.transpose(m, n, px, xt);
    k.gram_upper(m, n, px, xt, out);
  };
  /** [k, m]: the upper triangle of X·Xᵀ in one m×m matrix k (row stride m). */
  const denseGram = (m: number, n: number, px: number): [number, number] => {
    const out = arena.reserve(m * m);
    if (out === null) throw new Error('WASM backend: no scratch space left for the Gram matrices');
    upperGram(m, n, px, out);
    return [out, m];
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
      // KA: A's zeros skipped, or its upper triangle as KΔ's
      const [ka, lda] = (sparseEnough(m, p, pa) && sparseGram(m, p, pa)) || denseGram(m, p, pa);
      upperGram(m, q, pd, kd);
      k.gram_combine(m, withBias ? 1 : 0, ka, lda, kd, out, out + 8 * m);
      const result = new Float64Array(arena.buffer, out, 2 * m);
      for (let i = 0; i < m; i++) {
        dots[i] = result[i];
        squaredNorms[i] = result[m + i];
      }
    },
  };
}
