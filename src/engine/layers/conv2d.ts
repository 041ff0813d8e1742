// conv2d, channels-first: weights [F, C, k, k], bias [F], stride, same/valid padding (window2d).
// Per example, the input is unrolled (im2col) into cols [K = C·k·k, P = outH·outW], so that
//   z = W·cols + b           (F×K · K×P = F×P, already channels-first)
//   gᵢ(W) = δᵢ·colsᵢᵀ        (F×P · P×K), gᵢ(b)[f] = Σ_p δᵢ[f, p]
//   ∂colsᵢ = Wᵀ·δᵢ, folded back into ∂xᵢ by col2im.
// Per-example weight gradients are materialised every step (M × F·K, conv kernels are small):
// they cost exactly the per-example gemms a batch backward does anyway, and the batch
// gradient is then their mean, so per-example norms, dots and selections are exact and free.

import type { Backend } from '../backend';
import type { FloatArray } from '../types';
import type { Activation, Shape } from '../../model/spec';
import { window2d } from '../../model/shapes';
import { activationBackward, activationForward } from '../activations';
import { type LayerContext, type ParamLayer, type ParamTensor, shapeSize } from './layer';

export interface ConvGeometry {
  channels: number; height: number; width: number;
  kernel: number; stride: number; top: number; left: number; outH: number; outW: number;
}

export class Conv2dLayer implements ParamLayer {
  readonly type = 'conv2d';
  readonly label: string;
  readonly inSize: number;
  readonly outSize: number;
  readonly outputShape: Shape;
  readonly positionsPerUnit: number;
  readonly weight: ParamTensor;
  readonly bias: ParamTensor;
  readonly params: ParamTensor[];
  readonly preActivation: FloatArray;
  readonly output: FloatArray;
  readonly delta: FloatArray;
  readonly inputGrad: FloatArray | null;
  readonly geometry: ConvGeometry;
  private readonly filters: number;
  private readonly colRows: number; // K
  private readonly positions: number; // P
  private readonly backend: Backend;
  private readonly cols: FloatArray;
  private readonly dcols: FloatArray;
  /** gᵢ(W) for every example of the last step, maxBatch × F·K, and gᵢ(b), maxBatch × F. */
  private readonly perExampleWeight: FloatArray;
  private readonly perExampleBias: FloatArray;
  // Per-example views, created once so a step allocates nothing.
  private readonly colsViews: FloatArray[] = [];
  private readonly zViews: FloatArray[] = [];
  private readonly deltaViews: FloatArray[] = [];
  private readonly gradViews: FloatArray[] = [];
  private input: FloatArray | null = null;

  constructor(
    readonly index: number, readonly inputShape: Shape,
    spec: { filters: number; kernelSize: number; stride: number; padding: 'same' | 'valid' },
    readonly activation: Activation, values: { weight: FloatArray; bias: FloatArray }, ctx: LayerContext,
  ) {
    const { backend, maxBatch } = ctx;
    this.backend = backend;
    const [channels, height, width] = inputShape;
    const k = spec.kernelSize;
    const win = window2d(height, width, k, spec.stride, spec.padding);
    this.geometry = { channels, height, width, kernel: k, stride: spec.stride, top: win.top, left: win.left, outH: win.outH, outW: win.outW };
    const F = spec.filters;
    const K = channels * k * k;
    const P = win.outH * win.outW;
    this.filters = F;
    this.colRows = K;
    this.positions = P;
    this.positionsPerUnit = P;
    this.inSize = shapeSize(inputShape);
    this.outSize = F * P;
    this.outputShape = [F, win.outH, win.outW];
    this.label = `conv2d ${k}×${k}×${F}${spec.stride > 1 ? ` /${spec.stride}` : ''} ${spec.padding}${activation === 'linear' ? '' : ` ${activation}`}`;
    this.weight = {
      info: { name: `layers[${index}].weight`, layer: index, kind: 'weight', shape: [F, channels, k, k] },
      size: F * K, value: values.weight, grad: backend.alloc(F * K),
    };
    this.bias = {
      info: { name: `layers[${index}].bias`, layer: index, kind: 'bias', shape: [F] },
      size: F, value: values.bias, grad: backend.alloc(F),
    };
    this.params = [this.weight, this.bias];
    this.cols = backend.alloc(maxBatch * K * P);
    this.dcols = backend.alloc(K * P);
    this.preActivation = backend.alloc(maxBatch * F * P);
    this.output = activation === 'linear' ? this.preActivation : backend.alloc(maxBatch * F * P);
    this.delta = backend.alloc(maxBatch * F * P);
    this.perExampleWeight = backend.alloc(maxBatch * F * K);
    this.perExampleBias = backend.alloc(maxBatch * F);
    this.inputGrad = ctx.needsInputGrad ? backend.alloc(maxBatch * this.inSize) : null;
    for (let i = 0; i < maxBatch; i++) {
      this.colsViews.push(this.cols.subarray(i * K * P, (i + 1) * K * P));
      this.zViews.push(this.preActivation.subarray(i * F * P, (i + 1) * F * P));
      this.deltaViews.push(this.delta.subarray(i * F * P, (i + 1) * F * P));
      this.gradViews.push(this.perExampleWeight.subarray(i * F * K, (i + 1) * F * K));
    }
  }

