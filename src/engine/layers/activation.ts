// A standalone activation layer (relu, leaky-relu, tanh, sigmoid): y = act(x), ∂x = ∂y ⊙ act'(x).

import type { FloatArray } from '../types';
import type { ActivationName, Shape } from '../../model/spec';
import { activationBackward, activationForward } from '../activations';
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
  private input: FloatArray | null = null;

  constructor(readonly index: number, readonly activation: ActivationName, readonly inputShape: Shape, ctx: LayerContext) {
    this.type = activation;
    this.inSize = shapeSize(inputShape);
    this.outSize = this.inSize;
    this.outputShape = inputShape.slice();
    this.label = activation;
    this.output = ctx.backend.alloc(ctx.maxBatch * this.outSize);
    this.inputGrad = ctx.needsInputGrad ? ctx.backend.alloc(ctx.maxBatch * this.inSize) : null;
  }

  forward(input: FloatArray, m: number): void {
    this.input = input;
    activationForward(this.activation, input, this.output, m * this.inSize);
  }

  backward(outputGrad: FloatArray, m: number): void {
    if (!this.inputGrad || !this.input) return;
    activationBackward(this.activation, this.input, this.output, outputGrad, this.inputGrad, m * this.inSize);
  }
}
