// The compute backend: where tensors live and who multiplies them.
// The reference backend is plain TypeScript (float32 or float64). The fast backend (WASM SIMD,
// float32) keeps every buffer in one WASM memory, which is why all buffers come from `alloc`
// and are allocated once per model and batch size: a training step allocates nothing.

import type { FloatArray } from './types';
import type { DType } from '../model/spec';

export interface Backend {
  readonly name: string;
  readonly dtype: DType;
  /** A zeroed buffer of `length` elements. Call at build time only, never per step. */
  alloc(length: number): FloatArray;
  /**
   * C = alpha·op(A)·op(B) + beta·C, all row-major.
   * op(A) is m×k: A is stored m×k, or k×m when transA. op(B) is k×n: B is stored k×n, or n×k when transB.
   * beta = 0 means C is overwritten (its old contents are ignored, even NaN).
   */
  gemm(
    transA: boolean, transB: boolean,
    m: number, n: number, k: number,
    alpha: number, a: FloatArray, b: FloatArray,
    beta: number, c: FloatArray,
  ): void;
}
