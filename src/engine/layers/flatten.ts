// flatten: [c, h, w] → [c·h·w]. Channels-first row-major storage already is the flat order,
// so forward and backward are plain copies.

import type { FloatArray } from '../types';
import type { Shape } from '../../model/spec';
import { type LayerContext, shapeSize } from './layer';
import { ParameterFreeLayer } from './parameterFree';

export class FlattenLayer extends ParameterFreeLayer {
  readonly type = 'flatten';
  readonly label: string;

  constructor(index: number, inputShape: Shape, ctx: LayerContext) {
    super(index, inputShape, [shapeSize(inputShape)], ctx);
    this.label = `flatten [${inputShape.join('×')}]→${this.outSize}`;
  }

  forward(input: FloatArray, m: number): void {
    this.output.set(input.subarray(0, m * this.inSize));
  }

  backward(outputGrad: FloatArray, m: number): void {
    if (this.inputGrad) this.inputGrad.set(outputGrad.subarray(0, m * this.outSize));
  }
}
