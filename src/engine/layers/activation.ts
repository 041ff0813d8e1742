// A standalone activation layer (any activation of the model format): y = act(x), ∂x = ∂y ⊙ act′(x).

import type { FloatArray } from '../types';
import type { Backend } from '../backend';
import type { ActivationName, Shape } from '../../model/spec';
import { type Layer, type LayerContext, shapeSize } from './layer';

export class ActivationLayer implements Layer {
  readonly type: ActivationName;
  readonly label: string;
  readonly inSize: number;
  readonly outSize: number;
  readonly outputShape: Shape;
  readonly output: FloatArray;
  readonly inputGrad: FloatArray | null;
  readonly params = [];
  private readonly backend: Backend;
  private input: FloatArray | null = null;

  constructor(readonly index: number, readonly activation: ActivationName, readonly inputShape: Shape, ctx: LayerContext) {
    this.type = activation;
    this.inSize = shapeSize(inputShape);
    this.outSize = this.inSize;
    this.outputShape = inputShape.slice();
    this.label = activation;
    this.backend = ctx.backend;
    this.output = ctx.backend.alloc(ctx.maxBatch * this.outSize);
    this.inputGrad = ctx.needsInputGrad ? ctx.backend.alloc(ctx.maxBatch * this.inSize) : null;
  }

  forward(input: FloatArray, m: number): void {
    this.input = input;
    this.backend.biasActivation(m, this.inSize, this.activation, input, null, this.output);
  }

  backward(outputGrad: FloatArray, m: number): void {
    if (!this.inputGrad || !this.input) return;
    this.backend.activationBackward(m * this.inSize, this.activation, this.input, this.output, outputGrad, this.inputGrad);
  }
}
