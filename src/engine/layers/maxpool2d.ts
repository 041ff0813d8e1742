// maxpool2d, channels-first, `valid` windows: y = max over the window; the gradient flows only to
// the input that won (the first maximum; a NaN wins and stays), which the backend finds again
// from the input and the output, so nothing else is remembered between forward and backward.

import type { FloatArray } from '../types';
import { type Backend, type WindowGeometry, windowGeometry } from '../backend';
import type { Shape } from '../../model/spec';
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
  readonly geometry: WindowGeometry;
  private readonly backend: Backend;
  private input: FloatArray | null = null;

  constructor(readonly index: number, readonly inputShape: Shape, readonly poolSize: number, readonly stride: number, ctx: LayerContext) {
    this.geometry = windowGeometry(inputShape, poolSize, stride, 'valid');
    const { channels, outH, outW } = this.geometry;
    this.inSize = shapeSize(inputShape);
    this.outputShape = [channels, outH, outW];
    this.outSize = channels * outH * outW;
    this.label = `maxpool2d ${poolSize}×${poolSize}${stride !== poolSize ? ` /${stride}` : ''}`;
    this.backend = ctx.backend;
    this.output = ctx.backend.alloc(ctx.maxBatch * this.outSize);
    this.inputGrad = ctx.needsInputGrad ? ctx.backend.alloc(ctx.maxBatch * this.inSize) : null;
  }

  /** The input of the last forward pass (null before the first). */
  get lastInput(): FloatArray | null {
    return this.input;
  }

  forward(input: FloatArray, m: number): void {
    this.input = input;
    this.backend.maxPool(m, this.geometry, input, this.output);
  }

  backward(outputGrad: FloatArray, m: number): void {
    if (!this.inputGrad || !this.input) return;
    this.backend.maxPoolBackward(m, this.geometry, this.input, this.output, outputGrad, this.inputGrad);
  }
}
