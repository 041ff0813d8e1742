// gemm on the WASM kernels: picks, for each transpose form and shape, the kernel that is fastest
// (the 4×8 tile of gemm_bn whenever the contiguous axes allow it).

import type { Backend } from '../backend';
import { referenceGemm } from '../reference/gemm';
import { checkLength } from './arena';
import type { WasmContext } from './elementwise';
import type { GemmTeam } from './team';

/**
 * A·Bᵀ transposes B and uses the A·B kernel when C has at least this many rows and k is at most
 * NT_PACK_MAX_K. Measured on 2-core EPYC: 32×128×64 52 µs packed vs 78 µs dot products, 32×64×26
 * 10 vs 28 µs; but 8×9×784 (a conv weight gradient: few long dot products) 22 vs 8 µs.
 */
const NT_PACK_MIN_ROWS = 8;
const NT_PACK_MAX_K = 256;
/**
 * Rows of B per slice of a long Aᵀ·B. Measured (2-core EPYC, 784×512 from k = 10 000): one pass 2.5 s,
 * slices of 64 0.46 s, 128 0.38 s, 256 0.61 s. A·B is not sliced: there k is a layer width and
 * slicing it was slower (0.7 s → 0.9–1.4 s for 10 000×512×784).
 */
const TN_SLICE = 128;
/**
 * A·B and Aᵀ·B skip A's zeros (kernels/sparse.wat) when at most this share of A is nonzero.
 * Measured (2-core EPYC, CPU time, a batch of 32 real MNIST digits, 19 % nonzero): the first MLP
 * layer's forward 32×128×784 140 → 74 µs, its weight gradient 784×128×32 142 → 56 µs. The kernel
 * runs the dense 4×8 tile over the p where any of 4 rows is nonzero (39 % of them here), so at
 * ~50 % nonzero pixels nothing is left to skip.
 */
const SPARSE_MAX_DENSITY = 0.3;
/** Below this many multiply-adds counting A's zeros costs more than it can save. */
const SPARSE_MIN_MACS = 1 << 14;

/** How gemm treats A's zeros: 'skip' where it pays (the default), or 'dense' always (for the bench). */
export type ZeroPolicy = 'skip' | 'dense';

/** Products that took the zero-skipping path, for the bench's account of which path ran. */
export interface GemmCounters {
  sparse: number;
}

/**
 * Backend.gemmEach over the kernels: one call for all products (a conv layer's per-example products
 * cost ~0.5 µs of wrapper each otherwise, which on two threads this thread also spends recording the
 * helper's half). Never split and never zero-skipping: each product is gemm_bn's, as gemm's dense path.
 */
export function wasmGemmEach({ arena, k: kernels }: WasmContext, gemm: Backend['gemm']): Backend['gemmEach'] {
  return (count, m, n, k, a, b, c) => {
    checkLength('gemmEach A', a, m * k);
    checkLength('gemmEach B', b, count * k * n);
    checkLength('gemmEach C', c, count * m * n);
    if (count === 0 || m === 0 || n === 0) return;
    arena.begin();
    const pa = arena.input(a, m * k);
    const pb = arena.input(b, count * k * n);
    const pc = arena.output(c, count * m * n);
    if (!pa || !pb || !pc) {
      for (let e = 0; e < count; e++)
        gemm(false, false, m, n, k, 1, a, b.subarray(e * k * n, (e + 1) * k * n), 0, c.subarray(e * m * n, (e + 1) * m * n));
      return;
    }
    kernels.gemm_bn_each(count, m, n, k, pa.ptr, pb.ptr, pc.ptr);
    arena.finish(pc);
  };
}

