// The quick check may only accept what the tree walk accepts, and must then give the same result:
// both ways through the same texts (the fuzz suite's seeded model mutations and hand-picked edge
// cases), compared field by field.

import test from 'node:test';
import assert from 'node:assert/strict';
import { parseModel } from '../../../src/model';
import { parseByTree, SYNTAX_ONLY_CHARS } from '../../../src/model/parse';
import { baseModels, modelCases } from '../../fuzz/models';

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
