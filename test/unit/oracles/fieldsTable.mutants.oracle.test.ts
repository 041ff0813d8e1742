// fields.ts's tables (LAYER_DEFS, DATA_DEF, OPTIMIZER_DEF, ROOT_DEF) read through what they drive:
// the parser's messages, the defaults of the spec, and the JSON Schema the editor shows. Every
// expected name, bound, default and message below is written out by hand from the model-file format
// (the field docs and the README's description of it), never read back from the tables or the
// parser's output: a table entry that changes (a name, a flag, an enum value, a doc) fails here.

import test from 'node:test';
import assert from 'node:assert/strict';
import { parseModel } from '../../../src/model';
import { buildJsonSchema } from '../../../src/model/schema';

// A data file of its own: the parser does not read it, so no class count constrains the layers.
const DATA = '"data": { "source": "x.csv" }';
const DENSE = '{ "type": "dense", "units": 10 }';

/** The messages (each starts with its path) of a file. */
function messages(text: string): string[] {
  return parseModel(text).problems.map((p) => p.message);
}

/** A file whose root has `root` besides data and one dense layer. */
const rootFile = (root: string) => `{ ${DATA}, "layers": [ ${DENSE} ]${root ? `, ${root}` : ''} }`;
const dataFile = (data: string) => `{ "data": { "source": "x.csv"${data ? `, ${data}` : ''} }, "layers": [ ${DENSE} ] }`;
const optimizerFile = (opt: string) => rootFile(`"optimizer": { ${opt} }`);
const layerFile = (layer: string) => `{ ${DATA}, "layers": [ ${layer} ] }`;

test('the names of every object: an unknown key lists them, in the format order', () => {
  const list = (names: string[]) => names.map((n) => `"${n}"`).join(', ');
  const root = ['$schema', 'name', 'seed', 'dtype', 'data', 'layers', 'loss', 'optimizer', 'batchSize', 'epochs'];
  assert.deepEqual(messages(rootFile('"zzzzzz": 1')), [`zzzzzz: unknown field "zzzzzz"; expected one of ${list(root)}`]);
  assert.deepEqual(messages(dataFile('"zzzzzz": 1')), [
    `data.zzzzzz: unknown field "zzzzzz"; expected one of ${list(['source', 'labels', 'limit', 'validationSplit'])}`,
  ]);
  const optimizer = ['type', 'learningRate', 'momentum', 'nesterov', 'weightDecay', 'beta1', 'beta2', 'epsilon'];
  assert.deepEqual(messages(optimizerFile('"zzzzzz": 1')), [
    `optimizer.zzzzzz: unknown field "zzzzzz"; expected one of ${list(optimizer)}`,
  ]);
  // A layer's list leaves out its `type` (it is read first, on its own).
  const layers: [string, string[]][] = [
    ['{ "type": "dense", "units": 10, "zzzzzz": 1 }', ['units', 'activation']],
    [
      '{ "type": "conv2d", "filters": 2, "kernelSize": 3, "zzzzzz": 1 }',
      ['filters', 'kernelSize', 'stride', 'padding', 'activation'],
    ],
    ['{ "type": "maxpool2d", "poolSize": 2, "zzzzzz": 1 }', ['poolSize', 'stride']],
  ];
  for (const [layer, names] of layers) {
    assert.deepEqual(
      messages(layerFile(layer)),
      [`layers[0].zzzzzz: unknown field "zzzzzz"; expected one of ${list(names)}`],
      layer,
    );
  }
});

test('a layer type with no field but "type" says so for an unknown key (it was "expected one of " with nothing after it)', () => {
  for (const t of ['flatten', 'relu', 'leaky-relu', 'tanh', 'sigmoid', 'gelu']) {
    const layer = `{ "type": "${t}", "zzzzzz": 1 }`;
    assert.deepEqual(
      messages(layerFile(layer)),
      ['layers[0].zzzzzz: unknown field "zzzzzz"; expected no field other than "type"'],
      t,
    );
  }
});

