// Shape arithmetic shared by the validator (to report mismatches at the right layer) and the
// engine (to size its buffers). One place, so the two can never disagree.

import type { LayerSpec, Shape } from './spec';

export interface Padding2d {
  top: number;
  left: number;
  outH: number;
  outW: number;
}

/** Output size and padding of a 2-D window op (TensorFlow's `same`/`valid` convention). */
export function window2d(h: number, w: number, k: number, stride: number, padding: 'same' | 'valid'): Padding2d {
  if (padding === 'valid') {
    return { top: 0, left: 0, outH: Math.floor((h - k) / stride) + 1, outW: Math.floor((w - k) / stride) + 1 };
  }
  const outH = Math.ceil(h / stride);
  const outW = Math.ceil(w / stride);
  const padH = Math.max((outH - 1) * stride + k - h, 0);
  const padW = Math.max((outW - 1) * stride + k - w, 0);
  return { top: Math.floor(padH / 2), left: Math.floor(padW / 2), outH, outW };
}

export type ShapeResult = { ok: true; shape: Shape } | { ok: false; message: string };

/**
 * The output shape of one layer given its input shape (without the batch dimension).
 * A dense layer needs a rank-1 input; as the very first layer it reads the input flattened,
 * so an MLP on images needs no explicit flatten.
 */
export function layerOutputShape(layer: LayerSpec, input: Shape, isFirst: boolean): ShapeResult {
  const size = input.reduce((a, b) => a * b, 1);
  switch (layer.type) {
    case 'dense':
      if (input.length !== 1 && !isFirst) {
        return {
          ok: false,
          message: `a dense layer needs a flat input, got shape [${input.join(', ')}]; add { "type": "flatten" } before it`,
        };
      }
      return { ok: true, shape: [layer.units] };
    case 'flatten':
      return { ok: true, shape: [size] };
    case 'conv2d':
    case 'maxpool2d': {
      if (input.length !== 3) {
        return {
          ok: false,
          message: `${layer.type} needs an image input [channels, height, width], got shape [${input.join(', ')}]`,
        };
      }
      const [c, h, w] = input;
      const k = layer.type === 'conv2d' ? layer.kernelSize : layer.poolSize;
      const padding = layer.type === 'conv2d' ? layer.padding : 'valid';
      if (padding === 'valid' && (k > h || k > w)) {
        const what = layer.type === 'conv2d' ? 'kernel' : 'pool window';
        return { ok: false, message: `${what} ${k}×${k} is larger than its input ${h}×${w}` };
      }
      const p = window2d(h, w, k, layer.stride, padding);
      return { ok: true, shape: [layer.type === 'conv2d' ? layer.filters : c, p.outH, p.outW] };
    }
    default:
      return { ok: true, shape: input.slice() };
  }
}

/** Shapes after every layer; stops at the first layer whose input does not fit. */
export function inferShapes(
  layers: LayerSpec[],
  input: Shape,
): { shapes: Shape[]; error: { layer: number; message: string } | null } {
  const shapes: Shape[] = [];
  let cur = input;
  for (let i = 0; i < layers.length; i++) {
    const r = layerOutputShape(layers[i], cur, i === 0);
    if (!r.ok) return { shapes, error: { layer: i, message: r.message } };
    shapes.push(r.shape);
    cur = r.shape;
  }
  return { shapes, error: null };
}

/** The shape and class count of the built-in digits, known without loading them. */
export const MNIST_INFO = { inputShape: [1, 28, 28] as Shape, numClasses: 10 };
