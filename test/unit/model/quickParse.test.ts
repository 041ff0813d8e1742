// The quick check may only accept what the tree walk accepts, and must then give the same result:
// both ways through the same texts (the fuzz suite's seeded model mutations and hand-picked edge
// cases), compared field by field.

import test from 'node:test';
import assert from 'node:assert/strict';
import { parseModel } from '../../../src/model';
import { parseByTree, SYNTAX_ONLY_CHARS } from '../../../src/model/parse';
import { baseModels, modelCases } from '../../fuzz/models';
import { quickParse } from '../../../src/model/quickParse';

function same(text: string): void {
  // parseModel turns a leading byte-order mark into a space before either way starts.
  const unmarked = text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text;
  assert.deepEqual(parseModel(text), parseByTree(unmarked), text.slice(0, 400));
}

test('parseModel and the tree walk agree on 600 seeded mutations of model files', () => {
  for (const text of [...baseModels(), ...modelCases(20261202, 600)]) same(text);
});

test('parseModel and the tree walk agree where JSON.parse and JSONC differ', () => {
  const layer = (s: string) => `{ "data": { "source": "mnist" }, "layers": [ ${s} ] }`;
  const cases = [
    layer('{ "type": "flatten" }, { "type": "dense", "units": 10 }'),
    layer('{ "type": "flatten" }, { "type": "dense", "units": 10, "units": 10 }'), // a duplicate key
    layer('{ "type": "flatten" }, { "type": "dense", "u\\u006eits": 10 }'), // an escaped key
    `{ "data": { "source": "mnist" }, "l\\u0061yers": [ { "type": "flatten" }, { "type": "dense", "units": 10 } ] }`,
    layer('{ "type": "flatten", }, /* c */ { "type": "dense", "units": 10, // c\n },'), // trailing commas and comments
    layer('{ "type": "flatten" }, { "type": "dense", "units": 1e400 }'),
    layer('{ "type": "flatten" }, [ { "type": "dense", "units": 10 } ]'),
    layer('{ "type": "flatten" }, 3, { "type": "dense", "units": 10 }'),
    layer('{ "type": "flatten" }, { "type": "dense", "units": 10, "__proto__": 1 }'),
    `{ "data": { "source": "mnist", "x": { "layers": [] } }, "layers": [ { "type": "flatten" }, { "type": "dense", "units": 10 } ] }`,
    `{ "name": "a\\"b\\\\", "data": { "source": "mnist" }, "layers": [ { "type": "flatten" }, { "type": "dense", "units": 10 } ] }`,
    `{ "data": { "source": "mnist" }, "layers": [ { "type": "flatten" }, { "type": "dense", "units": 10 } ] } /* unclosed`,
    `{ "data": { "source": "mnist" }, "layers": [ { "type": "flatten" }, { "type": "dense", "units": 10 } ], "optimizer": { "learningRate": 5 } }`,
    '{ "data": { "source": "mnist" }, "layers": [ { "type": "flatten" }, { "type": "dense", "units": 10 } ] }\u000b',
    '',
    '{}',
    '[]',
  ];
  for (const text of cases) same(text);
});

test('a large file with a syntax error gets the syntax errors a small one gets, positioned', () => {
  const layer = '    { "type": "dense", "units": 16, "activation": "relu" },\n';
  // The closing "]" of the layers is missing, and a field is unknown (reported once the syntax is fixed).
  const file = (body: string) =>
    `{ "data": { "source": "mnist" }, "x": 1,\n  "layers": [\n${body}    { "type": "dense", "units": 10 }\n  \n}\n`;
  const small = file(layer);
  const large = file(layer.repeat(Math.ceil(SYNTAX_ONLY_CHARS / layer.length) + 1));
  const shift = large.length - small.length;
  const syntaxOnly = parseModel(small).problems.filter((p) => p.message.startsWith('syntax error'));
  assert.equal(syntaxOnly.length, 4);
  const r = parseModel(large);
  assert.equal(r.spec, null);
  assert.deepEqual(
    r.problems.map((p) => [p.message, p.range.offset]),
    syntaxOnly.map((p) => [p.message, p.range.offset + shift]),
  );
  assert.equal(r.problems[0].range.offset, large.lastIndexOf('}'));
});

test('a file with wrong values is worded from the failing layers alone, exactly as the whole tree walk words it', () => {
  const good = '    { "type": "dense", "units": 16, "activation": "relu" }, // a comment\n';
  const file = (layers: string[], extra = '') =>
    `{ "data": { "source": "mnist" },${extra}\n  "layers": [\n${layers.join('')}    { "type": "dense", "units": 10 }\n  ]\n}\n`;
  const many = Array.from({ length: 400 }, () => good);
  const at = (k: number, layer: string) => many.map((l, i) => (i === k ? layer : l));
  const cases = [
    file(at(5, '    { "type": "dense", "units": -16, "activation": "relu" },\n')),
    file(at(0, '    { "type": "dense", "units": 16, "activation": "rellu", "units": 3 },\n')), // a typo and a duplicate
    file(at(399, '    { "type": "dens", "units": 16 },\n')),
    file(at(7, '    { "type": "dense", "units": 16, "bias": { "x": 1 } },\n')), // a nested object in a layer
    file(at(7, '    { "type": "dense" },\n')), // a missing field
    file(at(3, '    { },\n')),
    file(many, ' "epochs": -1, "optimizer": { "type": "sgd", "learningRate": "fast" },'), // the values outside the layers
    file(at(9, '    { "type": "dense", "units": 0 },\n'), ' "batchSize": 0, "bogus": 1,'), // both
    file(at(2, '    { "type": "dense", "units": 1e999 },\n')),
    file(many, ' "layers": [ { "type": "dense", "units": -1 } ],'), // layers given twice
    file(
      many.map((l, i) => (i % 3 === 0 ? l.replace('16', '-1') : l)),
      ' "seed": 1.5,',
    ), // a third of the layers bad
  ];
  for (const text of cases) same(text);
  const quick = quickParse(cases[0], 64);
  assert.ok(quick && typeof quick === 'object' && 'failed' in quick, 'the bad value did not take the located way');
  assert.deepEqual(quick.badLayers, [5]);
});
