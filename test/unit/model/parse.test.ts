import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseModel, checkShapes, formatProblem, offsetToLineCol, buildJsonSchema } from '../../../src/model';
import { LAYER_DEFS, ROOT_DEF, DATA_DEF, OPTIMIZER_DEF } from '../../../src/model/fields';

const at = (text: string, r: { offset: number; length: number }): string => text.slice(r.offset, r.offset + r.length);
const base = (layers: string, extra = ''): string => `{ "data": { "source": "mnist" }, "layers": [ ${layers} ]${extra} }`;

test('a JSONC file with comments and trailing commas parses, with defaults filled in', () => {
  const text = `// model\n{\n  /* block */ "data": { "source": "mnist", },\n  "layers": [ { "type": "dense", "units": 10 }, ],\n}\n`;
  const r = parseModel(text);
  assert.deepEqual(r.problems, []);
  assert.ok(r.spec);
  assert.equal(r.spec.seed, 0);
  assert.equal(r.spec.dtype, 'float32');
  assert.equal(r.spec.batchSize, 32);
  assert.equal(r.spec.epochs, 5);
  assert.equal(r.spec.loss, 'cross-entropy');
  assert.equal(r.spec.data.validationSplit, 0.2);
  assert.deepEqual(r.spec.optimizer, {
    type: 'sgd',
    learningRate: 0.05,
    momentum: 0,
    nesterov: false,
    weightDecay: 0,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
  });
  assert.deepEqual(r.spec.layers, [{ type: 'dense', units: 10, activation: 'linear' }]);
  assert.equal(at(text, r.layerRanges[0]), '{ "type": "dense", "units": 10 }');
});

test('adam gets its own default learning rate; maxpool stride defaults to the pool size; conv defaults', () => {
  const r = parseModel(
    base(
      `{ "type": "conv2d", "filters": 2, "kernelSize": 3 }, { "type": "maxpool2d", "poolSize": 2 }, { "type": "flatten" }, { "type": "dense", "units": 10 }`,
      `, "optimizer": { "type": "adam" }`,
    ),
  );
  assert.deepEqual(r.problems, []);
  assert.equal(r.spec!.optimizer.learningRate, 0.001);
  assert.deepEqual(r.spec!.layers[0], {
    type: 'conv2d',
    filters: 2,
    kernelSize: 3,
    stride: 1,
    padding: 'valid',
    activation: 'linear',
  });
  assert.deepEqual(r.spec!.layers[1], { type: 'maxpool2d', poolSize: 2, stride: 2 });
});

test('a negative unit count is reported at the value, with path, expectation and the value got', () => {
  const text = base(`{ "type": "dense", "units": 5 }, { "type": "dense", "units": 7 }, { "type": "dense", "units": -3 }`);
  const r = parseModel(text);
  assert.equal(r.spec, null);
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0].message, 'layers[2].units: expected a positive integer, got -3');
  assert.equal(at(text, r.problems[0].range), '-3');
  assert.equal(r.problems[0].severity, 'error');
});

test('unknown keys are errors on the key with a did-you-mean suggestion', () => {
  const text = `{ "data": { "source": "mnist", "limt": 5 }, "layers": [ { "type": "dense", "unitz": 10 } ], "batchsize": 4 }`;
  const r = parseModel(text);
  const msgs = r.problems.map((p) => [p.message, at(text, p.range)]);
  assert.deepEqual(msgs, [
    ['data.limt: unknown field "limt"; did you mean "limit"?', '"limt"'],
    ['layers[0]: missing required field "units" (Number of output units)', '{'],
    ['layers[0].unitz: unknown field "unitz"; did you mean "units"?', '"unitz"'],
    ['batchsize: unknown field "batchsize"; did you mean "batchSize"?', '"batchsize"'],
  ]);
});

test('an unknown layer type names the closest type; a far-off key lists the choices', () => {
  const text = base(`{ "type": "dence", "units": 3 }`, `, "zzzzzz": 1`);
  const r = parseModel(text);
  assert.equal(r.problems[0].message, 'layers[0].type: unknown layer type "dence"; did you mean "dense"?');
  assert.equal(at(text, r.problems[0].range), '"dence"');
  assert.match(r.problems[1].message, /^zzzzzz: unknown field "zzzzzz"; expected one of "\$schema", "name", "seed"/);
});

test('every error is collected, not only the first', () => {
  const text = `{ "data": { "source": 7, "validationSplit": 1 }, "layers": [ { "type": "dense", "units": 2.5, "activation": "rleu" } ], "loss": "hinge", "optimizer": { "learningRate": 0, "nesterov": "yes" }, "epochs": "many" }`;
  const r = parseModel(text);
  const got = r.problems.map((p) => `${p.message} @ ${at(text, p.range)}`);
  assert.deepEqual(got, [
    'data.source: expected a string, got 7 @ 7',
    'data.validationSplit: expected a number in [0, 1), got 1 @ 1',
    'layers[0].units: expected a positive integer, got 2.5 @ 2.5',
    'layers[0].activation: expected one of "linear", "relu", "leaky-relu", "tanh", "sigmoid", "gelu", got "rleu"; did you mean "relu"? @ "rleu"',
    'loss: expected one of "cross-entropy", "mse", got "hinge" @ "hinge"',
    'optimizer.learningRate: expected a positive number, got 0 @ 0',
    'optimizer.nesterov: expected true or false, got "yes" @ "yes"',
    'epochs: expected a positive integer, got "many" @ "many"',
  ]);
});

