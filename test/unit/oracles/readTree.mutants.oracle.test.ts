// readTree.ts (the tree walk) word for word: each message below is written out by hand from the
// model text and the field tables (fields.ts), each range read off the text with indexOf. The
// exported pieces (readObject, readLayer, layersNode, describe) are also driven directly, with
// trees from jsonc-parser's parseTree and, for readObject, small field tables of the test's own.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseTree, type Node } from 'jsonc-parser';
import { parseByTree } from '../../../src/model/parse';
import { describe, layersNode, readLayer, readObject, walkWork } from '../../../src/model/readTree';
import { Collector } from '../../../src/model/problems';
import { LAYER_DEFS, OPTIMIZER_DEF, type ObjectDef } from '../../../src/model/fields';

const at = (text: string, r: { offset: number; length: number }): string => text.slice(r.offset, r.offset + r.length);
const shown = (text: string): string[] => parseByTree(text).problems.map((p) => `${p.message} @${at(text, p.range)}`);
const model = (layers: string, extra = ''): string => `{ "data": { "source": "mnist" }, "layers": [ ${layers} ]${extra} }`;
const tree = (text: string): Node => {
  const root = parseTree(text, [], { allowTrailingComma: true });
  assert.ok(root, text);
  return root;
};

test('a missing required field is named with the first sentence of its documentation', () => {
  const text = model('{ "type": "conv2d", "filters": 2 }, { "type": "maxpool2d" }, { "type": "dense" }');
  const brace = (i: number): string => `{ @${i}`;
  const problems = parseByTree(text).problems.map((p) => `${p.message} @${text.slice(p.range.offset, p.range.offset + 2)}`);
  const braces = [...text.matchAll(/\{ "type"/g)].map((m) => m.index);
  assert.equal(braces.length, 3);
  assert.deepEqual(problems, [
    'layers[0]: missing required field "kernelSize" (Side of the square kernel: 3 for a 3×3 kernel) @{ ',
    'layers[1]: missing required field "poolSize" (Side of the square pooling window) @{ ',
    'layers[2]: missing required field "units" (Number of output units) @{ ',
  ]);
  assert.deepEqual(
    parseByTree(text).problems.map((p) => brace(p.range.offset)),
    braces.map((o) => brace(o!)),
  );
  assert.deepEqual(
    parseByTree(text).problems.map((p) => p.range.length),
    [1, 1, 1],
  );
});

test('what was given instead of an object, worded by its kind', () => {
  const cases: [string, string][] = [
    ['[1]', 'an array'],
    ['null', 'null'],
    ['"x"', '"x"'],
    ['false', 'false'],
    ['2.50', '2.50'],
    ['-0e0', '-0e0'],
  ];
  for (const [value, word] of cases) {
    const text = `{ "data": ${value}, "layers": [ { "type": "relu" } ] }`;
    assert.deepEqual(shown(text), [`data: expected an object { … }, got ${word} @${value}`], text);
  }
});

test('a long number is echoed as written, clipped at 60 characters', () => {
  const digits = (k: number): string => `1${'0'.repeat(k - 1)}`;
  // 61 characters: the first 59 and an ellipsis.
  const long = digits(61);
  assert.deepEqual(shown(model('{ "type": "relu" }', `, "seed": ${long}`)), [
    `seed: expected an integer of at most 9007199254740991, got ${long.slice(0, 59)}… @${long}`,
  ]);
  // 60 characters: shown whole; what follows the number is not part of it.
  const sixty = digits(60);
  assert.deepEqual(shown(model('{ "type": "relu" }', `, "seed": ${sixty}`)), [
    `seed: expected an integer of at most 9007199254740991, got ${sixty} @${sixty}`,
  ]);
  assert.deepEqual(shown(`{ "seed": 12, "data": 7, "layers": [ { "type": "relu" } ] }`), [
    'data: expected an object { … }, got 7 @7',
  ]);
});

test('numbers out of range: the upper bound of an integer is named; everything else gets the range', () => {
  const one = (field: string): string[] =>
    shown(model(`{ "type": "dense", "units": ${field} }, { "type": "dense", "units": 10 }`)).map((s) =>
      s.replace(/^layers\[0\]\.units: /, ''),
    );
  assert.deepEqual(one('65537'), ['expected an integer of at most 65536, got 65537 @65537']);
  assert.deepEqual(one('65536'), []);
  assert.deepEqual(one('70000.5'), ['expected a positive integer, got 70000.5 @70000.5']);
  assert.deepEqual(one('1e999'), ['expected a positive integer, got 1e999 @1e999']);
  assert.deepEqual(one('"70000"'), ['expected a positive integer, got "70000" @"70000"']);
  assert.deepEqual(one('0'), ['expected a positive integer, got 0 @0']);
  assert.deepEqual(shown(model('{ "type": "relu" }', ', "seed": 1e300')), [
    'seed: expected an integer of at most 9007199254740991, got 1e300 @1e300',
  ]);
  assert.deepEqual(shown(model('{ "type": "relu" }', ', "seed": -1')), ['seed: expected a non-negative integer, got -1 @-1']);
  // Not an integer field: the range, even past its upper bound.
  const split = (v: string): string[] =>
    shown(
      `{ "data": { "source": "mnist", "validationSplit": ${v} }, "layers": [ { "type": "flatten" }, { "type": "dense", "units": 10 } ] }`,
    );
  assert.deepEqual(split('1'), ['data.validationSplit: expected a number in [0, 1), got 1 @1']);
  assert.deepEqual(split('5'), ['data.validationSplit: expected a number in [0, 1), got 5 @5']);
  assert.deepEqual(split('0.999'), []);
  // An integer field with an exclusive upper bound (a table of this test's own).
  const def: ObjectDef = {
    fields: [{ name: 'k', type: { kind: 'number', integer: true, min: 1, max: 10, exclusiveMax: true }, doc: 'K.' }],
  };
  const read = (v: string): { values: unknown; problems: string[] } => {
    const text = `{ "k": ${v} }`;
    const out = new Collector(text);
    const values = readObject(tree(text), def, 'p', out);
    return { values, problems: out.problems.map((p) => `${p.message} @${at(text, p.range)}`) };
  };
  assert.deepEqual(read('10'), { values: {}, problems: ['p.k: expected an integer below 10, got 10 @10'] });
  assert.deepEqual(read('11'), { values: {}, problems: ['p.k: expected an integer below 10, got 11 @11'] });
  assert.deepEqual(read('9'), { values: { k: 9 }, problems: [] });
  assert.deepEqual(read('0'), { values: {}, problems: ['p.k: expected a positive integer, got 0 @0'] });
  assert.deepEqual(read('10.5'), { values: {}, problems: ['p.k: expected a positive integer, got 10.5 @10.5'] });
});

test('enums: one value is quoted alone; a suggestion only for a string', () => {
  assert.deepEqual(shown(model('{ "type": "relu" }', ', "dtype": 32')), [
    'dtype: expected one of "float32", "float64", got 32 @32',
  ]);
  assert.deepEqual(shown(model('{ "type": "relu" }', ', "dtype": "float23"')), [
    'dtype: expected one of "float32", "float64", got "float23"; did you mean "float32"? @"float23"',
  ]);
  assert.deepEqual(shown(model('{ "type": "relu" }', ', "loss": "zzzzzzz"')), [
    'loss: expected one of "cross-entropy", "mse", got "zzzzzzz" @"zzzzzzz"',
  ]);
  const def: ObjectDef = {
    fields: [
      { name: 'only', type: { kind: 'enum', values: ['one'] }, doc: 'O.' },
      { name: 'digit', type: { kind: 'enum', values: ['1', '2'] }, doc: 'D.' },
    ],
  };
  const text = '{ "only": "onr", "digit": 2 }';
  const out = new Collector(text);
  assert.deepEqual(readObject(tree(text), def, '', out), {});
  assert.deepEqual(
    out.problems.map((p) => `${p.message} @${at(text, p.range)}`),
    ['only: expected "one", got "onr"; did you mean "one"? @"onr"', 'digit: expected one of "1", "2", got 2 @2'],
  );
});

test('unknown keys: the optimizer lists its "type" among the choices; a layer does not', () => {
  assert.deepEqual(shown(model('{ "type": "relu" }', ', "optimizer": { "qqqqqqqq": 1 }')), [
    'optimizer.qqqqqqqq: unknown field "qqqqqqqq"; expected one of "type", "learningRate", "momentum", "nesterov", "weightDecay", "beta1", "beta2", "epsilon" @"qqqqqqqq"',
  ]);
  assert.deepEqual(shown(model('{ "type": "dense", "units": 2, "qqqqqqqq": 1 }')), [
    'layers[0].qqqqqqqq: unknown field "qqqqqqqq"; expected one of "units", "activation" @"qqqqqqqq"',
  ]);
  assert.deepEqual(shown(model('{ "type": "relu" }', ', "optimizer": { "tpye": "adam" }')), [
    'optimizer.tpye: unknown field "tpye"; did you mean "type"? @"tpye"',
  ]);
});

test('a key given twice: only that is said, the second value is not read; a long key is clipped in the path', () => {
  assert.deepEqual(shown(model('{ "type": "relu" }', ', "epochs": 2, "epochs": "x"')), [
    'epochs: "epochs" is given twice @"epochs"',
  ]);
  const key = 'k'.repeat(70);
  const text = model('{ "type": "relu" }', `, "optimizer": { "${key}": 1, "${key}": 2 }`);
  const clipped = `${'k'.repeat(59)}…`;
  const quotedKey = `"${'k'.repeat(59)}…" (70 characters)`;
  const problems = parseByTree(text).problems;
  assert.equal(problems.length, 2);
  assert.equal(
    problems[0].message,
    `optimizer.${clipped}: unknown field ${quotedKey}; expected one of "type", "learningRate", "momentum", "nesterov", "weightDecay", "beta1", "beta2", "epsilon"`,
  );
  assert.equal(problems[0].range.offset, text.indexOf(`"${key}"`));
  assert.equal(problems[1].message, `optimizer.${clipped}: ${quotedKey} is given twice`);
  assert.equal(problems[1].range.offset, text.lastIndexOf(`"${key}"`));
  assert.equal(problems[1].range.length, 72);
});

test('readObject returns only the values that fit, and leaves the skipped keys alone', () => {
  const text = '{ "type": "dense", "units": 0, "activation": "tanh" }';
  const out = new Collector(text);
  assert.deepEqual(readObject(tree(text), LAYER_DEFS.dense, 'L', out, ['type']), { activation: 'tanh' });
  assert.deepEqual(
    out.problems.map((p) => p.message),
    ['L.units: expected a positive integer, got 0'],
  );
  // Without the skip list the layer's own "type" field is read like any other.
  const all = new Collector(text);
  assert.deepEqual(readObject(tree(text), LAYER_DEFS.dense, 'L', all), { type: 'dense', activation: 'tanh' });
  // A required field in the skip list is not asked for.
  const bare = '{ "units": 3 }';
  const none = new Collector(bare);
  assert.deepEqual(readObject(tree(bare), LAYER_DEFS.dense, 'L', none, ['type']), { units: 3 });
  assert.deepEqual(none.problems, []);
  const asked = new Collector(bare);
  readObject(tree(bare), LAYER_DEFS.dense, 'L', asked);
  assert.deepEqual(
    asked.problems.map((p) => [p.message, p.range]),
    [['L: missing required field "type" (A fully connected layer)', { offset: 0, length: 1 }]],
  );
  // Nested objects are read with their path.
  const opt = '{ "type": "adam", "beta1": 1 }';
  const o = new Collector(opt);
  assert.deepEqual(readObject(tree(opt), OPTIMIZER_DEF, 'optimizer', o), { type: 'adam' });
  assert.deepEqual(
    o.problems.map((p) => p.message),
    ['optimizer.beta1: expected a number in [0, 1), got 1'],
  );
});

test('a property without a value (a syntax error) adds nothing of its own', () => {
  const text = '{ "data": { "source": }, "layers": [ { "type": "dense", "units": } ], "epochs": }';
  assert.deepEqual(
    parseByTree(text, undefined, undefined, true).problems.map((p) => p.message),
    ['syntax error: expected a value', 'syntax error: expected a value', 'syntax error: expected a value'],
  );
});

test('layersNode: the elements of the "layers" array, or none', () => {
  const text = '{ "a": [9], "layers": [ {}, 2 ] }';
  assert.deepEqual(
    layersNode(tree(text)).map((n) => at(text, n)),
    ['{}', '2'],
  );
  assert.deepEqual(layersNode(tree('{ "layers": { "a": [1] } }')), []);
  assert.deepEqual(layersNode(tree('{ "layers": 3 }')), []);
  assert.deepEqual(layersNode(tree('{ "layers": [] }')), []);
  assert.deepEqual(layersNode(tree('{ "a": [1] }')), []);
});

test('readLayer: a spec for a good layer, one problem for a bad one, each counted', () => {
  const text = '[ { "type": "maxpool2d", "poolSize": 3 }, { "stride": 2 }, { "type": 4 }, { "type": "Relu" } ]';
  const items = tree(text).children!;
  const out = new Collector(text);
  const before = walkWork.layers;
  assert.deepEqual(readLayer(items[0], 0, 'layers', out), { type: 'maxpool2d', poolSize: 3, stride: 3 });
  assert.equal(readLayer(items[1], 1, 'layers', out), undefined);
  assert.equal(readLayer(items[2], 2, 'layers', out), undefined);
  assert.equal(readLayer(items[3], 3, 'layers', out), undefined);
  assert.equal(walkWork.layers - before, 4);
  const types = '"dense", "conv2d", "maxpool2d", "flatten", "relu", "leaky-relu", "tanh", "sigmoid", "gelu"';
  assert.deepEqual(
    out.problems.map((p) => `${p.message} @${at(text, p.range)}`),
    [
      `layers[1]: missing required field "type" (one of ${types}) @{`,
      `layers[2].type: unknown layer type 4; expected one of ${types} @4`,
      'layers[3].type: unknown layer type "Relu"; did you mean "relu"? @"Relu"',
    ],
  );
});

test('describe: each node kind', () => {
  const text = '[1.50, "a\\"b", true, null, [], {}]';
  const kinds = tree(text).children!.map((n) => describe(n, text));
  assert.deepEqual(kinds, ['1.50', '"a\\"b"', 'true', 'null', 'an array', 'an object']);
});
