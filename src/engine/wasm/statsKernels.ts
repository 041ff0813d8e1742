// The WASM backend's per-example statistics of a dense layer through its Gram matrices (contract:
// Backend.denseGramStats), in kernel calls of kernels/gramstats.wat: the upper triangles of
// KA = A·Aᵀ and KΔ = Δ·Δᵀ through gemm_bn's tiles on transposed copies, then their combination in
// float64. Where A is sparse (the first layer's MNIST pixels: 19 % nonzero) KA instead skips A's
// zeros with no transposed copy (gram_upper_sparse: 29 → 12 µs for 32 digits, 784 pixels).
// The calls are planned apart from reading their results, so that deferredStats.ts can record the
// same calls for the helper thread and read the results after it ran them.

import type { Backend } from '../backend';
import type { WasmContext } from './elementwise';
import { checkAll } from './elementwise';

/** A·Aᵀ skips A's zeros at most at this share of nonzeros (as the zero-skipping gemm). */
const SPARSE_MAX_DENSITY = 0.3;

/** Where one layer's Gram statistics land: 2m doubles at out (dots, then ‖gᵢ‖²); KA's diagonal to check when sparse. */
export interface GramCalls {
  m: number;
  out: number;
  /** KA's byte offset and row stride when it skipped A's zeros (its diagonal must be finite to trust it), else null. */
  sparseKa: { at: number; stride: number } | null;
}

export interface GramPlanner {
  /** Whether A (m×p at pa) is sparse enough for its zeros to be skipped (judged on its first rows). */
  sparseEnough(m: number, p: number, pa: number): boolean;
  /**
   * The kernel calls of one layer's statistics (a m×p at pa, delta m×q at pd, in the memory), with
   * their scratch reserved from ctx's arena; dense: A's zeros multiplied (else skipped: for a sparse
   * A, see sparseEnough). null: no scratch left.
   */
  calls(m: number, p: number, q: number, withBias: boolean, pa: number, pd: number, dense: boolean): GramCalls | null;
  /** Copies the results into dots and squaredNorms; false (nothing copied) when the skipped zeros hid a NaN or ∞. */
  read(c: GramCalls, dots: Float64Array, squaredNorms: Float64Array): boolean;
}

/** The planner over a context: its kernels may run the calls at once or record them (deferredStats.ts). */
export function gramPlanner({ arena, k }: WasmContext, check: Pick<WasmContext['k'], 'nonzero_count'> = k): GramPlanner {
  /** Whether A's zeros are worth skipping (judged on its first rows: both paths give the same numbers). */
  const sparseEnough = (m: number, p: number, pa: number): boolean => {
    const look = Math.min(m, 8);
    return p > 0 && m >= 4 && check.nonzero_count(look * p, pa) <= SPARSE_MAX_DENSITY * look * p;
  };
  /** The upper triangle of X·Xᵀ (X m×n at px) into out (m×m), through a transposed copy of X; false: no room. */
  const upperGram = (m: number, n: number, px: number, out: number): boolean => {
    const xt = arena.reserve(n * m);
    if (xt === null) return false;
    k.transpose(m, n, px, xt);
    k.gram_upper(m, n, px, xt, out);
    return true;
  };
  return {
    sparseEnough,
    calls(m, p, q, withBias, pa, pd, dense) {
      const kd = arena.reserve(m * m),
        out = arena.reserve(4 * m);
      if (kd === null || out === null) return null;
      let ka: number | null,
        lda = m,
        sparseKa: GramCalls['sparseKa'] = null;
      if (!dense) {
        // m4×m4 (m rounded up to 4), with panels and lists of nonzeros as scratch
        lda = (m + 3) & ~3;
        ka = arena.reserve(lda * lda);
        const panels = arena.reserve(lda * p),
          lists = arena.reserve((lda >> 2) * (p + 1));
        if (ka === null || panels === null || lists === null) return null;
        k.gram_upper_sparse(m, p, pa, panels, lists, ka);
        sparseKa = { at: ka, stride: lda };
      } else {
        ka = arena.reserve(m * m);
        if (ka === null || !upperGram(m, p, pa, ka)) return null;
      }
      if (!upperGram(m, q, pd, kd)) return null;
      k.gram_combine(m, withBias ? 1 : 0, ka, lda, kd, out, out + 8 * m);
      return { m, out, sparseKa };
    },
    read({ m, out, sparseKa }, dots, squaredNorms) {
      if (sparseKa) {
        // a non-finite aᵢ always shows on the diagonal, a sum of squares over row i's nonzeros
        const f = arena.f32,
          at = sparseKa.at / 4;
        for (let i = 0; i < m; i++) if (!Number.isFinite(f[at + i * (sparseKa.stride + 1)])) return false;
      }
      const result = new Float64Array(arena.buffer, out, 2 * m);
      for (let i = 0; i < m; i++) {
        dots[i] = result[i];
        squaredNorms[i] = result[m + i];
      }
      return true;
    },
  };
}

export function statsKernels(ctx: WasmContext): Pick<Backend, 'denseGramStats'> {
  const { arena } = ctx;
  const planner = gramPlanner(ctx);
  return {
    denseGramStats(m, p, q, withBias, a, delta, dots, squaredNorms) {
      checkAll('denseGramStats', ['a', a, m * p], ['delta', delta, m * q]);
      if (dots.length < m || squaredNorms.length < m) throw new Error(`denseGramStats: dots and squaredNorms need ${m} elements`);
      if (m === 0) return;
      arena.begin();
      const pa = arena.in(a, m * p),
        pd = arena.in(delta, m * q);
      // KA with A's zeros skipped where it pays; again with them multiplied when that hid a NaN or ∞
      for (const dense of [!planner.sparseEnough(m, p, pa), true]) {
        const c = planner.calls(m, p, q, withBias, pa, pd, dense);
        if (c === null) throw new Error('WASM backend: no scratch space left for the Gram matrices');
        if (planner.read(c, dots, squaredNorms)) return;
      }
    },
  };
}
