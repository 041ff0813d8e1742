import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Trainer } from '../../../src/engine/trainer';
import { referenceBackend } from '../../../src/engine/reference';
import { dense, makeSpec, optimizer, randomDataset } from './helpers';

// Each case poisons one example; batchSize = count, so the batch is a permutation of all examples
// and the report's example index must point at the poisoned one.
function firstReport(
  poison: (x: Float32Array, size: number) => void,
  over: Parameters<typeof makeSpec>[1] = {},
  dtype: 'float32' | 'float64' = 'float64',
  prepare: (t: Trainer) => void = () => {},
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
  const { s, poisoned } = firstReport((x, n) => {
    x[4 * n + 7] = NaN;
  });
  assert.ok(s.nonFinite);
  assert.equal(s.nonFinite.where, 'input');
  assert.equal(s.nonFinite.example, poisoned);
  assert.match(s.nonFinite.message, new RegExp(`example ${poisoned} of the batch \\(training example #4\\)`));
});

test('a float32 overflow inside a layer names that layer and the example', () => {
  // Finite float32 inputs whose weighted sum overflows: the first dense layer produces ±Infinity.
  const { s, poisoned } = firstReport(
    (x, n) => {
      for (let j = 0; j < n; j++) x[4 * n + j] = 3e38;
    },
    {},
    'float32',
  );
  assert.ok(s.nonFinite);
  assert.equal(s.nonFinite.where, 'activation');
  assert.equal(s.nonFinite.layer, 0);
  assert.equal(s.nonFinite.example, poisoned);
  assert.match(s.nonFinite.message, /layers\[0\] \(dense 20→8 relu\)/);
});

test('a loss that overflows (mse of huge outputs) names the loss and the example', () => {
  // Float64 activations stay finite (≈1e158 at the output) but ½‖f − y‖² overflows for that example only.
  const scaleWeights = (t: Trainer) => {
    for (const l of [0, 1, 2])
      t.parameter(l, 'weight').forEach((v, i, a) => {
        a[i] = v * 1e40;
      });
  };
  const { s, poisoned } = firstReport(
    (x, n) => {
      for (let j = 0; j < n; j++) x[4 * n + j] = 3e38;
    },
    { loss: 'mse' },
    'float64',
    scaleWeights,
  );
  assert.ok(s.nonFinite);
  assert.equal(s.nonFinite.where, 'loss');
  assert.equal(s.nonFinite.layer, -1);
  assert.equal(s.nonFinite.example, poisoned);
});

test('a clean step reports nothing', () => {
  const { s } = firstReport(() => {});
  assert.equal(s.nonFinite, null);
});

test('weights that overflow in the update are reported as weights of the layer', () => {
  // Huge but finite last-layer weights: loss and gradients stay finite (≈1e300), θ − γ·g overflows.
  const { s } = firstReport(
    () => {},
    {
      optimizer: optimizer({ learningRate: 1e10 }),
    },
    'float64',
    (t) => t.parameter(2, 'weight').fill(1e300),
  );
  assert.ok(s.nonFinite);
  assert.equal(s.nonFinite.where, 'weights');
  assert.match(s.nonFinite.message, /layers\[\d\]\.(weight|bias) \(dense .*\) became -?Infinity after the update of step 1/);
});

test('a float32 gradient that overflows while loss and deltas stay finite names the example with the largest gradient', () => {
  // Example 4's features are 3.4e38 (finite in float32); tiny weights keep the outputs (and the mse
  // deltas ≈ 700) finite, but aᵢ·δᵢ ≈ 2e41 overflows the float32 weight gradient.
  const data = randomDataset(1, 6, [20], 3);
  for (let j = 0; j < 20; j++) data.x[4 * 20 + j] = 3.4e38;
  const spec = makeSpec([dense(3)], { batchSize: 6, dtype: 'float32', loss: 'mse' });
  const trainer = new Trainer({ spec, train: data, validation: null, backend: referenceBackend('float32') });
  trainer.parameter(0, 'weight').fill(1e-37);
  const s = trainer.trainStep();
  assert.ok(s.nonFinite);
  assert.equal(s.nonFinite.where, 'gradient');
  assert.equal(s.nonFinite.layer, 0);
  assert.ok(Number.isFinite(s.loss));
  assert.equal(s.nonFinite.example, s.exampleIndices.indexOf(4));
  assert.match(
    s.nonFinite.message,
    /gradient of layers\[0\]\.weight \(dense 20→3\) is (-)?Infinity for example \d of the batch \(training example #4\)/,
  );
});