/** gemm over the kernels; team: the two-thread splitter of large A·B products, or null on one thread. */
export function wasmGemm(
  { arena, k: kernels }: WasmContext,
  team: GemmTeam | null,
  zeros: ZeroPolicy,
  counters: GemmCounters,
): Backend['gemm'] {
  const gemmBn = team ? team.gemmBn : kernels.gemm_bn;
  /**
   * The zero-skipping product when A is sparse enough. Only for a finite B: the skipped products
   * 0·B[p][j] would be NaN for an infinite or NaN B[p][j] (NaN and ±∞ in A are nonzero, never skipped).
   */
  const sparse = (
    m: number,
    n: number,
    k: number,
    alpha: number,
    pa: number,
    rsA: number,
    csA: number,
    pb: number,
    pc: number,
  ) => {
    if (zeros === 'dense' || n < 4 || m * n * k < SPARSE_MIN_MACS) return false;
    if (kernels.nonzero_count(m * k, pa) > SPARSE_MAX_DENSITY * m * k || !kernels.all_finite(k * n, pb)) return false;
    const list = arena.reserve(5 * k + 5);
    const list2 = team ? arena.reserve(5 * k + 5) : 0;
    if (list === null || list2 === null) return false;
    if (team) team.sparse(list2, m, n, k, alpha, pa, rsA, csA, pb, pc, list);
    else kernels.gemm_sparse_a(m, n, k, alpha, pa, rsA, csA, pb, pc, list);
    counters.sparse++;
    return true;
  };
  return (transA, transB, m, n, k, alpha, a, b, beta, c) => {
    checkLength('gemm A', a, m * k);
    checkLength('gemm B', b, k * n);
    checkLength('gemm C', c, m * n);
    if (m === 0 || n === 0) return;
    arena.begin();
    const pa = arena.input(a, m * k);
    const pb = arena.input(b, k * n);
    const pc = beta === 0 ? arena.output(c, m * n) : arena.inout(c, m * n);
    if (!pa || !pb || !pc) {
      // The operands do not fit next to the arena: do it in plain TS rather than fail.
      referenceGemm(transA, transB, m, n, k, alpha, a, b, beta, c);
      return;
    }
    if (!transB) {
      // Â(i,p): A·B reads A[i·k + p]; Aᵀ·B reads A[p·m + i]. Aᵀ·B with a long k (a weight gradient
      // over a large batch, k = M) goes in slices of TN_SLICE rows of B accumulated into C (beta = 1
      // after the first), so the rows of B a tile walks stay in cache.
      const [rsA, csA] = transA ? [1, m] : [k, 1];
      // Not for a sliced Aᵀ·B: each block of 4 rows would walk all k rows of B (measured 784×512 from
      // k = 10 000: 500–700 ms sparse against 250 ms dense in slices).
      if (beta === 0 && !(transA && k > TN_SLICE) && sparse(m, n, k, alpha, pa.ptr, rsA, csA, pb.ptr, pc.ptr)) {
        arena.finish(pc);
        return;
      }
      const slice = transA && k > TN_SLICE ? TN_SLICE : Math.max(k, 1);
      for (let p0 = 0; p0 === 0 || p0 < k; p0 += slice) {
        const kc = Math.min(slice, k - p0);
        gemmBn(m, n, kc, alpha, pa.ptr + p0 * csA * 4, rsA, csA, pb.ptr + p0 * n * 4, p0 === 0 ? beta : 1, pc.ptr);
      }
    } else if (!transA) {
      // A·Bᵀ: with enough rows, transposing B once (n·k moves) and running the 4×8 tile beats
      // m·n short dot products that each end in a horizontal sum.
      // Which side to transpose: B (n·k moves), or, when beta = 0, A (m·k) plus the result (m·n)
      // computing Cᵀ = B·Aᵀ; e.g. a conv weight gradient δ·colsᵀ (16×72×196) moves 4 288 floats
      // instead of 14 112.
      const viaAT = beta === 0 && m * k + m * n < n * k;
      const packed = m >= NT_PACK_MIN_ROWS && k <= NT_PACK_MAX_K ? arena.reserve(viaAT ? m * k : n * k) : null;
      const ct = packed !== null && viaAT ? arena.reserve(m * n) : null;
      if (packed !== null && ct !== null) {
        kernels.transpose(m, k, pa.ptr, packed);
        gemmBn(n, m, k, alpha, pb.ptr, k, 1, packed, 0, ct);
        kernels.transpose(n, m, ct, pc.ptr);
      } else if (packed !== null && !viaAT) {
        kernels.transpose(n, k, pb.ptr, packed);
        gemmBn(m, n, k, alpha, pa.ptr, k, 1, packed, beta, pc.ptr);
      } else {
        kernels.gemm_nt(m, n, k, alpha, pa.ptr, pb.ptr, beta, pc.ptr);
      }
    } else {
      // Aᵀ·Bᵀ: A stored k×m, B stored n×k.
      kernels.gemm_scalar(m, n, k, alpha, pa.ptr, 1, m, pb.ptr, 1, k, beta, pc.ptr, n);
    }
    arena.finish(pc);
  };
}
