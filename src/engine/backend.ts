// The compute backend: where tensors live and who multiplies them.
// The reference backend is plain TypeScript (float32 or float64). The fast backend (WASM SIMD,
// float32) keeps every buffer in one WASM memory, which is why all buffers come from `alloc`
// and are allocated once per model and batch size: a training step allocates nothing.

import type { FloatArray } from './types';
import type { Activation, DType } from '../model/spec';

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

  // ---- Optional fused kernels (added by the WASM backend, src/engine/wasm/). A layer uses one when
  // present and otherwise does the same arithmetic in plain TS. Same row-major conventions as gemm;
  // `out` may alias the input for the element-wise ones.

  /** out[i,j] = act(x[i,j] + bias[j]) for an m×n matrix; bias null = no bias. leaky-relu slope 0.01. */
  biasActivation?(m: number, n: number, x: FloatArray, bias: FloatArray | null, activation: Activation, out: FloatArray): void;
  /** gradIn = gradOut ⊙ act'(·) over `size` elements, the derivative read from the activation's OUTPUT y. */
  activationBackward?(size: number, activation: Activation, y: FloatArray, gradOut: FloatArray, gradIn: FloatArray): void;
  /** out[j] = alpha·Σᵢ x[i,j] + beta·out[j] (beta = 0 overwrites): a bias gradient. */
  columnSums?(m: number, n: number, alpha: number, x: FloatArray, beta: number, out: FloatArray): void;
  /** out[i] = alpha·Σⱼ x[i,j] (a conv bias gradient per example: rows = example·filter, columns = positions). */
  rowSums?(m: number, n: number, alpha: number, x: FloatArray, out: FloatArray): void;
  /** True when x[0..n) are all finite (the non-finite detector's fast path). */
  allFinite?(n: number, x: FloatArray): boolean;
  /**
   * One SGD step over n values, same convention as optimizers.ts: g = grad + wd·θ; with momentum μ ≠ 0,
   * v ← μ·v + g and g = nesterov ? g + μ·v : v; θ ← θ − lr·g; update = θ_after − θ_before.
   * velocity may be null when momentum is 0.
   */
  sgdStep?(
    n: number, lr: number, weightDecay: number, momentum: number, nesterov: boolean,
    value: FloatArray, grad: FloatArray, velocity: FloatArray | null, update: FloatArray,
  ): void;
  /** out[i] = Σⱼ x[i,j]². */
  rowSumSquares?(m: number, n: number, x: FloatArray, out: FloatArray): void;
  /** Dense per-example SQUARED gradient norms: out[i] = ‖aᵢ‖²·‖δᵢ‖² (+ ‖δᵢ‖² if withBias); a m×p, delta m×q. */
  denseNormsSquared?(m: number, p: number, q: number, a: FloatArray, delta: FloatArray, withBias: boolean, out: FloatArray): void;
  /** Per-example outer products out[i,r,s] = alpha·a[i,r]·delta[i,s] (m×p×q): every gᵢ of a dense weight. */
  outerBatch?(m: number, p: number, q: number, alpha: number, a: FloatArray, delta: FloatArray, out: FloatArray): void;
  /**
   * For `batch` channels-first images [c][h][w] one after another, cols per example is
   * [(ci·k + kh)·k + kw][oh·outW + ow] ((c·k·k) × (outH·outW)); padding reads 0.
   */
  im2col?(g: Im2colGeometry, batch: number, image: FloatArray, cols: FloatArray): void;
  /** The adjoint of im2col: image (overwritten) = Σ of the cols entries that read each pixel. */
  col2im?(g: Im2colGeometry, batch: number, cols: FloatArray, image: FloatArray): void;
  /**
   * maxpool over `planes` (= batch·channels) planes of height×width, valid windows: output is
   * planes × outH × outW. Winner = first maximum of the window; a NaN wins and stays.
   */
  maxPool?(g: PoolGeometry, planes: number, input: FloatArray, output: FloatArray): void;
  /** gradIn (overwritten) = each output's gradient routed to its winner, found again from input/output. */
  maxPoolBackward?(g: PoolGeometry, planes: number, input: FloatArray, output: FloatArray, gradOut: FloatArray, gradIn: FloatArray): void;
}

export interface PoolGeometry { height: number; width: number; pool: number; stride: number; outH: number; outW: number }

/** Geometry of a square-kernel 2-D window over one channels-first image (see shapes.ts window2d). */
export interface Im2colGeometry {
  channels: number; height: number; width: number;
  kernel: number; stride: number;
  padTop: number; padLeft: number;
  outH: number; outW: number;
}
