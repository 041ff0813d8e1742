// parse.ts edges its other tests leave open (found by mutation testing): the end-of-line ranges of
// the layers (`layerLineRanges`) on every way through the file, and the whole result of the early
// returns. Every offset and length below is counted from the pieces the texts are built of (by hand),
// never read back from the parser's output.

import test from 'node:test';
import assert from 'node:assert/strict';
import { parseByTree, parseModel } from '../../../src/model/parse';

// Three layers: the first and the second on one line, the second running on to the next line.
const HEAD = '{ "data": { "source": "mnist" },\n  "layers": [\n    ';
const L0 = '{ "type": "flatten" }';
const SEP1 = ', ';
const L1 = '{ "type": "dense", "units": 32,\n      "activation": "relu" }';
const SEP2 = ',\n    ';
const L2 = (units: number) => `{ "type": "dense", "units": ${units}, "activation": "linear" }`;

function threeLayers(units = 10, after = ''): string {
  return `${HEAD}${L0}${SEP1}${L1}${SEP2}${L2(units)}\n  ]${after}\n}\n`;
}

const o0 = HEAD.length;
const o1 = o0 + L0.length + SEP1.length;
const o2 = o1 + L1.length + SEP2.length;
const ranges = (units: number) => [
  { offset: o0, length: L0.length },
  { offset: o1, length: L1.length },
  { offset: o2, length: L2(units).length },
];
// The first line of each: the whole of L0 and L2, L1 up to its line break.
const lineRanges = (units: number) => [
  { offset: o0, length: L0.length },
  { offset: o1, length: L1.indexOf('\n') },
  { offset: o2, length: L2(units).length },
];

test('a valid file: each layer line range ends at its layer or at the end of its first line, whichever comes first', () => {
  const text = threeLayers();
  assert.equal(text.slice(o1, o1 + L1.length), L1);
  for (const r of [parseModel(text), parseByTree(text)]) {
    assert.deepEqual(r.problems, []);
    assert.notEqual(r.spec, null);
    assert.deepEqual(r.layerRanges, ranges(10));
    assert.deepEqual(r.layerLineRanges, lineRanges(10));
  }
});

test('a file with a bad layer value (the located walk and the whole tree walk) keeps the same layer line ranges', () => {
  const text = threeLayers(0);
  const problem = {
    path: 'layers[2].units',
    message: 'layers[2].units: expected a positive integer, got 0',
    range: { offset: o2 + '{ "type": "dense", "units": '.length, length: 1 },
    severity: 'error',
  };
  for (const r of [parseModel(text), parseByTree(text)]) {
    assert.deepEqual(r, { spec: null, problems: [problem], layerRanges: ranges(0), layerLineRanges: lineRanges(0) });
  }
});

test('a bad value outside the layers (the tree walk) keeps the layer line ranges', () => {
  const text = threeLayers(10, ',\n  "seed": -1');
  const seed = text.indexOf('-1');
  assert.equal(seed, o2 + L2(10).length + '\n  ],\n  "seed": '.length);
  const problem = {
    path: 'seed',
    message: 'seed: expected a non-negative integer, got -1',
    range: { offset: seed, length: 2 },
    severity: 'error',
  };
  for (const r of [parseModel(text), parseByTree(text)]) {
    assert.deepEqual(r, { spec: null, problems: [problem], layerRanges: ranges(10), layerLineRanges: lineRanges(10) });
  }
});

test('a file on one line without a final line break: every layer line range is its whole layer', () => {
  const a = '{ "type": "flatten" }';
  const b = '{ "type": "dense", "units": 10, "activation": "linear" }';
  const head = '{ "data": { "source": "mnist" }, "layers": [ ';
  const expected = [
    { offset: head.length, length: a.length },
    { offset: head.length + a.length + 2, length: b.length },
  ];
  const good = `${head}${a}, ${b} ] }`;
  for (const r of [parseModel(good), parseByTree(good)]) {
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.layerRanges, expected);
    assert.deepEqual(r.layerLineRanges, expected);
  }
  const bad = `${head}${a}, ${b} ], "seed": -1 }`;
  for (const r of [parseModel(bad), parseByTree(bad)]) {
    assert.equal(r.problems.length, 1);
    assert.deepEqual(r.layerRanges, expected);
    assert.deepEqual(r.layerLineRanges, expected);
  }
  const badLayer = `${head}${a}, ${b.replace('10', '0')} ] }`;
  const shorter = [expected[0], { offset: expected[1].offset, length: b.length - 1 }];
  for (const r of [parseModel(badLayer), parseByTree(badLayer)]) {
    assert.equal(r.problems.length, 1);
    assert.deepEqual(r.layerRanges, shorter);
    assert.deepEqual(r.layerLineRanges, shorter);
  }
});