  forward(input: FloatArray, m: number): void {
    this.input = input;
    const F = this.filters, K = this.colRows, P = this.positions;
    const b = this.bias.value;
    const be = this.backend;
    if (be.im2col) {
      const g = this.geometry;
      be.im2col({ channels: g.channels, height: g.height, width: g.width, kernel: g.kernel, stride: g.stride,
        padTop: g.top, padLeft: g.left, outH: g.outH, outW: g.outW }, m, input, this.cols);
      for (let i = 0; i < m; i++) {
        // z starts as the bias (a native fill per filter row), then gemm adds W·cols (beta = 1)
        const z = this.zViews[i];
        for (let f = 0; f < F; f++) z.fill(b[f], f * P, (f + 1) * P);
        be.gemm(false, false, F, P, K, 1, this.weight.value, this.colsViews[i], 1, z);
      }
      if (be.biasActivation) {
        if (this.output !== this.preActivation) be.biasActivation(m * F, P, this.preActivation, null, this.activation, this.output);
      } else {
        activationForward(this.activation, this.preActivation, this.output, m * F * P);
      }
      return;
    }
    for (let i = 0; i < m; i++) {
      im2col(this.geometry, input, i * this.inSize, this.cols, i * K * P);
      const z = this.zViews[i];
      this.backend.gemm(false, false, F, P, K, 1, this.weight.value, this.colsViews[i], 0, z);
      for (let f = 0; f < F; f++) {
        const bf = b[f];
        for (let p = f * P; p < (f + 1) * P; p++) z[p] += bf;
      }
    }
    activationForward(this.activation, this.preActivation, this.output, m * F * P);
  }

  backward(outputGrad: FloatArray, m: number): void {
    const F = this.filters, K = this.colRows, P = this.positions;
    const be = this.backend;
    const gW = this.weight.grad, gb = this.bias.grad;
    const delta = this.delta;
    if (be.activationBackward && be.columnSums && be.rowSums && be.col2im) {
      be.activationBackward(m * F * P, this.activation, this.output, outputGrad, delta);
      for (let i = 0; i < m; i++) be.gemm(false, true, F, K, P, 1, this.deltaViews[i], this.colsViews[i], 0, this.gradViews[i]);
      // the batch gradients are the means of the per-example ones
      be.columnSums(m, F * K, 1 / m, this.perExampleWeight, 0, gW);
      be.rowSums(m * F, P, 1, delta, this.perExampleBias);
      be.columnSums(m, F, 1 / m, this.perExampleBias, 0, gb);
      if (this.inputGrad) {
        const g = this.geometry;
        const geo = { channels: g.channels, height: g.height, width: g.width, kernel: g.kernel, stride: g.stride,
          padTop: g.top, padLeft: g.left, outH: g.outH, outW: g.outW };
        for (let i = 0; i < m; i++) {
          be.gemm(true, false, K, P, F, 1, this.weight.value, this.deltaViews[i], 0, this.dcols);
          be.col2im(geo, 1, this.dcols, this.inputGrad.subarray(i * this.inSize, (i + 1) * this.inSize));
        }
      }
      return;
    }
    activationBackward(this.activation, this.preActivation, this.output, outputGrad, this.delta, m * F * P);
    gW.fill(0);
    gb.fill(0);
    for (let i = 0; i < m; i++) {
      const gi = this.gradViews[i];
      this.backend.gemm(false, true, F, K, P, 1, this.deltaViews[i], this.colsViews[i], 0, gi);
      for (let j = 0; j < F * K; j++) gW[j] += gi[j];
      for (let f = 0; f < F; f++) {
        let s = 0;
        for (let p = i * F * P + f * P, end = p + P; p < end; p++) s += delta[p];
        this.perExampleBias[i * F + f] = s;
        gb[f] += s;
      }
      if (this.inputGrad) {
        this.backend.gemm(true, false, K, P, F, 1, this.weight.value, this.deltaViews[i], 0, this.dcols);
        col2im(this.geometry, this.dcols, this.inputGrad, i * this.inSize);
      }
    }
    for (let j = 0; j < F * K; j++) gW[j] /= m;
    for (let f = 0; f < F; f++) gb[f] /= m;
  }

