import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModel } from '../../../src/model';
import { modelLines, targetAt } from '../../../src/debug/lines';

const text = `{
  "data": { "source": "mnist" },
  "layers": [
    { "type": "dense", "units": 16, "activation": "relu" },
    {
      "type": "dense",
      "units": 10
    }
  ],
  "loss": "cross-entropy",
  "optimizer": {
    "type": "sgd", "learningRate": 0.1
  },
  "batchSize": 8,
  "epochs": 1
}`;

test('layer lines (any line of a multi-line layer), loss and optimizer lines map to their stop points', () => {
  const lines = modelLines(text, parseModel(text));
  assert.deepEqual(targetAt(lines, 4), { target: { kind: 'layer-backward', layer: 0 }, line: 4 });
  assert.deepEqual(
    targetAt(lines, 7),
    { target: { kind: 'layer-backward', layer: 1 }, line: 5 },
    'shown on the first line of the layer',
  );
  assert.deepEqual(targetAt(lines, 10), { target: { kind: 'forward-done' }, line: 10 });
  assert.deepEqual(targetAt(lines, 12), { target: { kind: 'before-update' }, line: 11 });
  assert.equal(targetAt(lines, 2), null);
  assert.equal(targetAt(lines, 3), null, 'the "layers" line itself is not a layer');
  assert.equal(lines.batchSize, 14);
  assert.equal(lines.epochs, 15);
});
