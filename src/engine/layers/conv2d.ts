// conv2d, channels-first: weights [F, C, k, k], bias [F], stride, same/valid padding (window2d).
// Per example, the input is unrolled (im2col) into cols [K = C·k·k, P = outH·outW], so that
//   z = W·cols + b           (F×K · K×P = F×P, already channels-first)
//   gᵢ(W) = δᵢ·colsᵢᵀ        (F×P · P×K), gᵢ(b)[f] = Σ_p δᵢ[f, p]
//   ∂colsᵢ = Wᵀ·δᵢ, folded back into ∂xᵢ by col2im.
// Per-example weight gradients are materialised every step (M × F·K, conv kernels are small):
// they cost exactly the per-example gemms a batch backward does anyway, and the batch
// gradient is then their mean, so per-example norms, dots and selections are exact and free.
// The columns (K·P per example, the largest buffer by far) are kept for one chunk of examples
// only: a batch larger than the chunk unrolls each chunk again in backward (the same im2col, so the
// same numbers), and memory grows with the batch only by what each example must keep.

import { type Backend, type WindowGeometry, windowGeometry } from '../backend';
import type { FloatArray } from '../types';
import type { Activation, Shape } from '../../model/spec';
import type { LayerContext, ParamLayer } from './layer';
import { WeightedLayer } from './weighted';

export class Conv2dLayer extends WeightedLayer implements ParamLayer {
  readonly type = 'conv2d';
  readonly label: string;
  readonly positionsPerUnit: number;
  readonly geometry: WindowGeometry;
  private readonly filters: number;
  private readonly colRows: number; // K
  private readonly positions: number; // P
  /** Examples whose columns `cols` holds at once. */
  private readonly chunk: number;
  /** chunk × K × P: the columns of the chunk in progress. */
  private readonly cols: FloatArray;
  private readonly dcols: FloatArray;
  /** gᵢ(W) for every example of the last step, maxBatch × F·K, and gᵢ(b), maxBatch × F. */
  private readonly perExampleWeight: FloatArray;
  private readonly perExampleBias: FloatArray;
  // Per-example views, created once so a step allocates nothing.
  private readonly colsViews: FloatArray[] = [];
  private readonly deltaViews: FloatArray[] = [];
  /**
   * Whether the activation (forward) and its derivative (backward) run inside each part, over the
   * part's own examples: on two threads the helper then does its half instead of this thread doing
   * the whole batch after the join. One call per part, as many as one thread made before (one call
   * per example, to keep zᵢ/δᵢ in cache, measured slower: the calls cost more than the cache saved).
   * Not for tanh and sigmoid on a splitting backend: the WASM backend computes those in JS, which a
   * split part cannot record (wasm/split.ts).
   */
  private readonly activationInParts: boolean;
  private readonly gradViews: FloatArray[] = [];
  private input: FloatArray | null = null;

  constructor(
    index: number,
    inputShape: Shape,
    spec: { filters: number; kernelSize: number; stride: number; padding: 'same' | 'valid' },
    activation: Activation,
    values: { weight: FloatArray; bias: FloatArray },
    ctx: LayerContext,
  ) {
    const channels = inputShape[0];
    const k = spec.kernelSize;
    const win = windowGeometry(inputShape, k, spec.stride, spec.padding);
    const F = spec.filters;
    super(index, inputShape, [F, win.outH, win.outW], activation, [F, channels, k, k], values, ctx);
    const { backend, maxBatch } = ctx;
    this.geometry = win;
    const K = channels * k * k;
    const P = win.outH * win.outW;
    this.filters = F;
    this.colRows = K;
    this.positions = P;
    this.positionsPerUnit = P;
    this.label = `conv2d ${k}×${k}×${F}${spec.stride > 1 ? ` /${spec.stride}` : ''} ${spec.padding}${activation === 'linear' ? '' : ` ${activation}`}`;
    this.chunk = Math.max(1, Math.min(maxBatch, ctx.chunk));
    this.cols = backend.alloc(this.chunk * K * P);
    this.dcols = backend.alloc((backend.splitExamples ? 2 : 1) * K * P); // one K×P block per part of a split batch
    this.perExampleWeight = backend.alloc(maxBatch * F * K);
    this.perExampleBias = backend.alloc(maxBatch * F);
    for (let i = 0; i < this.chunk; i++) this.colsViews.push(this.cols.subarray(i * K * P, (i + 1) * K * P));
    for (let i = 0; i < maxBatch; i++) {
      this.deltaViews.push(this.delta.subarray(i * F * P, (i + 1) * F * P));
      this.gradViews.push(this.perExampleWeight.subarray(i * F * K, (i + 1) * F * K));
    }
    this.activationInParts = !backend.splitExamples || (activation !== 'tanh' && activation !== 'sigmoid');
  }