  perExampleSquaredNorms(m: number, out: Float64Array): void {
    const FK = this.filters * this.colRows, F = this.filters;
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let j = i * FK; j < (i + 1) * FK; j++) s += this.perExampleWeight[j] * this.perExampleWeight[j];
      for (let j = i * F; j < (i + 1) * F; j++) s += this.perExampleBias[j] * this.perExampleBias[j];
      out[i] = s;
    }
  }

  perExampleDotsWithMean(m: number, out: Float64Array): void {
    const FK = this.filters * this.colRows, F = this.filters;
    const gW = this.weight.grad, gb = this.bias.grad;
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let j = 0; j < FK; j++) s += this.perExampleWeight[i * FK + j] * gW[j];
      for (let f = 0; f < F; f++) s += this.perExampleBias[i * F + f] * gb[f];
      out[i] = s;
    }
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
    return (kind === 'weight' ? this.perExampleWeight : this.perExampleBias).slice(0, m * size);
  }
}

/** Unrolls one example: cols[(c·k + ky)·k + kx][oy·outW + ox] = x[c][oy·s − top + ky][ox·s − left + kx] (0 outside). */
export function im2col(g: ConvGeometry, x: FloatArray, xOffset: number, cols: FloatArray, colsOffset: number): void {
  const { channels, height, width, kernel, stride, top, left, outH, outW } = g;
  const P = outH * outW;
  let row = colsOffset;
  for (let c = 0; c < channels; c++) {
    const plane = xOffset + c * height * width;
    for (let ky = 0; ky < kernel; ky++) {
      for (let kx = 0; kx < kernel; kx++, row += P) {
        let o = row;
        for (let oy = 0; oy < outH; oy++) {
          const y = oy * stride - top + ky;
          if (y < 0 || y >= height) {
            for (let ox = 0; ox < outW; ox++) cols[o++] = 0;
            continue;
          }
          const line = plane + y * width;
          for (let ox = 0; ox < outW; ox++) {
            const xx = ox * stride - left + kx;
            cols[o++] = xx >= 0 && xx < width ? x[line + xx] : 0;
          }
        }
      }
    }
  }
}

/** The adjoint of im2col: overwrites dx (one example) with the sum of the column entries that read each pixel. */
export function col2im(g: ConvGeometry, dcols: FloatArray, dx: FloatArray, dxOffset: number): void {
  const { channels, height, width, kernel, stride, top, left, outH, outW } = g;
  const P = outH * outW;
  dx.fill(0, dxOffset, dxOffset + channels * height * width);
  let row = 0;
  for (let c = 0; c < channels; c++) {
    const plane = dxOffset + c * height * width;
    for (let ky = 0; ky < kernel; ky++) {
      for (let kx = 0; kx < kernel; kx++, row += P) {
        let o = row;
        for (let oy = 0; oy < outH; oy++) {
          const y = oy * stride - top + ky;
          if (y < 0 || y >= height) { o += outW; continue; }
          const line = plane + y * width;
          for (let ox = 0; ox < outW; ox++, o++) {
            const xx = ox * stride - left + kx;
            if (xx >= 0 && xx < width) dx[line + xx] += dcols[o];
          }
        }
      }
    }
  }
}
