// Where the first NaN/Infinity of a step is (src/engine/nonFinite.ts), on a small float64 network
// whose buffers the test poisons itself, so the expected report (layer, example, words, the training
// example's number) is known before the code runs. The culprit of an overflowing gradient is checked
// against per-example norms summed by hand: ‖gᵢ‖² = (‖aᵢ‖² + 1)·‖δᵢ‖² for a dense layer.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Network } from '../../../src/engine/network';
import { referenceBackend } from '../../../src/engine/reference';
import { firstNonFinite, locateForward, locateGradient, locateWeights } from '../../../src/engine/nonFinite';
import { dense, makeSpec } from '../engine/helpers';

const ctx = { step: 5, indices: [7, 3, 11] };

/** dense 3→2 then dense 2→2, both linear, batch buffers for 3 examples. */
function twoLayers(): Network {
  const n = new Network(makeSpec([dense(2), dense(2)]), [3], referenceBackend('float64'), 3);
  n.input.set([0.5, -1, 2, 1, 0, -0.5, 0.25, 0.75, 1.5]);
  return n;
}

test('firstNonFinite: the index of the first NaN or ±Infinity among the first n entries, -1 when none', () => {
  assert.equal(firstNonFinite(Float64Array.from([1, 2, NaN, Infinity]), 4), 2);
  assert.equal(firstNonFinite(Float64Array.from([-Infinity, NaN]), 2), 0);
  assert.equal(firstNonFinite(Float64Array.from([1, -2, 3e300, Infinity]), 4), 3);
  assert.equal(firstNonFinite(Float64Array.from([1, -2, 3e300, Infinity]), 3), -1, 'entries past n do not count');
  assert.equal(firstNonFinite(Float32Array.from([0, -0, 1e-30]), 3), -1);
  assert.equal(firstNonFinite(new Float64Array(0), 0), -1);
});

test('the input: its first bad entry, the example it belongs to and that example’s number in the training set', () => {
  const n = twoLayers();
  n.input[4] = NaN; // example 1 (row of 3)
  n.input[7] = -Infinity; // later: not the first
  assert.deepEqual(locateForward(n, 3, new Float64Array(3), ctx), {
    layer: 0,
    example: 1,
    where: 'input',
    message: 'The input contains NaN for example 1 of the batch (training example #3) at step 5.',
  });
  const m = twoLayers();
  m.input[8] = -Infinity;
  assert.equal(
    locateForward(m, 3, new Float64Array(3), ctx)?.message,
    'The input contains -Infinity for example 2 of the batch (training example #11) at step 5.',
  );
  const first = twoLayers();
  first.input[0] = Infinity;
  assert.equal(locateForward(first, 3, new Float64Array(3), ctx)?.example, 0, 'the very first entry counts');
  // A bad value in a row past the batch's m rows is not part of this step.
  const k = twoLayers();
  k.input[8] = NaN;
  k.forward(2);
  assert.equal(locateForward(k, 2, new Float64Array(2), ctx), null);
});

test('an activation: the earliest layer whose output is not finite, with its label', () => {
  const n = twoLayers();
  n.values[1]!.bias[1] = Infinity;
  n.forward(3);
  assert.deepEqual(locateForward(n, 3, new Float64Array(3), ctx), {
    layer: 1,
    example: 0,
    where: 'activation',
    message: 'layers[1] (dense 2→2) produced Infinity for example 0 of the batch (training example #7) at step 5.',
  });
  // Finite inputs that overflow in layer 0 for the last example only: 3·1e308 > the float64 maximum.
  const late = twoLayers();
  late.input.set([1e308, 1e308, 1e308], 6);
  late.values[0]!.weight.fill(1);
  late.forward(3);
  assert.deepEqual(
    [locateForward(late, 3, new Float64Array(3), ctx)?.layer, locateForward(late, 3, new Float64Array(3), ctx)?.example],
    [0, 2],
    'the last example of the batch is looked at too',
  );
  n.values[0]!.bias[0] = -Infinity;
  n.forward(3);
  assert.equal(locateForward(n, 3, new Float64Array(3), ctx)?.layer, 0, 'the first layer is reported before the second');
});

test('the loss: layer -1 and the example whose loss is not finite', () => {
  const n = twoLayers();
  n.forward(3);
  assert.deepEqual(locateForward(n, 3, Float64Array.from([0.5, 1, Infinity]), ctx), {
    layer: -1,
    example: 2,
    where: 'loss',
    message: 'The loss is Infinity for example 2 of the batch (training example #11) at step 5.',
  });
  assert.equal(locateForward(n, 3, Float64Array.from([0.5, 1, 2]), ctx), null, 'a clean forward pass reports nothing');
});