  forward(input: FloatArray, m: number): void {
    this.input = input;
    const F = this.filters,
      K = this.colRows,
      P = this.positions;
    const be = this.backend;
    if (m <= this.chunk) {
      // One chunk: its examples split between the threads where the backend has two.
      this.eachPart(m, (part, start, end) => {
        const cols = this.cols.subarray(start * K * P, end * K * P);
        part.im2col(end - start, this.geometry, input.subarray(start * this.inSize, end * this.inSize), cols);
        this.product(part, start, end, cols);
        this.activate(part, start, end, this.activationInParts);
      });
      if (this.activationInParts) return;
    } else {
      this.eachChunk(m, input, (start, count) => this.product(be, start, start + count, this.cols));
      this.activate(be, 0, m, true);
      return;
    }
    // z has its bias; the activation computed in JS (tanh, sigmoid) over the whole batch
    if (this.output !== this.preActivation) be.biasActivation(m * F, P, this.activation, this.preActivation, null, this.output);
  }

  backward(outputGrad: FloatArray, m: number): void {
    const F = this.filters,
      K = this.colRows,
      P = this.positions;
    const be = this.backend;
    const delta = this.delta;
    const inParts = m <= this.chunk && this.activationInParts;
    if (!inParts) be.activationBackward(m * F * P, this.activation, this.preActivation, this.output, outputGrad, delta);
    if (m <= this.chunk) {
      // One chunk: its columns are still there from forward; the examples split as in forward.
      this.eachPart(m, (part, start, end, p) => {
        if (inParts) this.activationGradient(part, start, end, outputGrad);
        for (let i = start; i < end; i++) this.weightGradient(part, i, i);
        part.rowSums(
          (end - start) * F,
          P,
          1,
          delta.subarray(start * F * P, end * F * P),
          this.perExampleBias.subarray(start * F, end * F),
        );
        for (let i = start; i < end; i++) this.inputGradient(part, i, p);
      });
    } else {
      // Each chunk is unrolled again.
      this.eachChunk(m, this.input, (start, count) => {
        for (let i = 0; i < count; i++) this.weightGradient(be, start + i, i);
      });
      be.rowSums(m * F, P, 1, delta, this.perExampleBias);
      for (let i = 0; i < m; i++) this.inputGradient(be, i, 0);
    }
    // the batch gradients are the means of the per-example ones
    be.columnSums(m, F * K, 1 / m, 0, this.perExampleWeight, this.weight.grad);
    be.columnSums(m, F, 1 / m, 0, this.perExampleBias, this.bias.grad);
  }

  /** gᵢ(W) = δᵢ·colsᵢᵀ, the columns of example i in colsViews[col]. */
  private weightGradient(be: Backend, i: number, col: number): void {
    be.gemm(
      false,
      true,
      this.filters,
      this.colRows,
      this.positions,
      1,
      this.deltaViews[i],
      this.colsViews[col],
      0,
      this.gradViews[i],
    );
  }

  /** ∂xᵢ = col2im(Wᵀ·δᵢ), through the part's own dcols buffer. */
  private inputGradient(be: Backend, i: number, part: number): void {
    if (!this.inputGrad) return;
    const dcols = this.dcols.subarray(part * this.colRows * this.positions, (part + 1) * this.colRows * this.positions);
    be.gemm(true, false, this.colRows, this.positions, this.filters, 1, this.weight.value, this.deltaViews[i], 0, dcols);
    be.col2im(1, this.geometry, dcols, this.inputGrad.subarray(i * this.inSize, (i + 1) * this.inSize));
  }

  /** zᵢ = W·colsᵢ for examples [start, end), their columns from the start of `cols`, without the bias (activate adds it). */
  private product(be: Backend, start: number, end: number, cols: FloatArray): void {
    const [F, K, P] = [this.filters, this.colRows, this.positions];
    be.gemmEach(end - start, F, P, K, this.weight.value, cols, this.preActivation.subarray(start * F * P, end * F * P));
  }