test('every field the format offers is accepted with a valid value, and each reaches the spec under its name', () => {
  const text = `{
    "$schema": "./gradlens.schema.json", "name": "m", "seed": 7, "dtype": "float64", "loss": "mse",
    "batchSize": 3, "epochs": 2,
    "data": { "source": "d.idx", "labels": "l.idx", "limit": 9, "validationSplit": 0.5 },
    "optimizer": { "type": "adam", "learningRate": 0.5, "momentum": 0.5, "nesterov": true, "weightDecay": 0.25,
      "beta1": 0.5, "beta2": 0.75, "epsilon": 0.125 },
    "layers": [
      { "type": "conv2d", "filters": 2, "kernelSize": 3, "stride": 1, "padding": "same", "activation": "relu" },
      { "type": "maxpool2d", "poolSize": 2, "stride": 2 },
      { "type": "flatten" }, { "type": "relu" }, { "type": "leaky-relu" }, { "type": "tanh" }, { "type": "sigmoid" }, { "type": "gelu" },
      { "type": "dense", "units": 10, "activation": "linear" }
    ]
  }`;
  const r = parseModel(text);
  assert.deepEqual(
    r.problems.filter((p) => p.severity === 'error'),
    [],
  );
  assert.deepEqual(r.spec, {
    name: 'm',
    seed: 7,
    dtype: 'float64',
    data: { source: 'd.idx', labels: 'l.idx', limit: 9, validationSplit: 0.5 },
    layers: [
      { type: 'conv2d', filters: 2, kernelSize: 3, stride: 1, padding: 'same', activation: 'relu' },
      { type: 'maxpool2d', poolSize: 2, stride: 2 },
      { type: 'flatten' },
      { type: 'relu' },
      { type: 'leaky-relu' },
      { type: 'tanh' },
      { type: 'sigmoid' },
      { type: 'gelu' },
      { type: 'dense', units: 10, activation: 'linear' },
    ],
    loss: 'mse',
    optimizer: {
      type: 'adam',
      learningRate: 0.5,
      momentum: 0.5,
      nesterov: true,
      weightDecay: 0.25,
      beta1: 0.5,
      beta2: 0.75,
      epsilon: 0.125,
    },
    batchSize: 3,
    epochs: 2,
  });
});

test('the defaults of a file that gives only what is required', () => {
  const r = parseModel(
    layerFile(
      '{ "type": "conv2d", "filters": 2, "kernelSize": 3 }, { "type": "maxpool2d", "poolSize": 2 }, { "type": "flatten" }, { "type": "dense", "units": 10 }',
    ),
  );
  assert.deepEqual(r.spec, {
    name: 'model',
    seed: 0,
    dtype: 'float32',
    data: { source: 'x.csv', validationSplit: 0.2 },
    layers: [
      { type: 'conv2d', filters: 2, kernelSize: 3, stride: 1, padding: 'valid', activation: 'linear' },
      { type: 'maxpool2d', poolSize: 2, stride: 2 }, // the stride defaults to the pool size
      { type: 'flatten' },
      { type: 'dense', units: 10, activation: 'linear' },
    ],
    loss: 'cross-entropy',
    // SGD, plain: no momentum, no Nesterov, no decay; Adam's usual 0.9, 0.999, 1e-8; 0.05 for SGD's step.
    optimizer: {
      type: 'sgd',
      learningRate: 0.05,
      momentum: 0,
      nesterov: false,
      weightDecay: 0,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
    },
    batchSize: 32,
    epochs: 5,
  });
  // Adam chosen with nothing else: its own step size 0.001.
  assert.equal(parseModel(optimizerFile('"type": "adam"')).spec?.optimizer.learningRate, 0.001);
});

test('the required fields: each one missing is named with the first sentence of its doc', () => {
  assert.deepEqual(messages('{ "layers": [ { "type": "flatten" } ] }'), [
    'missing required field "data" (Where the training examples come from)',
  ]);
  assert.deepEqual(messages(`{ ${DATA} }`), ['missing required field "layers" (The network, input to output)']);
  // The source's doc: its first sentence ends at ". Paths must stay…"; the dot of ".csv" is not a sentence end.
  assert.deepEqual(messages('{ "data": { }, "layers": [ { "type": "flatten" } ] }'), [
    'data: missing required field "source" (`"mnist"` for the built-in 10,000 handwritten digits, or a path relative to this file: a `.csv` (label first, then features), an IDX images file (MNIST/EMNIST format, with `labels`), or a folder of PNG images with one sub-folder per class)',
  ]);
  const layer = (l: string) => messages(layerFile(l));
  assert.deepEqual(layer('{ "type": "dense" }'), ['layers[0]: missing required field "units" (Number of output units)']);
  assert.deepEqual(layer('{ "type": "conv2d", "kernelSize": 3 }'), [
    'layers[0]: missing required field "filters" (Number of output channels)',
  ]);
  assert.deepEqual(layer('{ "type": "conv2d", "filters": 2 }'), [
    'layers[0]: missing required field "kernelSize" (Side of the square kernel: 3 for a 3×3 kernel)',
  ]);
  assert.deepEqual(layer('{ "type": "maxpool2d" }'), [
    'layers[0]: missing required field "poolSize" (Side of the square pooling window)',
  ]);
});

