// Every layer, activation and loss against float64 central finite differences of the batch loss,
// for every parameter entry of small networks with odd shapes, strides and both paddings.
// Layers without parameters are tested through the parameters of the layers before them
// (whose gradients flow through their backward).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../../../src/engine/network';
import { referenceBackend } from '../../../src/engine/reference';
import { computeLoss } from '../../../src/engine/loss';
import type { LayerSpec, LossName } from '../../../src/model/spec';
import { conv, dense, makeSpec, randomDataset } from './helpers';
import { ACTIVATION_LAYER_TYPES, ACTIVATIONS } from '../../../src/model/fields';

function checkAgainstFiniteDifferences(
  layers: LayerSpec[],
  inputShape: number[],
  classes: number,
  loss: LossName,
  m = 3,
  /** Runs after the backward pass, before the comparison: a way to hand the check a wrong gradient. */
  tamper?: (net: Network) => void,
): number {
  const spec = makeSpec(layers, { loss, seed: 11 });
  const data = randomDataset(5, m, inputShape, classes);
  const net = new Network(spec, inputShape, referenceBackend('float64'), m);
  net.input.set(data.x);
  const perExample = new Float64Array(m);
  const predictions = new Int32Array(m);
  const lossAt = (seed: boolean) =>
    computeLoss(loss, net.forward(m), data.y, m, classes, perExample, predictions, seed ? net.outputGrad : null).loss;
  // Random biases too, so bias gradients and ReLU kinks are exercised away from zero.
  for (const l of net.paramLayers) for (let i = 0; i < l.bias.size; i++) l.bias.value[i] = 0.1 * Math.sin(7 * i + l.index);
  lossAt(true);
  net.backward(m);
  tamper?.(net);
  let worst = 0;
  const eps = 1e-6;
  for (const l of net.paramLayers)
    for (const p of l.params) {
      for (let j = 0; j < p.size; j++) {
        const v = p.value[j];
        p.value[j] = v + eps;
        const plus = lossAt(false);
        p.value[j] = v - eps;
        const minus = lossAt(false);
        p.value[j] = v;
        const numeric = (plus - minus) / (2 * eps);
        const err = Math.abs(numeric - p.grad[j]) / Math.max(Math.abs(numeric) + Math.abs(p.grad[j]), 1e-6);
        assert.ok(err < 1e-5, `${p.info.name}[${j}]: backprop ${p.grad[j]} vs finite difference ${numeric}`);
        worst = Math.max(worst, err);
      }
    }
  return worst;
}

for (const act of ACTIVATIONS) {
  test(`dense with fused ${act}, then dense (cross-entropy)`, () => {
    checkAgainstFiniteDifferences([dense(5, act), dense(3)], [7], 3, 'cross-entropy');
  });
}

for (const act of ACTIVATION_LAYER_TYPES) {
  test(`standalone ${act} layer between dense layers (mse)`, () => {
    checkAgainstFiniteDifferences([dense(6), { type: act }, dense(3)], [5], 3, 'mse');
  });
}

test('dense as first layer reads an image input flattened', () => {
  checkAgainstFiniteDifferences([dense(4, 'tanh'), dense(2)], [2, 3, 5], 2, 'cross-entropy');
});

for (const [stride, padding] of [
  [1, 'same'],
  [1, 'valid'],
  [2, 'same'],
  [2, 'valid'],
] as const) {
  test(`conv2d 3×3 stride ${stride} ${padding} on 2×7×5, then flatten and dense`, () => {
    checkAgainstFiniteDifferences(
      [conv(3, 3, stride, padding, 'tanh'), { type: 'flatten' }, dense(3)],
      [2, 7, 5],
      3,
      'cross-entropy',
    );
  });
}

test('conv2d into conv2d (input gradient through col2im), even kernel, same padding', () => {
  checkAgainstFiniteDifferences(
    [conv(3, 2, 1, 'same', 'sigmoid'), conv(2, 3, 2, 'valid', 'leaky-relu'), { type: 'flatten' }, dense(3)],
    [1, 6, 7],
    3,
    'mse',
  );
});

test('maxpool2d 2×2 and overlapping 3×3 stride 1, odd sizes', () => {
  checkAgainstFiniteDifferences(
    [conv(2, 3, 1, 'same', 'tanh'), { type: 'maxpool2d', poolSize: 2, stride: 2 }, { type: 'flatten' }, dense(3)],
    [1, 7, 5],
    3,
    'cross-entropy',
  );
  checkAgainstFiniteDifferences(
    [conv(2, 3, 1, 'valid', 'relu'), { type: 'maxpool2d', poolSize: 3, stride: 1 }, { type: 'flatten' }, dense(3)],
    [2, 7, 6],
    3,
    'mse',
  );
});

test('a finite-difference check can fail: the same helper throws on a wrong analytic gradient', () => {
  // The helper every test above relies on, handed gradients that are slightly wrong in one entry
  // each time: it must name that entry. A check that never compares would let all of these pass.
  const layers = [dense(3, 'tanh'), dense(2)];
  for (const [what, tamper, entry] of [
    ['one weight 1 % too large', (n: Network) => (n.paramLayers[0].weight.grad[0] *= 1.01), /layers\[0\]\.weight\[0\]/],
    ['one bias with the wrong sign', (n: Network) => (n.paramLayers[1].bias.grad[1] *= -1), /layers\[1\]\.bias\[1\]/],
    ['one weight off by 1e-4', (n: Network) => (n.paramLayers[1].weight.grad[3] += 1e-4), /layers\[1\]\.weight\[3\]/],
  ] as const) {
    assert.throws(
      () => checkAgainstFiniteDifferences(layers, [4], 2, 'cross-entropy', 2, tamper),
      (e: Error) => entry.test(e.message) && /backprop .* vs finite difference/.test(e.message),
      what,
    );
  }
  // Untouched, the same network passes.
  assert.ok(checkAgainstFiniteDifferences(layers, [4], 2, 'cross-entropy', 2) < 1e-5);
});
