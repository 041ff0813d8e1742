// A network: the layers of a spec wired in order, with an input buffer for the batch and the
// loss seed buffer at the end. Several networks can share one set of parameter values (training
// and evaluation), each with its own activations and gradients.

import type { Backend } from './backend';
import type { FloatArray } from './types';
import type { LayerSpec, ModelSpec, Shape } from '../model/spec';
import { inferShapes } from '../model/shapes';
import { Rng } from './random';
import { deriveSeed, Streams } from './seeds';
import { initWeights } from './init';
import { DEFAULT_CHUNK, type Layer, type LayerContext, type ParamLayer, isParamLayer, shapeSize } from './layers/layer';
import { DenseLayer } from './layers/dense';
import { Conv2dLayer } from './layers/conv2d';
import { MaxPool2dLayer } from './layers/maxpool2d';
import { FlattenLayer } from './layers/flatten';
import { ActivationLayer } from './layers/activation';
import { isReluLike } from './activations';

export interface ParamValues {
  weight: FloatArray;
  bias: FloatArray;
}

export class Network {
  readonly layers: Layer[];
  readonly paramLayers: ParamLayer[];
  /** maxBatch × prod(inputShape): the batch is copied here before forward. */
  readonly input: FloatArray;
  /** maxBatch × outputs: ∂Lᵢ/∂outputᵢ, written by the loss. */
  readonly outputGrad: FloatArray;
  readonly inputSize: number;
  readonly outputSize: number;
  /** Per spec layer: its parameter values, or null. */
  readonly values: (ParamValues | null)[];

  constructor(
    readonly spec: ModelSpec,
    readonly inputShape: Shape,
    readonly backend: Backend,
    readonly maxBatch: number,
    shared?: (ParamValues | null)[],
    chunk = DEFAULT_CHUNK,
  ) {
    const { shapes, error } = inferShapes(spec.layers, inputShape);
    if (error) throw new Error(`layers[${error.layer}]: ${error.message}`);
    this.values = shared ?? createParameters(spec, inputShape, shapes, backend);
    this.layers = [];
    let cur = inputShape;
    for (let i = 0; i < spec.layers.length; i++) {
      const ctx = { backend, maxBatch, needsInputGrad: i > 0, chunk };
      this.layers.push(buildLayer(i, spec.layers[i], cur, this.values[i], ctx));
      cur = shapes[i];
    }
    this.paramLayers = this.layers.filter(isParamLayer);
    this.inputSize = shapeSize(inputShape);
    this.outputSize = shapeSize(cur);
    this.input = backend.alloc(maxBatch * this.inputSize);
    this.outputGrad = backend.alloc(maxBatch * this.outputSize);
  }

  /** Runs the first m rows of `input` through every layer; returns the output buffer (m × outputs valid). */
  forward(m: number): FloatArray {
    let x = this.input;
    for (const layer of this.layers) {
      layer.forward(x, m);
      x = layer.output;
    }
    return x;
  }

  /** Back-propagates `outputGrad` (per-example, not divided by M) through every layer. */
  backward(m: number): void {
    let g = this.outputGrad;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const layer = this.layers[i];
      layer.backward(g, m);
      if (layer.inputGrad) g = layer.inputGrad;
    }
  }
}

function buildLayer(i: number, spec: LayerSpec, input: Shape, values: ParamValues | null, ctx: LayerContext): Layer {
  switch (spec.type) {
    case 'dense':
      return new DenseLayer(i, input, spec.units, spec.activation, values!, ctx);
    case 'conv2d':
      return new Conv2dLayer(i, input, spec, spec.activation, values!, ctx);
    case 'maxpool2d':
      return new MaxPool2dLayer(i, input, spec.poolSize, spec.stride, ctx);
    case 'flatten':
      return new FlattenLayer(i, input, ctx);
    default:
      return new ActivationLayer(i, spec.type, input, ctx);
  }
}

/** Allocates and seeds every weight and bias of the spec (biases stay 0). */
function createParameters(spec: ModelSpec, inputShape: Shape, shapes: Shape[], backend: Backend): (ParamValues | null)[] {
  const rng = new Rng(deriveSeed(spec.seed, Streams.init));
  const result: (ParamValues | null)[] = [];
  let cur = inputShape;
  for (let i = 0; i < spec.layers.length; i++) {
    const layer = spec.layers[i];
    const relu = followedByRelu(spec.layers, i);
    if (layer.type === 'dense') {
      const fanIn = shapeSize(cur);
      const weight = backend.alloc(fanIn * layer.units);
      initWeights(rng, weight, fanIn, layer.units, relu);
      result.push({ weight, bias: backend.alloc(layer.units) });
    } else if (layer.type === 'conv2d') {
      const k2 = layer.kernelSize * layer.kernelSize;
      const weight = backend.alloc(layer.filters * cur[0] * k2);
      initWeights(rng, weight, cur[0] * k2, layer.filters * k2, relu);
      result.push({ weight, bias: backend.alloc(layer.filters) });
    } else {
      result.push(null);
    }
    cur = shapes[i];
  }
  return result;
}

/** True when the layer's own activation, or the standalone layer right after it, is (leaky) ReLU. */
export function followedByRelu(layers: LayerSpec[], i: number): boolean {
  const l = layers[i];
  if ((l.type === 'dense' || l.type === 'conv2d') && l.activation !== 'linear') return isReluLike(l.activation);
  const next = layers[i + 1];
  return next !== undefined && isReluLike(next.type);
}

/**
 * The buffer whose zeros mean "dead ReLU unit" for a parameterised layer: its own output if it has a
 * fused relu, else the output of a standalone relu right after it, else null (no ReLU, no dead units).
 */
export function reluOutputOf(net: Network, layer: ParamLayer): FloatArray | null {
  if (layer.activation === 'relu') return layer.output;
  if (layer.activation !== 'linear') return null;
  const next = net.layers[layer.index + 1];
  return next && next.type === 'relu' ? next.output : null;
}