test('the weights after an update: the first layer from the input, no example', () => {
  const n = twoLayers();
  assert.equal(locateWeights(n, ctx), null);
  n.values[1]!.weight[3] = -Infinity;
  assert.deepEqual(locateWeights(n, ctx), {
    layer: 1,
    example: -1,
    where: 'weights',
    message: 'layers[1].weight (dense 2→2) became -Infinity after the update of step 5; try a smaller learning rate.',
  });
  n.values[0]!.bias[1] = NaN;
  assert.equal(
    locateWeights(n, ctx)?.message,
    'layers[0].bias (dense 3→2) became NaN after the update of step 5; try a smaller learning rate.',
  );
});

test('a gradient: the layer nearest the output first; the example from the first bad delta', () => {
  const n = twoLayers();
  n.forward(3);
  assert.equal(locateGradient(n, 3, ctx), null);
  const [l0, l1] = n.paramLayers;
  l0.params[0].grad[1] = NaN;
  l1.params[1].grad[0] = Infinity;
  l1.delta.set([0.1, 0.2, 0.3, NaN, 0.5, 0.6]);
  assert.deepEqual(locateGradient(n, 3, ctx), {
    layer: 1,
    example: 1,
    where: 'gradient',
    message: 'The gradient of layers[1].bias (dense 2→2) is Infinity for example 1 of the batch (training example #3) at step 5.',
  });
  l1.params[1].grad[0] = 0;
  l0.delta.set([0, 0, 0, 0, NaN, 0]);
  assert.equal(
    locateGradient(n, 3, ctx)?.message,
    'The gradient of layers[0].weight (dense 3→2) is NaN for example 2 of the batch (training example #11) at step 5.',
  );
});

test('finite deltas but an overflowing gradient: the example with the largest per-example gradient norm', () => {
  for (const deltas of [
    [1, 0, 0.1, 0.1, 0, 2],
    [0.1, 0, 3, 0, 0.2, 0.2],
    [0, 0, 0, 0, 0, 0],
  ]) {
    const n = twoLayers();
    n.forward(3);
    const layer = n.paramLayers[1];
    layer.delta.set(deltas);
    layer.params[0].grad[2] = Infinity;
    // By hand: a = the layer's input (layer 0's output), ‖gᵢ‖² = (‖aᵢ‖² + 1)·‖δᵢ‖².
    const a = n.layers[0].output;
    const norms = [0, 1, 2].map((i) => (a[2 * i] ** 2 + a[2 * i + 1] ** 2 + 1) * (deltas[2 * i] ** 2 + deltas[2 * i + 1] ** 2));
    const expected = norms.indexOf(Math.max(...norms));
    assert.equal(locateGradient(n, 3, ctx)?.example, expected, `deltas ${deltas}: norms ${norms}`);
  }
});

test('an overflowing gradient whose per-example norm is NaN for one example names that example', () => {
  const n = twoLayers();
  n.forward(3);
  const layer = n.paramLayers[1];
  // A NaN in example 1's input to the layer makes its norm NaN; example 2 has the largest finite one.
  layer.delta.set([1e-3, 0, 0.1, 0, 5, 5]);
  n.layers[0].output[2] = NaN;
  layer.params[0].grad[0] = Infinity;
  assert.equal(locateGradient(n, 3, ctx)?.example, 1, 'the NaN norm wins over a larger finite one after it');
});

test('the example of a bad gradient comes from the first bad delta, also at entry 0 or in a later row', () => {
  // Row 0 (or 1) Infinity, row 2 NaN: the first bad delta says 0 (or 1); the largest norm would say 2 (a NaN norm wins).
  for (const [row, expected] of [
    [0, 0],
    [1, 1],
  ]) {
    const n = twoLayers();
    n.forward(3);
    const layer = n.paramLayers[1];
    layer.delta.set([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    layer.delta[2 * row] = Infinity;
    layer.delta[5] = NaN;
    layer.params[0].grad[0] = NaN;
    assert.equal(locateGradient(n, 3, ctx)?.example, expected, `bad delta in row ${row}`);
  }
});

test('a bad gradient with no example in the batch (m = 0) names no example', () => {
  const n = twoLayers();
  n.forward(3);
  n.paramLayers[1].params[1].grad[0] = Infinity;
  assert.deepEqual(locateGradient(n, 0, ctx), {
    layer: 1,
    example: -1,
    where: 'gradient',
    message: 'The gradient of layers[1].bias (dense 2→2) is Infinity at step 5.',
  });
});
