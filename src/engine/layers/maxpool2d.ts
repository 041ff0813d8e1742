// maxpool2d, channels-first, `valid` windows: y = max over the window; the gradient flows only to
// the input that won (the first one on ties), remembered during forward.

import type { FloatArray } from '../types';
import type { Backend, PoolGeometry } from '../backend';
import type { Shape } from '../../model/spec';
import { window2d } from '../../model/shapes';
import { type Layer, type LayerContext, shapeSize } from './layer';

export class MaxPool2dLayer implements Layer {
  readonly type = 'maxpool2d';
  readonly label: string;
  readonly inSize: number;
  readonly outSize: number;
  readonly outputShape: Shape;
  readonly output: FloatArray;
  readonly inputGrad: FloatArray | null;
  readonly params = [];
  /**
   * For each output value of the last forward, the flat input index of the window's maximum.
   * Filled by the plain-TS path only: a backend with maxPool/maxPoolBackward finds winners itself.
   */
  readonly argmax: Int32Array;
  private readonly backend: Backend;
  private input: FloatArray | null = null;

  constructor(readonly index: number, readonly inputShape: Shape, readonly poolSize: number, readonly stride: number, ctx: LayerContext) {
    const [c, h, w] = inputShape;
    const win = window2d(h, w, poolSize, stride, 'valid');
    this.inSize = shapeSize(inputShape);
    this.outputShape = [c, win.outH, win.outW];
    this.outSize = c * win.outH * win.outW;
    this.label = `maxpool2d ${poolSize}×${poolSize}${stride !== poolSize ? ` /${stride}` : ''}`;
    this.backend = ctx.backend;
    this.output = ctx.backend.alloc(ctx.maxBatch * this.outSize);
    this.argmax = new Int32Array(ctx.maxBatch * this.outSize);
    this.inputGrad = ctx.needsInputGrad ? ctx.backend.alloc(ctx.maxBatch * this.inSize) : null;
  }

  private geometry(): PoolGeometry {
    const [, h, w] = this.inputShape;
    const [, outH, outW] = this.outputShape;
    return { height: h, width: w, pool: this.poolSize, stride: this.stride, outH, outW };
  }

  forward(input: FloatArray, m: number): void {
    this.input = input;
    if (this.backend.maxPool) {
      this.backend.maxPool(this.geometry(), m * this.inputShape[0], input, this.output);
      return;
    }
    const [c, h, w] = this.inputShape;
    const [, outH, outW] = this.outputShape;
    const k = this.poolSize, s = this.stride;
    let o = 0;
    for (let i = 0; i < m; i++) {
      for (let ch = 0; ch < c; ch++) {
        const plane = i * this.inSize + ch * h * w;
        for (let oy = 0; oy < outH; oy++) {
          for (let ox = 0; ox < outW; ox++, o++) {
            let best = plane + oy * s * w + ox * s;
            let bestValue = input[best];
            for (let ky = 0; ky < k; ky++) {
              for (let kx = 0; kx < k; kx++) {
                const at = plane + (oy * s + ky) * w + ox * s + kx;
                const v = input[at];
                // A NaN wins and then stays: pooling must not hide non-finite values from detection.
                if (bestValue === bestValue && !(v <= bestValue)) { best = at; bestValue = v; }
              }
            }
            this.output[o] = bestValue;
            this.argmax[o] = best;
          }
        }
      }
    }
  }

  backward(outputGrad: FloatArray, m: number): void {
    if (!this.inputGrad) return;
    if (this.backend.maxPoolBackward && this.input) {
      this.backend.maxPoolBackward(this.geometry(), m * this.inputShape[0], this.input, this.output, outputGrad, this.inputGrad);
      return;
    }
    this.inputGrad.fill(0, 0, m * this.inSize);
    for (let o = 0; o < m * this.outSize; o++) this.inputGrad[this.argmax[o]] += outputGrad[o];
  }
}
