// Save Weights / Load Weights (src/engine/weights.ts): what is written for each tensor, and every
// refusal of a weights file that does not fit, word for word, with nothing replaced when one is refused.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Network } from '../../../src/engine/network';
import { referenceBackend } from '../../../src/engine/reference';
import { loadNamedTensors, namedTensors, type NamedTensor } from '../../../src/engine/weights';
import { dense, makeSpec } from '../engine/helpers';

function tensorsOf() {
  const net = new Network(makeSpec([dense(3, 'relu'), dense(2)]), [2], referenceBackend('float64'), 1);
  return net.paramLayers.flatMap((l) => l.params);
}

/** The weights a file for this model holds, with every value set to `fill`. */
function file(fill: number): NamedTensor[] {
  const shapes: [string, number, 'weight' | 'bias', number[]][] = [
    ['layers[0].weight', 0, 'weight', [2, 3]],
    ['layers[0].bias', 0, 'bias', [3]],
    ['layers[1].weight', 1, 'weight', [3, 2]],
    ['layers[1].bias', 1, 'bias', [2]],
  ];
  return shapes.map(([name, layer, kind, shape]) => ({
    name,
    layer,
    kind,
    shape,
    value: new Array<number>(shape.reduce((a, b) => a * b, 1)).fill(fill),
  }));
}

test('namedTensors writes each tensor as name, layer, kind, shape and plain values, copies that later changes do not reach', () => {
  const tensors = tensorsOf();
  tensors.forEach((t, j) => t.value.fill(j + 0.5));
  const named = namedTensors(tensors);
  assert.deepEqual(
    named.map(({ name, layer, kind, shape }) => ({ name, layer, kind, shape })),
    file(0).map(({ name, layer, kind, shape }) => ({ name, layer, kind, shape })),
  );
  assert.deepEqual(
    named.map((n) => n.value),
    [[0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [1.5, 1.5, 1.5], new Array<number>(6).fill(2.5), [3.5, 3.5]],
  );
  assert.ok(named.every((n) => Array.isArray(n.value)));
  named[0].shape[0] = 99;
  tensors[0].value[0] = -1;
  assert.deepEqual(tensors[0].info.shape, [2, 3]);
  assert.equal(named[0].value[0], 0.5);
});

test('loadNamedTensors replaces every value from a file that fits', () => {
  const tensors = tensorsOf();
  loadNamedTensors(tensors, file(0.25));
  assert.ok(tensors.every((t) => t.value.length > 0 && t.value.every((v) => v === 0.25)));
});

test('loadNamedTensors refuses a file that does not fit, saying why, and replaces nothing', () => {
  const refusals: [string, (w: NamedTensor[]) => unknown, string][] = [
    [
      'an unknown tensor',
      (w) => w.push({ ...w[0], name: 'layers[7].bias' }),
      'the weights contain "layers[7].bias", which this model does not have (its parameters are layers[0].weight, layers[0].bias, layers[1].weight, layers[1].bias)',
    ],
    ['a missing tensor', (w) => w.splice(2, 1), 'the weights have no "layers[1].weight" (shape [3, 2])'],
    ['a wrong shape', (w) => (w[2].shape = [2, 3]), '"layers[1].weight" has shape [2, 3] but the model needs [3, 2]'],
    ['a shape of another rank', (w) => (w[1].shape = [3, 1]), '"layers[0].bias" has shape [3, 1] but the model needs [3]'],
    ['no shape', (w) => delete (w[3] as Partial<NamedTensor>).shape, '"layers[1].bias" has shape [] but the model needs [2]'],
    [
      'a shape that is not a list',
      (w) => ((w[3] as unknown as { shape: string }).shape = '2'),
      // (a shape or values that are not a list count as none; the protocol refuses them earlier)
      '"layers[1].bias" has shape [] but the model needs [2]',
    ],
    ['too few values', (w) => w[1].value.pop(), '"layers[0].bias" has 2 values but its shape [3] needs 3'],
    ['too many values', (w) => w[3].value.push(1), '"layers[1].bias" has 3 values but its shape [2] needs 2'],
    ['too few values for a matrix', (w) => w[0].value.pop(), '"layers[0].weight" has 5 values but its shape [2, 3] needs 6'],
    ['no values', (w) => delete (w[3] as Partial<NamedTensor>).value, '"layers[1].bias" has 0 values but its shape [2] needs 2'],
    [
      'values that are not a list',
      (w) => ((w[3] as unknown as { value: string }).value = 'ab'),
      '"layers[1].bias" has 0 values but its shape [2] needs 2',
    ],
    ['a NaN', (w) => (w[2].value[4] = NaN), '"layers[1].weight" value[4] is not a finite number'],
    ['an infinity', (w) => (w[3].value[0] = -Infinity), '"layers[1].bias" value[0] is not a finite number'],
    ['a string', (w) => ((w[0].value as unknown[])[5] = '1'), '"layers[0].weight" value[5] is not a finite number'],
  ];
  for (const [what, spoil, message] of refusals) {
    const tensors = tensorsOf();
    tensors.forEach((t) => t.value.fill(3));
    const w = file(0.25);
    spoil(w);
    assert.throws(() => loadNamedTensors(tensors, w), { message }, what);
    assert.ok(
      tensors.every((t) => t.value.every((v) => v === 3)),
      `${what}: nothing replaced`,
    );
  }
});

test('a shape with the same digits and size but other dimensions is refused ([1, 11] for [11, 1])', () => {
  const net = new Network(makeSpec([dense(1)]), [11], referenceBackend('float64'), 1);
  const tensors = net.paramLayers.flatMap((l) => l.params);
  const w = namedTensors(tensors);
  w[0].shape = [1, 11];
  assert.throws(() => loadNamedTensors(tensors, w), {
    message: '"layers[0].weight" has shape [1, 11] but the model needs [11, 1]',
  });
});
