// flatten: [c, h, w] → [c·h·w]. Channels-first row-major storage already is the flat order,
// so forward and backward are plain copies.

import type { FloatArray } from '../types';
import type { Shape } from '../../model/spec';
import { type Layer, type LayerContext, shapeSize } from './layer';

export class FlattenLayer implements Layer {
  readonly type = 'flatten';
  readonly label: string;
  readonly inSize: number;
  readonly outSize: number;
  readonly outputShape: Shape;
  readonly output: FloatArray;
  readonly inputGrad: FloatArray | null;
  readonly params = [];

  constructor(readonly index: number, readonly inputShape: Shape, ctx: LayerContext) {
    this.inSize = shapeSize(inputShape);
    this.outSize = this.inSize;
    this.outputShape = [this.inSize];
    this.label = `flatten [${inputShape.join('×')}]→${this.outSize}`;
    this.output = ctx.backend.alloc(ctx.maxBatch * this.outSize);
    this.inputGrad = ctx.needsInputGrad ? ctx.backend.alloc(ctx.maxBatch * this.inSize) : null;
  }

  forward(input: FloatArray, m: number): void {
    this.output.set(input.subarray(0, m * this.inSize));
  }

  backward(outputGrad: FloatArray, m: number): void {
    if (this.inputGrad) this.inputGrad.set(outputGrad.subarray(0, m * this.outSize));
  }
}
