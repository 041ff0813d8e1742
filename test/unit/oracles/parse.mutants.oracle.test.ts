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
