// Loss and accuracy over a whole set (src/engine/evaluation.ts), run through the network in chunks
// of its largest batch, against a float64 forward pass written out here one example at a time
// (z = x·W + b, tanh, x·W + b, log-softmax), so chunking, gathering and the mean are all checked.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Network } from '../../../src/engine/network';
import { referenceBackend } from '../../../src/engine/reference';
import { BatchOutputs, evaluateSet } from '../../../src/engine/evaluation';
import type { Dataset } from '../../../src/data/dataset';
import { dense, makeSpec, randomDataset } from '../engine/helpers';

const [IN, HIDDEN, CLASSES] = [5, 3, 4];

/** Example i's cross-entropy loss and predicted class, by hand in float64 from the network's weights. */
function byHand(net: Network, set: Dataset, i: number): { loss: number; prediction: number } {
  const [l0, l1] = net.values as { weight: Float64Array; bias: Float64Array }[];
  const x = set.x.subarray(i * IN, (i + 1) * IN);
  const h = Array.from({ length: HIDDEN }, (_, q) => {
    let z = l0.bias[q];
    for (let p = 0; p < IN; p++) z += x[p] * l0.weight[p * HIDDEN + q];
    return Math.tanh(z);
  });
  const out = Array.from({ length: CLASSES }, (_, q) => {
    let z = l1.bias[q];
    for (let p = 0; p < HIDDEN; p++) z += h[p] * l1.weight[p * CLASSES + q];
    return z;
  });
  const max = Math.max(...out);
  const logSum = max + Math.log(out.reduce((s, z) => s + Math.exp(z - max), 0));
  return { loss: logSum - out[set.y[i]], prediction: out.indexOf(max) };
}

function setUp(count: number, maxBatch: number) {
  const net = new Network(makeSpec([dense(HIDDEN, 'tanh'), dense(CLASSES)]), [IN], referenceBackend('float64'), maxBatch);
  // biases away from 0, so a bias read at the wrong place shows
  (net.values as { bias: Float64Array }[]).forEach((v, l) => v.bias.forEach((_, q) => (v.bias[q] = 0.1 * (q + 1) - 0.2 * l)));
  return { net, set: randomDataset(4, count, [IN], CLASSES) };
}

test('evaluateSet: the mean loss and the accuracy over every example, in chunks of the largest batch (7 = 3 + 3 + 1)', () => {
  for (const [count, maxBatch] of [
    [7, 3],
    [6, 3],
    [5, 8],
  ]) {
    const { net, set } = setUp(count, maxBatch);
    const rows = Array.from({ length: count }, (_, i) => byHand(net, set, i));
    const r = evaluateSet(net, 'cross-entropy', set, new BatchOutputs(maxBatch));
    const loss = rows.reduce((s, e) => s + e.loss, 0) / count;
    const correct = rows.filter((e, i) => e.prediction === set.y[i]).length;
    assert.ok(Math.abs(r.loss - loss) < 1e-12, `${count}/${maxBatch}: ${r.loss} vs ${loss}`);
    assert.equal(r.accuracy, correct / count, `${count}/${maxBatch}`);
  }
});

test('BatchOutputs: gather copies the chosen examples and their labels, rows gives the first m labels, predictions and losses', () => {
  const { net, set } = setUp(9, 4);
  const outputs = new BatchOutputs(4);
  const indices = [8, 2, 5];
  outputs.gather(set, indices, net.input, IN);
  for (const [row, i] of indices.entries())
    assert.deepEqual(Array.from(net.input.subarray(row * IN, (row + 1) * IN)), Array.from(set.x.subarray(i * IN, (i + 1) * IN)));
  const r = outputs.loss('cross-entropy', net.forward(3), 3, CLASSES, null);
  const hand = indices.map((i) => byHand(net, set, i));
  assert.ok(Math.abs(r.loss - hand.reduce((s, e) => s + e.loss, 0) / 3) < 1e-12);
  const rows = outputs.rows(3);
  assert.deepEqual(
    rows.labels,
    indices.map((i) => set.y[i]),
  );
  assert.deepEqual(
    rows.predictions,
    hand.map((e) => e.prediction),
  );
  rows.perExampleLoss.forEach((l, k) => assert.ok(Math.abs(l - hand[k].loss) < 1e-12, `row ${k}`));
  assert.ok(Array.isArray(rows.labels) && Array.isArray(rows.perExampleLoss));
});