test('missing required fields, empty layers, wrong top level, duplicates and syntax errors', () => {
  let r = parseModel('{ "layers": [] }');
  assert.deepEqual(
    r.problems.map((p) => p.message),
    ['missing required field "data" (Where the training examples come from)', 'layers: expected at least one layer'],
  );
  r = parseModel('[1, 2]');
  assert.deepEqual(
    r.problems.map((p) => p.message),
    ['expected a model object { … } at the top level, got an array'],
  );
  r = parseModel('');
  assert.match(r.problems[0].message, /the file is empty/);
  const dup = base(`{ "type": "flatten" }`, `, "seed": 1, "seed": 2`);
  r = parseModel(dup);
  assert.equal(r.problems.find((p) => p.message.includes('twice'))?.message, 'seed: "seed" is given twice');
  const broken = '{ "data": { "source": "mnist" } "layers": [] }';
  r = parseModel(broken);
  assert.equal(r.problems[0].message, 'syntax error: expected a comma');
  assert.equal(r.problems[0].range.offset, broken.indexOf('"layers"'));
});

test('shape errors land on the offending layer', () => {
  const conv = `{ "type": "conv2d", "filters": 4, "kernelSize": 3 }`;
  let text = base(`${conv}, { "type": "dense", "units": 10 }`);
  let r = parseModel(text);
  assert.equal(r.spec, null);
  assert.equal(
    r.problems[0].message,
    'layers[1]: a dense layer needs a flat input, got shape [4, 26, 26]; add { "type": "flatten" } before it',
  );
  assert.equal(at(text, r.problems[0].range), '{ "type": "dense", "units": 10 }');

  text = base(`{ "type": "conv2d", "filters": 4, "kernelSize": 30 }, { "type": "flatten" }, { "type": "dense", "units": 10 }`);
  r = parseModel(text);
  assert.equal(r.problems[0].message, 'layers[0]: kernel 30×30 is larger than its input 28×28');

  text = base(`{ "type": "dense", "units": 26 }`);
  r = parseModel(text);
  assert.equal(r.problems[0].message, 'layers[0]: the last layer has 26 units but the data has 10 classes');

  text = base(`${conv}`);
  r = parseModel(text);
  assert.match(r.problems[0].message, /must end in a vector of 10 class scores, but its output has shape \[4, 26, 26\]/);
});

test('a squashing activation before cross-entropy is a warning, and the spec is still usable', () => {
  const text = base(`{ "type": "dense", "units": 10, "activation": "sigmoid" }`);
  const r = parseModel(text);
  assert.ok(r.spec);
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0].severity, 'warning');
});

test('user data shapes are checked once known, with checkShapes', () => {
  const text = `{ "data": { "source": "data/train.csv" }, "layers": [ { "type": "dense", "units": 3 } ] }`;
  const r = parseModel(text);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(checkShapes(r, text, { inputShape: [4], numClasses: 3 }), []);
  const bad = checkShapes(r, text, { inputShape: [4], numClasses: 5 });
  assert.equal(bad[0].message, 'layers[0]: the last layer has 3 units but the data has 5 classes');
});

test('absolute data paths and an IDX file without labels are errors; a huge learning rate is a warning', () => {
  let r = parseModel(`{ "data": { "source": "/etc/passwd" }, "layers": [ { "type": "dense", "units": 3 } ] }`);
  assert.match(r.problems[0].message, /^data\.source: expected a path relative to this file/);
  const escaping = `{ "data": { "source": "../../secrets/data.csv" }, "layers": [ { "type": "dense", "units": 3 } ] }`;
  assert.equal(parseModel(escaping).problems.length, 0, 'without knowing where the file sits, the data layer decides');
  assert.equal(parseModel(escaping, undefined, { folderDepth: 2 }).problems.length, 0, 'two folders down, ../../ is the root');
  r = parseModel(escaping, undefined, { folderDepth: 1 });
  assert.equal(r.problems.length, 1);
  assert.match(
    r.problems[0].message,
    /^data\.source: expected a path inside the workspace, got "\.\.\/\.\.\/secrets\/data\.csv"/,
  );
  assert.equal(escaping.substr(r.problems[0].range.offset, r.problems[0].range.length), '"../../secrets/data.csv"');
  assert.equal(r.spec, null);
  assert.equal(
    parseModel(`{ "data": { "source": "data/../data/train.csv" }, "layers": [ { "type": "dense", "units": 3 } ] }`, undefined, {
      folderDepth: 0,
    }).problems.length,
    0,
  );
  assert.equal(
    parseModel(`{ "data": { "source": "data/../../x.csv" }, "layers": [ { "type": "dense", "units": 3 } ] }`, undefined, {
      folderDepth: 0,
    }).problems.length,
    1,
  );
  r = parseModel(
    `{ "data": { "source": "emnist-letters-train-images-idx3-ubyte" }, "layers": [ { "type": "dense", "units": 3 } ] }`,
  );
  assert.match(r.problems[0].message, /^data\.labels: an IDX images file needs its labels file/);
  r = parseModel(base(`{ "type": "dense", "units": 10 }`, `, "optimizer": { "learningRate": 5 }`));
  assert.equal(r.problems[0].severity, 'warning');
  assert.match(r.problems[0].message, /unusually large/);
});

