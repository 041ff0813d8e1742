// What the WASM backend allocates for its second thread, in floats, kept in one place so that the
// memory estimate (src/model/estimate.ts, which must not load the engine) counts exactly what
// split.ts and deferredStats.ts allocate. No imports: the editor's estimate may load it.

/** Float64 words of split.ts's call list (8 bytes each): ~200 calls of up to 13 arguments. */
export const SPLIT_LIST_WORDS = 4096;
/** Floats of split.ts's recorded part's private scratch (gemm's packed operands). */
export const SPLIT_SCRATCH_FLOATS = 1 << 16;
/** Floats split.ts allocates once per backend: the call list (2 floats a word) and the scratch. */
export const SPLIT_FLOATS = 2 * SPLIT_LIST_WORDS + SPLIT_SCRATCH_FLOATS;

/** Float64 words of deferredStats.ts's call list a layer takes: at most 6 calls of at most 8 arguments. */
export const GRAM_WORDS_PER_JOB = 64;

/**
 * Floats of private scratch one dense layer's deferred Gram statistics (m examples, p inputs, q
 * outputs) reserve at most: KΔ, the results, the sparse KA with its panels and lists, the dense
 * KA's transposed copy, KΔ's, and the 16-byte rounding of the 5 reservations.
 */
export function gramScratchFloats(m: number, p: number, q: number): number {
  const m4 = (m + 3) & ~3;
  return m * m + 4 * m + m4 * m4 + m4 * p + (m4 >> 2) * (p + 1) + m * Math.max(p, q) + m * q + 5 * 4;
}

/** Floats of deferredStats.ts's call list for `jobs` layers (2 floats a word, 1 word of count). */
export function gramListFloats(jobs: number): number {
  return 2 * GRAM_WORDS_PER_JOB * jobs + 2;
}
