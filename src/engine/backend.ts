// The compute backend: where tensors live and every kernel the layers, the optimizer and the
// statistics run. Layers call only these kernels, so a backend is the whole arithmetic of a step.
// The reference backend (reference.ts) is plain TypeScript (float32 or float64) and is what every
// other backend is checked against. The fast backend (WASM SIMD, float32) keeps every buffer in one
// WASM memory, which is why all buffers come from `alloc` and are allocated once per model and
// batch size: a training step allocates nothing.
//
// One argument order for every kernel: sizes first, then scalars and options, then inputs, then
// outputs. Everything is row-major. Element-wise kernels accept `out` aliasing an input.

import type { FloatArray } from './types';
import type { Activation, DType, Shape } from '../model/spec';
import { window2d } from '../model/shapes';

export interface Backend {
  readonly name: string;
  readonly dtype: DType;
  /** A zeroed buffer of `length` elements. Call at build time only, never per step. */
  alloc(length: number): FloatArray;
  /**
   * C = alpha·op(A)·op(B) + beta·C.
   * op(A) is m×k: A is stored m×k, or k×m when transA. op(B) is k×n: B is stored k×n, or n×k when transB.
   * beta = 0 means C is overwritten (its old contents are ignored, even NaN).
   */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: FloatArray,
    b: FloatArray,
    beta: number,
    c: FloatArray,
  ): void;

  /** out[i,j] = act(x[i,j] + bias[j]) for an m×n matrix; bias null = no bias (math: activations.ts). */
  biasActivation(m: number, n: number, activation: Activation, x: FloatArray, bias: FloatArray | null, out: FloatArray): void;
  /** gradIn = gradOut ⊙ act'(z) over `size` elements; z is the pre-activation, y = act(z) its output. */
  activationBackward(
    size: number,
    activation: Activation,
    z: FloatArray,
    y: FloatArray,
    gradOut: FloatArray,
    gradIn: FloatArray,
  ): void;
  /** out[j] = alpha·Σᵢ x[i,j] + beta·out[j] (beta = 0 overwrites): a bias gradient. */
  columnSums(m: number, n: number, alpha: number, beta: number, x: FloatArray, out: FloatArray): void;
  /** out[i] = alpha·Σⱼ x[i,j] (a conv bias gradient per example: rows = example·filter, columns = positions). */
  rowSums(m: number, n: number, alpha: number, x: FloatArray, out: FloatArray): void;
  /** out[i] = Σⱼ x[i,j]². */
  rowSumSquares(m: number, n: number, x: FloatArray, out: FloatArray): void;
  /** True when x[0..n) are all finite (the non-finite detector's fast path). */
  allFinite(n: number, x: FloatArray): boolean;
  /**
   * One SGD step over n values, same convention as optimizers.ts: g = grad + wd·θ; with momentum μ ≠ 0,
   * v ← μ·v + g and g = nesterov ? g + μ·v : v; θ ← θ − lr·g; update = θ_after − θ_before.
   * velocity may be null when momentum is 0. value and velocity are read and written.
   */
  sgdStep(
    n: number,
    lr: number,
    weightDecay: number,
    momentum: number,
    nesterov: boolean,
    grad: FloatArray,
    value: FloatArray,
    velocity: FloatArray | null,
    update: FloatArray,
  ): void;
  /** Dense per-example SQUARED gradient norms: out[i] = ‖aᵢ‖²·‖δᵢ‖² (+ ‖δᵢ‖² if withBias); a m×p, delta m×q. */
  denseNormsSquared(m: number, p: number, q: number, withBias: boolean, a: FloatArray, delta: FloatArray, out: FloatArray): void;
  /** Per-example outer products out[i,r,s] = alpha·a[i,r]·delta[i,s] (m×p×q): every gᵢ of a dense weight. */
  outerBatch(m: number, p: number, q: number, alpha: number, a: FloatArray, delta: FloatArray, out: FloatArray): void;
  /**
   * For `batch` channels-first images [c][h][w] one after another, cols per example is
   * [(ci·k + kh)·k + kw][oh·outW + ow] ((c·k·k) × (outH·outW)); padding reads 0.
   */
  im2col(batch: number, g: WindowGeometry, image: FloatArray, cols: FloatArray): void;
  /** The adjoint of im2col: image (overwritten) = Σ of the cols entries that read each pixel. */
  col2im(batch: number, g: WindowGeometry, cols: FloatArray, image: FloatArray): void;
  /**
   * Max pooling of `batch` channels-first images (no padding: g.padTop = g.padLeft = 0): output is
   * batch × channels × outH × outW. Winner = first maximum of the window; a NaN wins and stays.
   */
  maxPool(batch: number, g: WindowGeometry, input: FloatArray, output: FloatArray): void;
  /** gradIn (overwritten) = each output's gradient routed to its winner, found again from input/output. */
  maxPoolBackward(
    batch: number,
    g: WindowGeometry,
    input: FloatArray,
    output: FloatArray,
    gradOut: FloatArray,
    gradIn: FloatArray,
  ): void;
}

/**
 * A square k×k window sliding with `stride` over one channels-first image [channels][height][width]:
 * the geometry of both convolution (im2col/col2im) and pooling. padTop/padLeft are the zero rows and
 * columns before the image (TensorFlow's `same`/`valid` convention, from shapes.ts window2d).
 */
export interface WindowGeometry {
  channels: number;
  height: number;
  width: number;
  kernel: number;
  stride: number;
  padTop: number;
  padLeft: number;
  outH: number;
  outW: number;
}

/** The window geometry of a conv or pooling layer over an input of shape [channels, height, width]. */
export function windowGeometry(input: Shape, kernel: number, stride: number, padding: 'same' | 'valid'): WindowGeometry {
  const [channels, height, width] = input;
  const w = window2d(height, width, kernel, stride, padding);
  return { channels, height, width, kernel, stride, padTop: w.top, padLeft: w.left, outH: w.outH, outW: w.outW };
}
