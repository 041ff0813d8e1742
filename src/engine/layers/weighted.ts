// What the layers with a weight and a bias (dense, conv2d) share: their parameters, and the
// pre-activation, output, delta and input-gradient buffers, allocated once for the largest batch.
// Each subclass keeps its own forward, backward and per-example algebra side by side.

import type { Backend } from '../backend';
import type { FloatArray } from '../types';
import type { Activation, Shape } from '../../model/spec';
import { type LayerContext, type ParamTensor, paramTensor, shapeSize } from './layer';

export abstract class WeightedLayer {
  readonly inSize: number;
  readonly outSize: number;
  readonly weight: ParamTensor;
  readonly bias: ParamTensor;
  readonly params: ParamTensor[];
  /** Pre-activation z (the same buffer as output when the activation is linear). */
  readonly preActivation: FloatArray;
  readonly output: FloatArray;
  /** δᵢ = ∂Lᵢ/∂zᵢ of the last backward pass, maxBatch × outSize: kept for per-example gradients. */
  readonly delta: FloatArray;
  readonly inputGrad: FloatArray | null;
  protected readonly backend: Backend;

  /** The bias has one entry per output unit: outputShape[0] (the units of dense, the filters of conv). */
  constructor(
    readonly index: number,
    readonly inputShape: Shape,
    readonly outputShape: Shape,
    readonly activation: Activation,
    weightShape: number[],
    values: { weight: FloatArray; bias: FloatArray },
    ctx: LayerContext,
  ) {
    const { backend, maxBatch } = ctx;
    this.backend = backend;
    this.inSize = shapeSize(inputShape);
    this.outSize = shapeSize(outputShape);
    this.weight = paramTensor(backend, index, 'weight', weightShape, values.weight);
    this.bias = paramTensor(backend, index, 'bias', [outputShape[0]], values.bias);
    this.params = [this.weight, this.bias];
    this.preActivation = backend.alloc(maxBatch * this.outSize);
    this.output = activation === 'linear' ? this.preActivation : backend.alloc(maxBatch * this.outSize);
    this.delta = backend.alloc(maxBatch * this.outSize);
    this.inputGrad = ctx.needsInputGrad ? backend.alloc(maxBatch * this.inSize) : null;
  }
}
