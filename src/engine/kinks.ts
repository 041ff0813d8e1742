// Which side of every kink the network is on: the sign pattern of each (leaky) ReLU input and the
// winner of each max-pool window (found with the reference backend's own rule). Finite differences
// are only meaningful between points with the same pattern; across a kink (e.g. a ReLU input that is exactly 0, common with zero biases on
// MNIST's blank background) the function has no derivative and the two one-sided slopes differ.

import type { Network } from './network';
import { DenseLayer } from './layers/dense';
import { Conv2dLayer } from './layers/conv2d';
import { MaxPool2dLayer } from './layers/maxpool2d';
import { ActivationLayer } from './layers/activation';
import { isReluLike } from './activations';
import { forEachWindow } from './reference/windows';

export function kinkPattern(net: Network, m: number): Int32Array {
  const parts: number[] = [];
  for (const layer of net.layers) {
    if ((layer instanceof DenseLayer || layer instanceof Conv2dLayer) && isReluLike(layer.activation)) {
      for (let i = 0; i < m * layer.outSize; i++) parts.push(layer.preActivation[i] > 0 ? 1 : 0);
    } else if (layer instanceof ActivationLayer && isReluLike(layer.activation)) {
      // For both, output > 0 exactly when input > 0.
      for (let i = 0; i < m * layer.outSize; i++) parts.push(layer.output[i] > 0 ? 1 : 0);
    } else if (layer instanceof MaxPool2dLayer && layer.lastInput) {
      forEachWindow(m, layer.geometry, layer.lastInput, (_o, winner) => parts.push(winner));
    }
  }
  return Int32Array.from(parts);
}

export function samePattern(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