test('the bounds and kinds of the number fields, at and just past each end', () => {
  // [file, accepted values, [rejected value, message after "<path>: "]]
  const cases: [(v: string) => string, string, string[], [string, string][]][] = [
    [
      (v) => layerFile(`{ "type": "dense", "units": ${v} }`),
      'layers[0].units',
      ['1', '65536'],
      [
        ['0', 'expected a positive integer, got 0'],
        ['65537', 'expected an integer of at most 65536, got 65537'],
        ['1.5', 'expected a positive integer, got 1.5'],
      ],
    ],
    [
      (v) => layerFile(`{ "type": "conv2d", "filters": ${v}, "kernelSize": 1 }`),
      'layers[0].filters',
      ['1', '4096'],
      [
        ['0', 'expected a positive integer, got 0'],
        ['4097', 'expected an integer of at most 4096, got 4097'],
        ['2.5', 'expected a positive integer, got 2.5'],
      ],
    ],
    [
      (v) => layerFile(`{ "type": "conv2d", "filters": 1, "kernelSize": ${v} }`),
      'layers[0].kernelSize',
      ['1', '255'],
      [
        ['0', 'expected a positive integer, got 0'],
        ['256', 'expected an integer of at most 255, got 256'],
        ['2.5', 'expected a positive integer, got 2.5'],
      ],
    ],
    [
      (v) => layerFile(`{ "type": "conv2d", "filters": 1, "kernelSize": 1, "stride": ${v} }`),
      'layers[0].stride',
      ['1', '255'],
      [
        ['0', 'expected a positive integer, got 0'],
        ['256', 'expected an integer of at most 255, got 256'],
        ['1.5', 'expected a positive integer, got 1.5'],
      ],
    ],
    [
      (v) => layerFile(`{ "type": "maxpool2d", "poolSize": ${v} }`),
      'layers[0].poolSize',
      ['1', '255'],
      [
        ['0', 'expected a positive integer, got 0'],
        ['256', 'expected an integer of at most 255, got 256'],
        ['1.5', 'expected a positive integer, got 1.5'],
      ],
    ],
    [
      (v) => layerFile(`{ "type": "maxpool2d", "poolSize": 1, "stride": ${v} }`),
      'layers[0].stride',
      ['1', '255'],
      [
        ['0', 'expected a positive integer, got 0'],
        ['256', 'expected an integer of at most 255, got 256'],
        ['1.5', 'expected a positive integer, got 1.5'],
      ],
    ],
    [
      (v) => dataFile(`"limit": ${v}`),
      'data.limit',
      ['1', '1e6'],
      [
        ['0', 'expected a positive integer, got 0'],
        ['1.5', 'expected a positive integer, got 1.5'],
      ],
    ],
    [
      (v) => dataFile(`"validationSplit": ${v}`),
      'data.validationSplit',
      ['0', '0.999'],
      [
        ['1', 'expected a number in [0, 1), got 1'],
        ['-0.1', 'expected a number in [0, 1), got -0.1'],
      ],
    ],
    [
      (v) => optimizerFile(`"learningRate": ${v}`),
      'optimizer.learningRate',
      ['1e-9', '10'],
      [['0', 'expected a positive number, got 0']],
    ],
    [
      (v) => optimizerFile(`"momentum": ${v}`),
      'optimizer.momentum',
      ['0', '0.99'],
      [
        ['1', 'expected a number in [0, 1), got 1'],
        ['-0.5', 'expected a number in [0, 1), got -0.5'],
      ],
    ],
    [(v) => optimizerFile(`"weightDecay": ${v}`), 'optimizer.weightDecay', ['0', '5'], [['-1', 'expected a number ≥ 0, got -1']]],
    [(v) => optimizerFile(`"beta1": ${v}`), 'optimizer.beta1', ['0', '0.99'], [['1', 'expected a number in [0, 1), got 1']]],
    [(v) => optimizerFile(`"beta2": ${v}`), 'optimizer.beta2', ['0', '0.9999'], [['1', 'expected a number in [0, 1), got 1']]],
    [(v) => optimizerFile(`"epsilon": ${v}`), 'optimizer.epsilon', ['1e-12', '1'], [['0', 'expected a positive number, got 0']]],
    [
      (v) => rootFile(`"seed": ${v}`),
      'seed',
      ['0', '9007199254740991'],
      [
        ['-1', 'expected a non-negative integer, got -1'],
        ['0.5', 'expected a non-negative integer, got 0.5'],
        ['9007199254740992', 'expected an integer of at most 9007199254740991, got 9007199254740992'],
      ],
    ],
    [
      (v) => rootFile(`"batchSize": ${v}`),
      'batchSize',
      ['1', '100000'],
      [
        ['0', 'expected a positive integer, got 0'],
        ['1.5', 'expected a positive integer, got 1.5'],
      ],
    ],
    [
      (v) => rootFile(`"epochs": ${v}`),
      'epochs',
      ['1', '1000'],
      [
        ['0', 'expected a positive integer, got 0'],
        ['2.5', 'expected a positive integer, got 2.5'],
      ],
    ],
  ];
  for (const [file, path, good, bad] of cases) {
    for (const v of good) {
      const r = parseModel(file(v));
      assert.deepEqual(
        r.problems.filter((p) => p.severity === 'error'),
        [],
        `${path} = ${v}`,
      );
    }
    for (const [v, message] of bad) {
      assert.deepEqual(
        messages(file(v)).filter((m) => m.startsWith(`${path}:`)),
        [`${path}: ${message}`],
        `${path} = ${v}`,
      );
    }
  }
});

