import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Trainer } from '../../../src/engine/trainer';
import { referenceBackend } from '../../../src/engine/reference';
import { dense, makeSpec, randomDataset } from './helpers';

// Each case poisons one example; batchSize = count, so the batch is a permutation of all examples
// and the report's example index must point at the poisoned one.
function firstReport(
  poison: (x: Float32Array, size: number) => void, over: Parameters<typeof makeSpec>[1] = {},
  dtype: 'float32' | 'float64' = 'float64', prepare: (t: Trainer) => void = () => {},
) {
  const data = randomDataset(1, 6, [20], 3);
  poison(data.x, 20);
  const spec = makeSpec([dense(8, 'relu'), dense(8), dense(3)], { batchSize: 6, dtype, ...over });
  const trainer = new Trainer({ spec, train: data, validation: null, backend: referenceBackend(dtype) });
  prepare(trainer);
  const s = trainer.trainStep();
  return { s, poisoned: s.exampleIndices.indexOf(4) };
}

test('a NaN in the input names the input and the example', () => {
  const { s, poisoned } = firstReport((x, n) => { x[4 * n + 7] = NaN; });
  assert.ok(s.nonFinite);
  assert.equal(s.nonFinite.where, 'input');
  assert.equal(s.nonFinite.example, poisoned);
  assert.match(s.nonFinite.message, new RegExp(`example ${poisoned} of the batch \\(training example #4\\)`));
});

test('a float32 overflow inside a layer names that layer and the example', () => {
  // Finite float32 inputs whose weighted sum overflows: the first dense layer produces ±Infinity.
  const { s, poisoned } = firstReport((x, n) => { for (let j = 0; j < n; j++) x[4 * n + j] = 3e38; }, {}, 'float32');
  assert.ok(s.nonFinite);
  assert.equal(s.nonFinite.where, 'activation');
  assert.equal(s.nonFinite.layer, 0);
  assert.equal(s.nonFinite.example, poisoned);
  assert.match(s.nonFinite.message, /layers\[0\] \(dense 20→8 relu\)/);
});

test('a loss that overflows (mse of huge outputs) names the loss and the example', () => {
  // Float64 activations stay finite (≈1e158 at the output) but ½‖f − y‖² overflows for that example only.
  const scaleWeights = (t: Trainer) => { for (const l of [0, 1, 2]) t.parameter(l, 'weight').forEach((v, i, a) => { a[i] = v * 1e40; }); };
  const { s, poisoned } = firstReport((x, n) => { for (let j = 0; j < n; j++) x[4 * n + j] = 3e38; }, { loss: 'mse' }, 'float64', scaleWeights);
  assert.ok(s.nonFinite);
  assert.equal(s.nonFinite.where, 'loss');
  assert.equal(s.nonFinite.layer, -1);
  assert.equal(s.nonFinite.example, poisoned);
});

test('a clean step reports nothing', () => {
  const { s } = firstReport(() => {});
  assert.equal(s.nonFinite, null);
});
