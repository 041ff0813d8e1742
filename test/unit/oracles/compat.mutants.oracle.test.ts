// The one check that a network fits its data (src/engine/compat.ts): every refusal, its exact
// sentence written out by hand, the boundary of each numeric rule (1 is fine, 0 and 1.5 are not),
// and checkDataFits throwing exactly that sentence.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { checkDataFits, fitProblem } from '../../../src/engine/compat';
import type { Dataset } from '../../../src/data/dataset';
import type { LayerSpec } from '../../../src/model/spec';
import { dense, makeSpec } from '../engine/helpers';

const data = (over: Partial<Dataset> = {}): Dataset => ({
  name: 'train.csv',
  inputShape: [4],
  numClasses: 3,
  count: 2,
  x: new Float32Array(8),
  y: new Int32Array(2),
  ...over,
});
const fits = (layers: LayerSpec[] = [dense(3)], over = {}) => makeSpec(layers, { batchSize: 1, epochs: 1, ...over });

test('a network that fits gives no problem (batch size and epochs of 1 are enough; no validation set is fine)', () => {
  assert.equal(fitProblem(fits(), data(), null), null);
  assert.equal(fitProblem(fits(), data({ count: 1 }), data({ name: 'v' })), null);
  assert.doesNotThrow(() => checkDataFits(fits(), data(), null));
});

test('no examples, no layers', () => {
  assert.equal(fitProblem(fits(), data({ count: 0 }), null), 'the training set train.csv has no examples');
  assert.equal(fitProblem(fits([]), data(), null), 'the model has no layers');
});

test('a layer that does not fit the input shape names the layer, the input shape and the data', () => {
  const p = fitProblem(
    fits([{ type: 'conv2d', filters: 2, kernelSize: 3, stride: 1, padding: 'valid', activation: 'relu' }, dense(3)]),
    data(),
    null,
  );
  assert.match(p ?? '', /^layers\[0\]: .+ \(input shape \[4\] from train\.csv\)$/);
  assert.match(
    fitProblem(
      fits([{ type: 'conv2d', filters: 2, kernelSize: 3, stride: 1, padding: 'valid', activation: 'relu' }]),
      data({ inputShape: [2, 2] }),
      null,
    ) ?? '',
    /^layers\[0\]: .+ \(input shape \[2, 2\] from train\.csv\)$/,
    'every dimension of the input shape, comma-separated',
  );
});

test('the last layer must give exactly one output per class', () => {
  assert.equal(
    fitProblem(fits([dense(5)]), data({ inputShape: [2, 2] }), null),
    'layers[0]: the last layer has 5 outputs but the data has 3 classes; make the last layer a dense layer with 3 units ' +
      '(now the last layer outputs shape [5] but train.csv has 3 classes)',
  );
  // Right count but not flat: a 3-filter conv on a 1×1 image outputs [3, 1, 1], 3 values that are not a class vector.
  assert.equal(
    fitProblem(
      fits([{ type: 'conv2d', filters: 3, kernelSize: 1, stride: 1, padding: 'valid', activation: 'linear' }]),
      data({ inputShape: [1, 1, 1] }),
      null,
    ),
    'layers[0]: the last layer has 3 outputs but the data has 3 classes; make the last layer a dense layer with 3 units ' +
      '(now the last layer outputs shape [3, 1, 1] but train.csv has 3 classes)',
  );
});

test('a validation set of another shape, even with as many values, is refused', () => {
  assert.equal(
    fitProblem(fits([{ type: 'flatten' }, dense(3)]), data({ inputShape: [2, 2] }), data({ inputShape: [4] })),
    'the validation set has examples of shape [4] but the training set has [2, 2]',
  );
  assert.equal(
    fitProblem(fits([{ type: 'flatten' }, dense(3)]), data({ inputShape: [2, 2] }), data({ inputShape: [4, 1] })),
    'the validation set has examples of shape [4, 1] but the training set has [2, 2]',
  );
  assert.equal(
    fitProblem(fits([{ type: 'flatten' }, dense(3)]), data({ inputShape: [2, 2] }), data({ inputShape: [2, 2] })),
    null,
  );
});

test('batch size and epochs must be positive integers', () => {
  for (const batchSize of [0, -1, 1.5])
    assert.equal(
      fitProblem(fits(undefined, { batchSize }), data(), null),
      `batchSize must be a positive integer, got ${batchSize}`,
    );
  for (const epochs of [0, -2, 2.5])
    assert.equal(fitProblem(fits(undefined, { epochs }), data(), null), `epochs must be a positive integer, got ${epochs}`);
  assert.throws(() => checkDataFits(fits(undefined, { epochs: 0 }), data(), null), {
    message: 'epochs must be a positive integer, got 0',
  });
});
