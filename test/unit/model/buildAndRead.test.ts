// buildSpec's value checks and defaults, and the tree walk's wording, against model files written
// here with the messages and ranges expected for them (read off the text, not off the parser).

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { fits, layerSpec, optimizerSpec, buildSpec, fieldsByName } from '../../../src/model/buildSpec';
import { describeNumber } from '../../../src/model/readTree';
import { parseByTree } from '../../../src/model/parse';
import { OPTIMIZER_DEF } from '../../../src/model/fields';

const at = (text: string, r: { offset: number; length: number }): string => text.slice(r.offset, r.offset + r.length);
const shown = (text: string): string[] => parseByTree(text).problems.map((p) => `${p.message} @${at(text, p.range)}`);

test('fits: each kind, and number bounds inclusive or exclusive at the bound itself', () => {
  assert.equal(fits({ kind: 'string' }, 's'), true);
  assert.equal(fits({ kind: 'string' }, 1), false);
  assert.equal(fits({ kind: 'boolean' }, false), true);
  assert.equal(fits({ kind: 'boolean' }, 'false'), false);
  assert.equal(fits({ kind: 'enum', values: ['a', 'b'] }, 'b'), true);
  assert.equal(fits({ kind: 'enum', values: ['a', 'b'] }, 'c'), false);
  assert.equal(fits({ kind: 'enum', values: ['1'] }, 1), false);
  const n = { kind: 'number' } as const;
  assert.equal(fits(n, 2.5), true);
  assert.equal(fits(n, '2'), false);
  assert.equal(fits(n, Infinity), false);
  assert.equal(fits(n, NaN), false);
  assert.equal(fits({ kind: 'number', integer: true }, 2.5), false);
  assert.equal(fits({ kind: 'number', integer: true }, 2), true);
  assert.equal(fits({ kind: 'number', integer: false }, 2.5), true);
  assert.equal(fits({ kind: 'number', min: 1 }, 1), true);
  assert.equal(fits({ kind: 'number', min: 1 }, 0.99), false);
  assert.equal(fits({ kind: 'number', min: 1, exclusiveMin: true }, 1), false);
  assert.equal(fits({ kind: 'number', min: 1, exclusiveMin: true }, 1.01), true);
  assert.equal(fits({ kind: 'number', max: 1 }, 1), true);
  assert.equal(fits({ kind: 'number', max: 1 }, 1.01), false);
  assert.equal(fits({ kind: 'number', max: 1, exclusiveMax: true }, 1), false);
  assert.equal(fits({ kind: 'number', max: 1, exclusiveMax: true }, 0.99), true);
  assert.equal(fits({ kind: 'object', object: { fields: [] } }, {}), false);
  assert.equal(fits({ kind: 'layers' }, []), false);
});

test('layerSpec fills stride, padding and activation defaults; pooling strides by its window', () => {
  assert.deepEqual(layerSpec('dense', { units: 3 }), { type: 'dense', units: 3, activation: 'linear' });
  assert.deepEqual(layerSpec('dense', { units: 3, activation: 'tanh' }), { type: 'dense', units: 3, activation: 'tanh' });
  assert.deepEqual(layerSpec('conv2d', { filters: 2, kernelSize: 3 }), {
    type: 'conv2d',
    filters: 2,
    kernelSize: 3,
    stride: 1,
    padding: 'valid',
    activation: 'linear',
  });
  assert.deepEqual(layerSpec('conv2d', { filters: 2, kernelSize: 3, stride: 2, padding: 'same', activation: 'relu' }), {
    type: 'conv2d',
    filters: 2,
    kernelSize: 3,
    stride: 2,
    padding: 'same',
    activation: 'relu',
  });
  assert.deepEqual(layerSpec('maxpool2d', { poolSize: 3 }), { type: 'maxpool2d', poolSize: 3, stride: 3 });
  assert.deepEqual(layerSpec('maxpool2d', { poolSize: 3, stride: 1 }), { type: 'maxpool2d', poolSize: 3, stride: 1 });
  assert.deepEqual(layerSpec('gelu', {}), { type: 'gelu' });
});