test('the early returns give no layer ranges at all', () => {
  const none = { spec: null, layerRanges: [], layerLineRanges: [] };
  const cases: [string, { path: string; message: string; range: { offset: number; length: number } }][] = [
    [
      '',
      {
        path: '',
        message: 'the file is empty: expected a model object { "data": …, "layers": [ … ] }',
        range: { offset: 0, length: 0 },
      },
    ],
    [
      '['.repeat(65) + ']'.repeat(65),
      {
        path: '',
        message: 'the file nests objects and arrays more than 64 levels deep; a model file needs four',
        range: { offset: 64, length: 1 },
      },
    ],
    [
      '[1]',
      { path: '', message: 'expected a model object { … } at the top level, got an array', range: { offset: 0, length: 3 } },
    ],
  ];
  for (const [text, p] of cases) {
    for (const r of [parseModel(text), parseByTree(text)])
      assert.deepEqual(r, { ...none, problems: [{ ...p, severity: 'error' }] });
  }
});

/** `s` padded with spaces to `n` characters. */
const pad = (s: string, n: number) => s + ' '.repeat(n - s.length);
// A comment and a trailing comma (both allowed), a bad seed, and the closing brace missing.
const BROKEN = '{ "seed": -1, /* c */ "data": { "source": "mnist", }, "layers": [ { "type": "dense", "units": 10 } ]';
const brace = (offset: number) => ({
  path: '',
  message: 'syntax error: expected a closing brace "}"',
  range: { offset, length: 1 },
  severity: 'error',
});

test('a syntax error with a comment and a trailing comma: only the real error is one (small file: with the field problems; large: alone)', () => {
  const layer = { offset: BROKEN.indexOf('{ "type"'), length: '{ "type": "dense", "units": 10 }'.length };
  assert.deepEqual(parseModel(BROKEN), {
    spec: null,
    problems: [
      {
        path: 'seed',
        message: 'seed: expected a non-negative integer, got -1',
        range: { offset: 10, length: 2 },
        severity: 'error',
      },
      brace(BROKEN.length),
    ],
    layerRanges: [layer],
    layerLineRanges: [layer],
  });
  const large = pad(BROKEN, 140000);
  assert.deepEqual(parseModel(large), { spec: null, problems: [brace(140000)], layerRanges: [], layerLineRanges: [] });
});

test('a large file of more than MAX_PROBLEMS syntax errors: the first 1,000 listed, the rest summed up where they begin', () => {
  // 1200 numbers in a row: 1199 missing commas (at the 2nd to the 1200th number), then the "]" and
  // the "}" missing at the end: 1201 errors, so 201 past the cap.
  const head = '{ "data": { "source": "mnist" }, "layers": [ ';
  assert.equal(head.length, 45);
  const text = pad(head + '1 1 '.repeat(600), 140000);
  const r = parseModel(text);
  assert.equal(r.problems.length, 1001);
  // The k-th missing comma is at the (k+2)-th number: 45 + 2 (k + 1).
  for (const k of [0, 1, 998, 999]) {
    assert.deepEqual(r.problems[k], {
      path: '',
      message: 'syntax error: expected a comma',
      range: { offset: 47 + 2 * k, length: 1 },
      severity: 'error',
    });
  }
  assert.deepEqual(r.problems[1000], {
    path: '',
    message: '201 more problems from here on; only the first 1,000 problems are listed',
    range: { offset: 47 + 2 * 1000, length: 1 },
    severity: 'error',
  });
  assert.deepEqual([r.spec, r.layerRanges, r.layerLineRanges], [null, [], []]);
});

test('the tree walk told the syntax is broken, on a large file that is valid: the whole result still', () => {
  const dense = '{ "type": "dense", "units": 10, "activation": "linear" }';
  const head = '{ "data": { "source": "mnist" }, "layers": [ ';
  const text = pad(`${head}${dense} ] }`, 140000);
  const r = parseByTree(text, undefined, undefined, true);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.spec?.layers, [{ type: 'dense', units: 10, activation: 'linear' }]);
  assert.deepEqual(r.layerRanges, [{ offset: head.length, length: dense.length }]);
  assert.deepEqual(r.layerLineRanges, [{ offset: head.length, length: dense.length }]);
});
