// A standalone activation layer (any activation of the model format): y = act(x), ∂x = ∂y ⊙ act′(x).

import type { FloatArray } from '../types';
import type { ActivationName, Shape } from '../../model/spec';
import type { LayerContext } from './layer';
import { ParameterFreeLayer } from './parameterFree';

export class ActivationLayer extends ParameterFreeLayer {
  readonly type: ActivationName;
  readonly label: string;
  private input: FloatArray | null = null;

  constructor(
    index: number,
    readonly activation: ActivationName,
    inputShape: Shape,
    ctx: LayerContext,
  ) {
    super(index, inputShape, inputShape.slice(), ctx);
    this.type = activation;
    this.label = activation;
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