test('optimizerSpec: the learning rate defaults by type (0.05 SGD, 0.001 Adam), the rest from the table', () => {
  const rest = { momentum: 0, nesterov: false, weightDecay: 0, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
  assert.deepEqual(optimizerSpec(), { type: 'sgd', learningRate: 0.05, ...rest });
  assert.deepEqual(optimizerSpec({ type: 'adam' }), { type: 'adam', learningRate: 0.001, ...rest });
  assert.deepEqual(optimizerSpec({ type: 'adam', learningRate: 0.3, beta1: 0.5 }), {
    type: 'adam',
    learningRate: 0.3,
    ...rest,
    beta1: 0.5,
  });
  assert.deepEqual(optimizerSpec({ momentum: 0.9, nesterov: true }), {
    type: 'sgd',
    learningRate: 0.05,
    ...rest,
    momentum: 0.9,
    nesterov: true,
  });
  assert.equal(fieldsByName(OPTIMIZER_DEF).get('beta2')?.name, 'beta2');
  assert.equal(fieldsByName(OPTIMIZER_DEF), fieldsByName(OPTIMIZER_DEF), 'looked up once');
});

test('buildSpec: root and data defaults, optional labels and limit only when given', () => {
  const layers = [{ type: 'flatten' }];
  const s = buildSpec({ data: { source: 'mnist' }, layers });
  assert.deepEqual(s, {
    name: 'model',
    seed: 0,
    dtype: 'float32',
    data: { source: 'mnist', validationSplit: 0.2 },
    layers,
    loss: 'cross-entropy',
    optimizer: optimizerSpec(),
    batchSize: 32,
    epochs: 5,
  });
  assert.equal('labels' in s.data, false);
  assert.equal('limit' in s.data, false);
  const t = buildSpec({
    name: 'n',
    seed: 7,
    dtype: 'float64',
    data: { source: 'a.idx', labels: 'l.idx', limit: 9, validationSplit: 0 },
    layers,
    loss: 'mse',
    optimizer: { type: 'adam' },
    batchSize: 4,
    epochs: 2,
  });
  assert.deepEqual(t.data, { source: 'a.idx', labels: 'l.idx', limit: 9, validationSplit: 0 });
  assert.equal(t.name, 'n');
  assert.equal(t.seed, 7);
  assert.equal(t.dtype, 'float64');
  assert.equal(t.loss, 'mse');
  assert.equal(t.optimizer.learningRate, 0.001);
  assert.equal(t.batchSize, 4);
  assert.equal(t.epochs, 2);
});

test('describeNumber words each kind of range', () => {
  assert.equal(describeNumber({ kind: 'number', integer: true, min: 1 }), 'a positive integer');
  assert.equal(describeNumber({ kind: 'number', integer: true, min: 0, max: 9 }), 'a non-negative integer');
  assert.equal(describeNumber({ kind: 'number', min: 0, exclusiveMin: true }), 'a positive number');
  assert.equal(describeNumber({ kind: 'number', min: 0 }), 'a number ≥ 0');
  assert.equal(describeNumber({ kind: 'number', min: 0, max: 1, exclusiveMax: true }), 'a number in [0, 1)');
  assert.equal(describeNumber({ kind: 'number', min: 0, exclusiveMin: true, max: 1 }), 'a number in (0, 1]');
  assert.equal(describeNumber({ kind: 'number', max: 3 }), 'a number in (−∞, 3]');
  assert.equal(describeNumber({ kind: 'number', integer: true, min: 2 }), 'an integer in [2, ∞)');
  assert.equal(describeNumber({ kind: 'number', integer: true, min: 2, max: 5, exclusiveMax: true }), 'an integer in [2, 5)');
});

test('the tree walk words wrong values with what was written, at the value', () => {
  const text =
    '{ "name": 3, "seed": 1.5, "dtype": "float6", "data": { "source": true, "validationSplit": 1 }, ' +
    '"layers": [ { "type": "dense", "units": 70000 }, { "type": "conv2d", "filters": 0, "kernelSize": 3, "padding": "smae" } ], ' +
    '"optimizer": { "nesterov": "yes", "learningRate": 0, "momentum": null, "type": [1] }, "loss": {} }';
  assert.deepEqual(shown(text), [
    'name: expected a string, got 3 @3',
    'seed: expected a non-negative integer, got 1.5 @1.5',
    'dtype: expected one of "float32", "float64", got "float6"; did you mean "float64"? @"float6"',
    'data.source: expected a string, got true @true',
    'data.validationSplit: expected a number in [0, 1), got 1 @1',
    'layers[0].units: expected an integer of at most 65536, got 70000 @70000',
    'layers[1].filters: expected a positive integer, got 0 @0',
    'layers[1].padding: expected one of "valid", "same", got "smae"; did you mean "same"? @"smae"',
    'optimizer.nesterov: expected true or false, got "yes" @"yes"',
    'optimizer.learningRate: expected a positive number, got 0 @0',
    'optimizer.momentum: expected a number in [0, 1), got null @null',
    'optimizer.type: expected one of "sgd", "adam", got an array @[1]',
    'loss: expected one of "cross-entropy", "mse", got an object @{}',
  ]);
});

test('the tree walk: unknown and duplicate keys, missing fields at the opening brace, bad layers', () => {
  const text =
    '{ "data": { "sorce": "mnist" }, "layers": [ 5, {}, { "type": "dense", "unit": 3 }, { "type": "Dense" }, ' +
    '{ "type": "zzzzzz" }, { "type": 4 }, { "type": "flatten", "type": "relu" } ], "epochs": 2, "epochs": 3, "optimiser": {} }';
  const dataBrace = text.indexOf('{ "sorce"');
  const d = (s: string): string => `{${s}`;
  const shownList = shown(text);
  assert.deepEqual(shownList, [
    'data: missing required field "source" (`"mnist"` for the built-in 10,000 handwritten digits, or a path relative to this file: ' +
      'a `.csv` (label first, then features), an IDX images file (MNIST/EMNIST format, with `labels`), or a folder of PNG images ' +
      `with one sub-folder per class) @${at(text, { offset: dataBrace, length: 1 })}`,
    'data.sorce: unknown field "sorce"; did you mean "source"? @"sorce"',
    'layers[0]: expected a layer object { "type": … }, got 5 @5',
    `layers[1]: missing required field "type" (one of "dense", "conv2d", "maxpool2d", "flatten", "relu", "leaky-relu", "tanh", "sigmoid", "gelu") @${d('')}`,
    `layers[2]: missing required field "units" (Number of output units) @${d('')}`,
    'layers[2].unit: unknown field "unit"; did you mean "units"? @"unit"',
    'layers[3].type: unknown layer type "Dense"; did you mean "dense"? @"Dense"',
    'layers[4].type: unknown layer type "zzzzzz"; expected one of "dense", "conv2d", "maxpool2d", "flatten", "relu", "leaky-relu", "tanh", "sigmoid", "gelu" @"zzzzzz"',
    'layers[5].type: unknown layer type 4; expected one of "dense", "conv2d", "maxpool2d", "flatten", "relu", "leaky-relu", "tanh", "sigmoid", "gelu" @4',
    'layers[6].type: "type" is given twice @"type"',
    'epochs: "epochs" is given twice @"epochs"',
    'optimiser: unknown field "optimiser"; did you mean "optimizer"? @"optimiser"',
  ]);
});

test('the tree walk: a layer object lists its own fields (not "type") when nothing is close; the root lists all', () => {
  const text =
    '{ "data": { "source": "mnist" }, "layers": [ { "type": "maxpool2d", "poolSize": 2, "qqqqqqqq": 1 } ], "wwwwwwwwww": 1 }';
  assert.deepEqual(shown(text), [
    'layers[0].qqqqqqqq: unknown field "qqqqqqqq"; expected one of "poolSize", "stride" @"qqqqqqqq"',
    'wwwwwwwwww: unknown field "wwwwwwwwww"; expected one of "$schema", "name", "seed", "dtype", "data", "layers", "loss", "optimizer", "batchSize", "epochs" @"wwwwwwwwww"',
  ]);
  assert.deepEqual(shown('{ "data": 3, "layers": [] }'), [
    'data: expected an object { … }, got 3 @3',
    'layers: expected at least one layer @[]',
  ]);
  assert.deepEqual(shown('{ "data": { "source": "mnist" }, "layers": "x" }'), [
    'layers: expected an array of layers [ { "type": … }, … ], got "x" @"x"',
  ]);
});
