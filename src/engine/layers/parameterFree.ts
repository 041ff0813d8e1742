// What the layers without parameters (activation, flatten, pooling) share: sizes from the shapes,
// an output buffer and an input-gradient buffer allocated once for the largest batch, no params.

import type { FloatArray } from '../types';
import type { Backend } from '../backend';
import type { Shape } from '../../model/spec';
import { type Layer, type LayerContext, type ParamTensor, shapeSize } from './layer';

export abstract class ParameterFreeLayer implements Layer {
  abstract readonly type: string;
  abstract readonly label: string;
  readonly inSize: number;
  readonly outSize: number;
  readonly output: FloatArray;
  readonly inputGrad: FloatArray | null;
  readonly params: ParamTensor[] = [];
  protected readonly backend: Backend;

  constructor(
    readonly index: number,
    readonly inputShape: Shape,
    readonly outputShape: Shape,
    ctx: LayerContext,
  ) {
    this.inSize = shapeSize(inputShape);
    this.outSize = shapeSize(outputShape);
    this.backend = ctx.backend;
    this.output = ctx.backend.alloc(ctx.maxBatch * this.outSize);
    this.inputGrad = ctx.needsInputGrad ? ctx.backend.alloc(ctx.maxBatch * this.inSize) : null;
  }

  abstract forward(input: FloatArray, m: number): void;
  abstract backward(outputGrad: FloatArray, m: number): void;
}