  /**
   * z += b, then (withActivation) y = act(z), for examples [start, end), in one pass over z: no
   * bias-filled z before the product (a copy per example, which a split part would make on this
   * thread while it is recorded: 31 of the 8×28×28 layer's 32 recording µs in the bench CNN).
   */
  private activate(be: Backend, start: number, end: number, withActivation: boolean): void {
    const [a, b] = [start * this.outSize, end * this.outSize];
    const z = this.preActivation.subarray(a, b);
    const [activation, y] = withActivation ? [this.activation, this.output.subarray(a, b)] : (['linear', z] as const);
    be.channelBiasActivation(end - start, this.filters, this.positions, activation, z, this.bias.value, y);
  }

  /** δ = ∂L/∂y ⊙ act′(z) for examples [start, end). */
  private activationGradient(be: Backend, start: number, end: number, outputGrad: FloatArray): void {
    const [a, b] = [start * this.outSize, end * this.outSize];
    const [z, y, g, d] = [this.preActivation, this.output, outputGrad, this.delta].map((x) => x.subarray(a, b));
    be.activationBackward(b - a, this.activation, z, y, g, d);
  }

  /** run(backend, start, end) over parts of the batch, at the same time on two threads where the backend splits examples. */
  private eachPart(m: number, run: (be: Backend, start: number, end: number, part: number) => void): void {
    if (this.backend.splitExamples) this.backend.splitExamples(m, run);
    else run(this.backend, 0, m, 0);
  }

  /** Calls run(first example, count) per chunk of the batch, after unrolling the chunk's columns from `input` (when given). */
  private eachChunk(m: number, input: FloatArray | null, run: (start: number, count: number) => void): void {
    for (let start = 0; start < m; start += this.chunk) {
      const count = Math.min(this.chunk, m - start);
      if (input)
        this.backend.im2col(count, this.geometry, input.subarray(start * this.inSize, (start + count) * this.inSize), this.cols);
      run(start, count);
    }
  }

  // Over the materialised gᵢ, in the backend's kernels (M·F·K values, read twice a step):
  // ‖gᵢ‖² = Σ gᵢ(W)² + Σ gᵢ(b)², and gᵢ·G = gᵢ(W)·G_W + gᵢ(b)·G_b as one matrix–vector product each
  // (G stored as a row: the A·Bᵀ form, whose dot products suit n = 1).
  perExampleSquaredNorms(m: number, out: Float64Array): void {
    const be = this.backend;
    const [w, b] = this.perExampleReductions();
    be.rowSumSquares(m, this.filters * this.colRows, this.perExampleWeight, w);
    be.rowSumSquares(m, this.filters, this.perExampleBias, b);
    for (let i = 0; i < m; i++) out[i] = w[i] + b[i];
  }

  perExampleDotsWithMean(m: number, out: Float64Array): void {
    const be = this.backend;
    const [w, b] = this.perExampleReductions();
    be.gemm(false, true, m, 1, this.filters * this.colRows, 1, this.perExampleWeight, this.weight.grad, 0, w);
    be.gemm(false, true, m, 1, this.filters, 1, this.perExampleBias, this.bias.grad, 0, b);
    for (let i = 0; i < m; i++) out[i] = w[i] + b[i];
  }

  /** Two maxBatch-long results of the per-example reductions, allocated on first use. */
  private reductions: [FloatArray, FloatArray] | null = null;
  private perExampleReductions(): [FloatArray, FloatArray] {
    const maxBatch = this.perExampleBias.length / this.filters;
    this.reductions ??= [this.backend.alloc(maxBatch), this.backend.alloc(maxBatch)];
    return this.reductions;
  }

  perExampleScalar(kind: 'weight' | 'bias', index: number, m: number): number[] {
    const size = kind === 'weight' ? this.filters * this.colRows : this.filters;
    const source = kind === 'weight' ? this.perExampleWeight : this.perExampleBias;
    const result = new Array<number>(m);
    for (let i = 0; i < m; i++) result[i] = source[i * size + index];
    return result;
  }

  perExampleTensor(kind: 'weight' | 'bias', m: number): FloatArray {
    const size = kind === 'weight' ? this.filters * this.colRows : this.filters;
    return (kind === 'weight' ? this.perExampleWeight : this.perExampleBias).subarray(0, m * size);
  }
}
