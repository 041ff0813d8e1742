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

// Shorthands that keep each signature below on one line: F a buffer, N a size or scalar.
type F = FloatArray;
type N = number;

export interface Backend {
  readonly name: string;
  readonly dtype: DType;
  /** A zeroed buffer of `length` elements. Call at build time only, never per step. */
  alloc(length: N): F;
  /**
   * C = alpha·op(A)·op(B) + beta·C.
   * op(A) is m×k: A is stored m×k, or k×m when transA. op(B) is k×n: B is stored k×n, or n×k when transB.
   * beta = 0 means C is overwritten (its old contents are ignored, even NaN).
   */
  gemm(transA: boolean, transB: boolean, m: N, n: N, k: N, alpha: N, a: F, b: F, beta: N, c: F): void;
  /**
   * count products C_e = A·B_e with one A (m×k): B holds count k×n matrices one after another, C
   * count m×n ones (overwritten). Each is exactly gemm(false, false, m, n, k, 1, A, B_e, 0, C_e).
   */
  gemmEach(count: N, m: N, n: N, k: N, a: F, b: F, c: F): void;
  /** out[i,j] = act(x[i,j] + bias[j]) for an m×n matrix; bias null = no bias (math: activations.ts). */
  biasActivation(m: N, n: N, activation: Activation, x: F, bias: F | null, out: F): void;
  /**
   * Over m channels-first examples of `channels` planes of `positions` values: z[i,c,p] += bias[c]
   * (in place), then out = act(z) (out may be z).
   */
  channelBiasActivation(m: N, channels: N, positions: N, activation: Activation, z: F, bias: F, out: F): void;
  /** gradIn = gradOut ⊙ act'(z) over `size` elements; z is the pre-activation, y = act(z) its output. */
  activationBackward(size: N, activation: Activation, z: F, y: F, gradOut: F, gradIn: F): void;
  /** out[j] = alpha·Σᵢ x[i,j] + beta·out[j] (beta = 0 overwrites): a bias gradient. */
  columnSums(m: N, n: N, alpha: N, beta: N, x: F, out: F): void;
  /** out[i] = alpha·Σⱼ x[i,j] (a conv bias gradient per example: rows = example·filter, columns = positions). */
  rowSums(m: N, n: N, alpha: N, x: F, out: F): void;
  /** out[i] = Σⱼ x[i,j]². */
  rowSumSquares(m: N, n: N, x: F, out: F): void;
  /** True when x[0..n) are all finite (the non-finite detector's fast path). */
  allFinite(n: N, x: F): boolean;
  /**
   * One SGD step over n values, same convention as optimizers.ts: g = grad + wd·θ; with momentum μ ≠ 0,
   * v ← μ·v + g and g = nesterov ? g + μ·v : v; θ ← θ − lr·g; update = θ_after − θ_before.
   * velocity may be null when momentum is 0. value and velocity are read and written. With `norms`
   * (≥ 3 long) it also writes, from the same pass, [Σ grad², Σ θ_before², Σ update²] (the statistics').
   * Returns true only when every θ_after is finite (false: some may not be, check them): a
   * non-finite grad always makes θ_after non-finite, so true also clears the gradient.
   */
  sgdStep(
    n: N,
    lr: N,
    weightDecay: N,
    momentum: N,
    nesterov: boolean,
    grad: F,
    value: F,
    velocity: F | null,
    update: F,
    norms?: Float64Array | null,
  ): boolean;
  /** Dense per-example SQUARED gradient norms: out[i] = ‖aᵢ‖²·‖δᵢ‖² (+ ‖δᵢ‖² if withBias); a m×p, delta m×q. */
  denseNormsSquared(m: N, p: N, q: N, withBias: boolean, a: F, delta: F, out: F): void;
  /**
   * A dense layer's per-example statistics through the Gram matrices KA = A·Aᵀ and KΔ = Δ·Δᵀ (a m×p,
   * delta m×q), with b = 1 when the layer has a bias (0 without): dots[i] = (1/m)·Σⱼ KΔ[i,j]·(KA[i,j] + b)
   * = gᵢ·G (G the mean of the gᵢ), squaredNorms[i] = KΔ[i,i]·(KA[i,i] + b) = ‖gᵢ‖².
   */
  denseGramStats(m: N, p: N, q: N, withBias: boolean, a: F, delta: F, dots: Float64Array, squaredNorms: Float64Array): void;
  /** Per-example outer products out[i,r,s] = alpha·a[i,r]·delta[i,s] (m×p×q): every gᵢ of a dense weight. */
  outerBatch(m: N, p: N, q: N, alpha: N, a: F, delta: F, out: F): void;
  /**
   * For `batch` channels-first images [c][h][w] one after another, cols per example is
   * [(ci·k + kh)·k + kw][oh·outW + ow] ((c·k·k) × (outH·outW)); padding reads 0.
   */
  im2col(batch: N, g: WindowGeometry, image: F, cols: F): void;
  /** The adjoint of im2col: image (overwritten) = Σ of the cols entries that read each pixel. */
  col2im(batch: N, g: WindowGeometry, cols: F, image: F): void;
  /**
   * Max pooling of `batch` channels-first images (no padding: g.padTop = g.padLeft = 0): output is
   * batch × channels × outH × outW. Winner = first maximum of the window; a NaN wins and stays.
   */
  maxPool(batch: N, g: WindowGeometry, input: F, output: F): void;
  /** gradIn (overwritten) = each output's gradient routed to its winner, found again from input/output. */
  maxPoolBackward(batch: N, g: WindowGeometry, input: F, output: F, gradOut: F, gradIn: F): void;
  /**
   * Optional: runs run(backend, start, end, part) for parts [start, end) covering examples [0, m),
   * possibly at the same time on different threads (the WASM backend with two threads: part 1 on
   * the helper, with the kernel restrictions of wasm/split.ts); returns when every part is done.
   * Each part must write only its own examples' rows. Without it, a layer runs run(this, 0, m, 0).
   */
  splitExamples?(m: N, run: (backend: Backend, start: N, end: N, part: N) => void): void;
  /**
   * Optional: releases what the backend holds besides its buffers (the WASM backend's helper
   * thread). The backend keeps working afterwards, on one thread.
   */
  close?(): void;
  /**
   * Optional: denseGramStats of several layers started on another thread (the WASM backend with two
   * threads), so this thread can go on (with the update); returns the function that waits for them
   * and fills every job's dots and squaredNorms. Until it is called nothing may change the jobs' a
   * and delta or read their dots and squaredNorms. Without it, the statistics call denseGramStats.
   */
  denseGramStatsLater?(jobs: DenseGramJob[]): () => void;
}

/** The arguments of one Backend.denseGramStats call, for denseGramStatsLater. */
export interface DenseGramJob {
  m: N;
  p: N;
  q: N;
  withBias: boolean;
  a: F;
  delta: F;
  dots: Float64Array;
  squaredNorms: Float64Array;
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
