// maxpool2d, channels-first, `valid` windows: y = max over the window; the gradient flows only to
// the input that won (the first maximum; a NaN wins and stays), which the backend finds again
// from the input and the output, so nothing else is remembered between forward and backward.

import type { FloatArray } from '../types';
import { type WindowGeometry, windowGeometry } from '../backend';
import type { Shape } from '../../model/spec';
import type { LayerContext } from './layer';
import { ParameterFreeLayer } from './parameterFree';

export class MaxPool2dLayer extends ParameterFreeLayer {
  readonly type = 'maxpool2d';
  readonly label: string;
  readonly geometry: WindowGeometry;
  private input: FloatArray | null = null;

  constructor(
    index: number,
    inputShape: Shape,
    readonly poolSize: number,
    readonly stride: number,
    ctx: LayerContext,
  ) {
    const geometry = windowGeometry(inputShape, poolSize, stride, 'valid');
    super(index, inputShape, [geometry.channels, geometry.outH, geometry.outW], ctx);
    this.geometry = geometry;
    this.label = `maxpool2d ${poolSize}×${poolSize}${stride !== poolSize ? ` /${stride}` : ''}`;
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