test('the kinds of the string, boolean and enum fields: each value accepted, another kind named with the list', () => {
  const ok = (text: string) =>
    assert.deepEqual(
      parseModel(text).problems.filter((p) => p.severity === 'error'),
      [],
      text,
    );
  for (const v of ['float32', 'float64']) ok(rootFile(`"dtype": "${v}"`));
  for (const v of ['cross-entropy', 'mse']) ok(rootFile(`"loss": "${v}"`));
  for (const v of ['sgd', 'adam']) ok(optimizerFile(`"type": "${v}"`));
  for (const v of ['valid', 'same']) ok(layerFile(`{ "type": "conv2d", "filters": 1, "kernelSize": 1, "padding": "${v}" }`));
  for (const v of [true, false]) ok(optimizerFile(`"nesterov": ${v}`));
  const one = (text: string, expected: string) => assert.deepEqual(messages(text), [expected], text);
  one(rootFile('"dtype": 5'), 'dtype: expected one of "float32", "float64", got 5');
  one(rootFile('"loss": 5'), 'loss: expected one of "cross-entropy", "mse", got 5');
  one(optimizerFile('"type": 5'), 'optimizer.type: expected one of "sgd", "adam", got 5');
  one(
    layerFile('{ "type": "conv2d", "filters": 1, "kernelSize": 1, "padding": 5 }'),
    'layers[0].padding: expected one of "valid", "same", got 5',
  );
  one(optimizerFile('"nesterov": 1'), 'optimizer.nesterov: expected true or false, got 1');
  one(rootFile('"name": 5'), 'name: expected a string, got 5');
  one(rootFile('"$schema": 5'), '$schema: expected a string, got 5');
  one(dataFile('"labels": 5'), 'data.labels: expected a string, got 5');
  one('{ "data": { "source": 5 }, "layers": [ { "type": "flatten" } ] }', 'data.source: expected a string, got 5');
  one(`{ "data": 5, "layers": [ ${DENSE} ] }`, 'data: expected an object { … }, got 5');
});

type Schema = {
  description?: string;
  markdownDescription?: string;
  properties?: Record<string, Schema>;
  definitions?: { layer: Schema & { allOf: { if: { properties: { type: { const: string } } }; then: Schema }[] } };
  const?: string;
  default?: unknown;
  required?: string[];
};