test('problems format as file:line:col for the terminal', () => {
  const text = '{\n  "data": { "source": "mnist" },\n  "layers": [ { "type": "dense", "units": -1 } ]\n}';
  const r = parseModel(text);
  assert.deepEqual(offsetToLineCol(text, text.indexOf('-1')), { line: 3, col: 43 });
  assert.equal(
    formatProblem('m.gradlens.json', text, r.problems[0]),
    'm.gradlens.json:3:43: error: layers[0].units: expected a positive integer, got -1',
  );
});

test('the committed JSON Schema is exactly what the field tables generate (npm run schema)', () => {
  const committed = JSON.parse(readFileSync('schemas/gradlens.schema.json', 'utf8'));
  assert.deepEqual(committed, JSON.parse(JSON.stringify(buildJsonSchema())));
});

test('every field the schema offers is accepted by the parser, and every unknown one rejected', () => {
  const schema = buildJsonSchema() as { properties: Record<string, unknown> };
  assert.deepEqual(
    Object.keys(schema.properties),
    ROOT_DEF.fields.map((f) => f.name),
  );
  for (const [type, def] of Object.entries(LAYER_DEFS)) {
    const fields = def.fields.filter((f) => f.name !== 'type');
    const sample: Record<string, unknown> = { type };
    for (const f of fields) sample[f.name] = f.type.kind === 'enum' ? f.type.values[0] : 3;
    const text = `{ "data": { "source": "x.csv" }, "layers": [ ${JSON.stringify(sample)} ] }`;
    assert.deepEqual(parseModel(text).problems, [], `layer ${type}`);
    const withExtra = `{ "data": { "source": "x.csv" }, "layers": [ ${JSON.stringify({ ...sample, bogus: 1 })} ] }`;
    assert.match(parseModel(withExtra).problems[0].message, /unknown field "bogus"/);
  }
  for (const def of [DATA_DEF, OPTIMIZER_DEF]) assert.ok(def.fields.length > 0);
});

test('every property name in the committed schema file is accepted by the parser at its place', () => {
  type Obj = { properties: Record<string, { enum?: unknown[]; default?: unknown; type?: string; properties?: unknown }> };
  const schema = JSON.parse(readFileSync('schemas/gradlens.schema.json', 'utf8')) as Obj & {
    definitions: { layer: Obj & { allOf: { if: { properties: { type: { const: string } } }; then: Obj }[] } };
  };
  const sampleValue = (p: { enum?: unknown[]; default?: unknown; type?: string }): unknown =>
    p.enum?.[0] ?? p.default ?? (p.type === 'string' ? 'x' : 1);
  const sampleObject = (o: Obj, skip: string[]): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(o.properties)
        .filter(([k]) => !skip.includes(k))
        .map(([k, p]) => [k, sampleValue(p)]),
    );
  const root = sampleObject(schema, ['$schema', 'data', 'layers', 'optimizer']);
  const data = { ...sampleObject(schema.properties.data as Obj, []), source: 'x.csv' };
  delete (data as Record<string, unknown>).labels;
  const optimizer = sampleObject(schema.properties.optimizer as Obj, []);
  const text = JSON.stringify({ ...root, data, optimizer, layers: [{ type: 'dense', units: 3 }] });
  assert.deepEqual(
    parseModel(text).problems.filter((p) => p.severity === 'error'),
    [],
    text,
  );
  const layerTypes = schema.definitions.layer.properties.type.enum as string[];
  assert.deepEqual(
    schema.definitions.layer.allOf.map((v) => v.if.properties.type.const),
    layerTypes,
  );
  for (const variant of schema.definitions.layer.allOf) {
    const layer = { ...sampleObject(variant.then, []), type: variant.if.properties.type.const };
    const layerText = JSON.stringify({ data: { source: 'x.csv' }, layers: [layer] });
    assert.deepEqual(parseModel(layerText).problems, [], layerText);
  }
});

test('the shipped examples parse without problems', () => {
  for (const f of ['examples/digits/digits.gradlens.json', 'examples/cnn/cnn.gradlens.json']) {
    const r = parseModel(readFileSync(f, 'utf8'));
    assert.deepEqual(r.problems, [], f);
    assert.ok(r.spec, f);
  }
});
