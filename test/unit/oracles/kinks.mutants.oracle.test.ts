// Which side of every kink a network is on (src/engine/kinks.ts), against a pattern computed a
// second way: the pre-activations of a dense layer summed by hand in float64 from its weights, the
// standalone ReLU's own inputs, and max-pool winners found by a plain scan of each window. Only the
// batch's m rows count, layers without a kink add nothing.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Network } from '../../../src/engine/network';
import { referenceBackend } from '../../../src/engine/reference';
import { kinkPattern, samePattern } from '../../../src/engine/kinks';
import type { LayerSpec } from '../../../src/model/spec';
import { makeSpec } from '../engine/helpers';

function net(layers: LayerSpec[], inputShape: number[], maxBatch: number, input: number[]): Network {
  const n = new Network(makeSpec(layers), inputShape, referenceBackend('float64'), maxBatch);
  n.input.set(input);
  return n;
}

/** z = x·W + b by hand, W stored [in, out]. */
function preActivations(x: number[], m: number, inSize: number, w: ArrayLike<number>, b: ArrayLike<number>, out: number) {
  const z: number[] = [];
  for (let i = 0; i < m; i++)
    for (let o = 0; o < out; o++) {
      let s = b[o];
      for (let k = 0; k < inSize; k++) s += x[i * inSize + k] * w[k * out + o];
      z.push(s);
    }
  return z;
}

test('dense relu / leaky-relu: one entry per example and unit, 1 exactly where z > 0 (z = 0 is the flat side)', () => {
  for (const activation of ['relu', 'leaky-relu'] as const) {
    // Three examples in a buffer of four; the fourth row must not count.
    const x = [1, -2, 0.5, 0.25, -1, 3, 9, 9];
    const n = net([{ type: 'dense', units: 3, activation }], [2], 4, x);
    const v = n.values[0]!;
    v.weight.set([1, -1, 0, 0.5, 0.5, 0]);
    v.bias.set([0, 0, 0.25]);
    n.forward(3);
    const z = preActivations(x, 3, 2, v.weight, v.bias, 3);
    assert.ok(
      z.some((t) => t === 0),
      'the case includes a pre-activation exactly at the kink',
    );
    assert.deepEqual(
      Array.from(kinkPattern(n, 3)),
      z.map((t) => (t > 0 ? 1 : 0)),
      activation,
    );
  }
});

test('a standalone relu after a linear dense: its entries; smooth activations and linear layers add none', () => {
  const x = [0.3, -0.7, 1.1, 0.2];
  const n = net(
    [
      { type: 'dense', units: 4, activation: 'linear' },
      { type: 'relu' },
      { type: 'dense', units: 2, activation: 'sigmoid' },
      { type: 'tanh' },
    ],
    [2],
    2,
    x,
  );
  n.forward(2);
  const v = n.values[0]!;
  const z = preActivations(x, 2, 2, v.weight, v.bias, 4);
  assert.deepEqual(
    Array.from(kinkPattern(n, 2)),
    z.map((t) => (t > 0 ? 1 : 0)),
  );
});

test('max pooling: the flat index of each window’s first maximum, in output order, over m examples', () => {
  // One channel, 4×4, 2×2 windows, stride 2; two examples. Ties: the first in row order wins.
  const a = [1, 5, 2, 2, 3, 5, 2, 0, 0, 0, -1, -3, 0, 0, -2, -1];
  const b = [9, 1, 0, 4, 1, 1, 4, 0, 7, 8, 6, 6, 8, 7, 6, 6];
  const n = net([{ type: 'maxpool2d', poolSize: 2, stride: 2 }], [1, 4, 4], 2, [...a, ...b]);
  n.forward(2);
  const winners: number[] = [];
  for (let e = 0; e < 2; e++)
    for (let oy = 0; oy < 2; oy++)
      for (let ox = 0; ox < 2; ox++) {
        let best = -1;
        for (let ky = 0; ky < 2; ky++)
          for (let kx = 0; kx < 2; kx++) {
            const at = e * 16 + (2 * oy + ky) * 4 + 2 * ox + kx;
            if (best < 0 || n.input[at] > n.input[best]) best = at;
          }
        winners.push(best);
      }
  assert.deepEqual(winners, [1, 2, 8, 10, 16, 19, 25, 26], 'the hand scan itself');
  assert.deepEqual(Array.from(kinkPattern(n, 2)), winners);
});

test('before any forward pass a max-pool layer has no winners to report', () => {
  const n = net([{ type: 'maxpool2d', poolSize: 2, stride: 2 }], [1, 2, 2], 1, [1, 2, 3, 4]);
  assert.deepEqual(Array.from(kinkPattern(n, 1)), []);
});

test('samePattern: equal length and every entry equal', () => {
  const p = (...v: number[]) => Int32Array.from(v);
  assert.equal(samePattern(p(), p()), true);
  assert.equal(samePattern(p(1, 0, 3), p(1, 0, 3)), true);
  assert.equal(samePattern(p(1, 0, 3), p(1, 0)), false, 'a prefix is not the same pattern');
  assert.equal(samePattern(p(1, 0), p(1, 0, 3)), false);
  assert.equal(samePattern(p(1, 0, 3), p(1, 1, 3)), false, 'a middle entry differs');
  assert.equal(samePattern(p(1, 0, 3), p(1, 0, 4)), false, 'the last entry differs');
  assert.equal(samePattern(p(2, 0, 3), p(1, 0, 3)), false, 'the first entry differs');
});