test('the JSON Schema: every field and layer has a hover doc, each layer variant is keyed by its own type', () => {
  const schema = buildJsonSchema() as Schema;
  const docs: string[] = [];
  const walk = (s: Schema, where: string) => {
    for (const [name, p] of Object.entries(s.properties ?? {})) {
      assert.ok(p.description && p.description.length > 1, `${where}.${name}: description`);
      assert.ok(p.markdownDescription && p.markdownDescription.length > 1, `${where}.${name}: markdown`);
      docs.push(p.markdownDescription);
      walk(p, `${where}.${name}`);
    }
  };
  walk(schema, '');
  const variants = schema.definitions!.layer.allOf;
  assert.deepEqual(
    variants.map((v) => v.if.properties.type.const),
    ['dense', 'conv2d', 'maxpool2d', 'flatten', 'relu', 'leaky-relu', 'tanh', 'sigmoid', 'gelu'],
  );
  for (const v of variants) {
    const t = v.if.properties.type.const;
    assert.ok(v.then.description && v.then.description.length > 1, `${t}: layer doc`);
    // The variant's own `type` is the constant of its type (VS Code checks a layer against it).
    assert.equal(v.then.properties!.type.const, t, `${t}: type const`);
    walk(v.then, t);
  }
  // The leaky ReLU's docs name its slope, 0.01 (LEAKY_RELU_SLOPE, the engine's constant).
  const leaky = variants.find((v) => v.if.properties.type.const === 'leaky-relu')!.then;
  assert.equal(leaky.description, 'x for x > 0, 0.01·x otherwise.');
  assert.equal(leaky.properties!.type.description, 'Leaky ReLU activation (slope 0.01).');
  // The required lists the editor flags, by hand from the format.
  assert.deepEqual(schema.required, ['data', 'layers']);
  assert.deepEqual(schema.properties!.data.required, ['source']);
  assert.equal(schema.properties!.optimizer.required, undefined);
  const required = Object.fromEntries(variants.map((v) => [v.if.properties.type.const, v.then.required]));
  assert.deepEqual(required, {
    dense: ['type', 'units'],
    conv2d: ['type', 'filters', 'kernelSize'],
    maxpool2d: ['type', 'poolSize'],
    flatten: ['type'],
    relu: ['type'],
    'leaky-relu': ['type'],
    tanh: ['type'],
    sigmoid: ['type'],
    gelu: ['type'],
  });
  // Defaults the editor offers for the fields without one in the spec are absent (the maxpool stride follows poolSize).
  const maxpool = variants.find((v) => v.if.properties.type.const === 'maxpool2d')!.then;
  assert.equal(maxpool.properties!.stride.default, undefined);
  assert.equal(schema.properties!.optimizer.properties!.learningRate.default, undefined);
  assert.equal(schema.properties!.optimizer.properties!.nesterov.default, false);
  assert.ok(docs.length >= 30);
});

test('the defaults the editor shows are those a file without the field gets (the same values as the spec test above)', () => {
  const schema = buildJsonSchema() as Schema;
  const defaults = (s: Schema) =>
    Object.fromEntries(
      Object.entries(s.properties ?? {})
        .filter(([, p]) => p.default !== undefined)
        .map(([k, p]) => [k, p.default]),
    );
  assert.deepEqual(defaults(schema), { seed: 0, dtype: 'float32', loss: 'cross-entropy', batchSize: 32, epochs: 5 });
  assert.deepEqual(defaults(schema.properties!.data), { validationSplit: 0.2 });
  assert.deepEqual(defaults(schema.properties!.optimizer), {
    type: 'sgd',
    momentum: 0,
    nesterov: false,
    weightDecay: 0,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
  });
  const variants = schema.definitions!.layer.allOf;
  const byType = Object.fromEntries(variants.map((v) => [v.if.properties.type.const, defaults(v.then)]));
  assert.deepEqual(byType, {
    dense: { activation: 'linear' },
    conv2d: { stride: 1, padding: 'valid', activation: 'linear' },
    maxpool2d: {},
    flatten: {},
    relu: {},
    'leaky-relu': {},
    tanh: {},
    sigmoid: {},
    gelu: {},
  });
});
