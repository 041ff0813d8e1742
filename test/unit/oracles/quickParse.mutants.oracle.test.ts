// quickParse.ts read on its own (found by mutation testing): the scan's handling of whitespace,
// comments, trailing commas, strings and nesting, the value check, and which layers a failure names.
// Its other tests compare parseModel with the tree walk, which a fallback to the tree walk always
// passes; here the quick result itself is checked. Every value, offset and text below is written
// out by hand from the pieces each text is built of, never read back from quickParse's output.

import test from 'node:test';
import assert from 'node:assert/strict';
import { quickParse } from '../../../src/model/quickParse';

const DATA = '"data": { "source": "mnist" }';
const FLATTEN = '{ "type": "flatten" }';
const DENSE = '{ "type": "dense", "units": 10 }';
// The values a valid file of these two layers gives (the dense activation defaults to linear).
const LAYERS = [{ type: 'flatten' }, { type: 'dense', units: 10, activation: 'linear' }];

/** `{ <before>"layers": [ <layers joined by ", "> ]<after> }` with where each layer starts. */
function model(layers: string[], before = `${DATA}, `, after = '', open = '"layers": [ ') {
  const head = `{ ${before}${open}`;
  const ranges: { offset: number; length: number }[] = [];
  let at = head.length;
  for (const l of layers) {
    ranges.push({ offset: at, length: l.length });
    at += l.length + 2;
  }
  const body = layers.join(', ');
  const text = `${head}${body} ]${after} }`;
  // The layers array blanked: from just after its "[" (the last one of `open`) to just before its "]".
  const b = head.lastIndexOf('[');
  const withoutLayers = `${head.slice(0, b + 1)}${' '.repeat(head.length - b - 1 + body.length + 1)}]${after} }`;
  return { text, ranges, withoutLayers };
}

test('a plain valid file: its values, each layer at its place, the layers blanked with the offsets kept', () => {
  const m = model([FLATTEN, DENSE]);
  assert.deepEqual(quickParse(m.text, 64), {
    values: { data: { source: 'mnist' }, layers: LAYERS },
    layerRanges: m.ranges,
    withoutLayers: m.withoutLayers,
  });
  assert.equal(m.withoutLayers.length, m.text.length);
});

test('every kind of whitespace between "layers", its colon and its "[", and before a trailing comma', () => {
  for (const ws of [' ', '\n', '\r', '\t']) {
    const open = `"layers"${ws}:${ws}[${ws}`;
    const m = model([FLATTEN, DENSE], `${DATA}, `, `,${ws}"epochs": 2,${ws}`, open);
    assert.deepEqual(
      quickParse(m.text, 64),
      { values: { data: { source: 'mnist' }, layers: LAYERS, epochs: 2 }, layerRanges: m.ranges, withoutLayers: m.withoutLayers },
      JSON.stringify(ws),
    );
  }
});

test('comments are blanked: a line comment, a block comment mid-line, one that opens with "/*/", one at the very end', () => {
  const before = `// a line comment\n// one right after a line break\n  ${DATA}, /* a block */ `;
  const after = ', /*/ opens with a slash after the star */ "seed": 3';
  const m = model([FLATTEN, DENSE], before, after);
  assert.deepEqual(quickParse(m.text, 64), {
    values: { data: { source: 'mnist' }, layers: LAYERS, seed: 3 },
    layerRanges: m.ranges,
    withoutLayers: m.withoutLayers,
  });
  // A line comment that ends the text, with no line break after it.
  const plain = model([FLATTEN, DENSE]);
  const end = ' // no line break after this';
  assert.deepEqual(quickParse(plain.text + end, 64), {
    values: { data: { source: 'mnist' }, layers: LAYERS },
    layerRanges: plain.ranges,
    withoutLayers: plain.withoutLayers + end,
  });
});

test('trailing commas before "}" and before "]" are blanked', () => {
  const flatten = '{ "type": "flatten", }';
  const m = model([flatten, DENSE], `${DATA.replace('" }', '", }')}, `, ', "epochs": 1,');
  assert.ok(m.text.includes('"source": "mnist", }') && m.text.endsWith('"epochs": 1, }'));
  assert.deepEqual(quickParse(m.text, 64), {
    values: { data: { source: 'mnist' }, layers: LAYERS, epochs: 1 },
    layerRanges: m.ranges,
    withoutLayers: m.withoutLayers,
  });
  // After the last layer: "<dense>, ]" (the blanked part is one comma longer).
  const last = model([FLATTEN, `${DENSE},`]);
  assert.ok(last.text.includes(`${DENSE}, ]`));
  assert.deepEqual(quickParse(last.text, 64), {
    values: { data: { source: 'mnist' }, layers: LAYERS },
    layerRanges: [last.ranges[0], { offset: last.ranges[1].offset, length: DENSE.length }],
    withoutLayers: last.withoutLayers,
  });
});

test('a trailing comma with a comment after it, before the bracket, is blanked too (it was "syntax": the blanks went out of order)', () => {
  // `"units": 10, /* c */ }` and `}, // the output\n ]`: JSONC that is JSON once both are blanked.
  const dense = '{ "type": "dense", "units": 10, /* c */ }';
  const m = model([FLATTEN, `${dense}, // the output\n`], `${DATA.replace('" }', '", // c\n }')}, `);
  const ranges = [m.ranges[0], { offset: m.ranges[1].offset, length: dense.length }];
  assert.deepEqual(quickParse(m.text, 64), {
    values: { data: { source: 'mnist' }, layers: LAYERS },
    layerRanges: ranges,
    withoutLayers: m.withoutLayers,
  });
});

test('strings: escaped quotes and backslashes do not end a string; a key that only starts with "layers" is not the layers', () => {
  // "a\"b", "c\\", "d\\\"e" : the quote after an odd run of backslashes is escaped.
  const before = `"name": "a\\"b, c\\\\", "layersX": 1, "ly": "d\\\\\\"e \\"layers\\": [", ${DATA}, `;
  const m = model([FLATTEN, DENSE], before);
  const r = quickParse(m.text, 64);
  assert.ok(r && typeof r === 'object' && 'failed' in r, 'the unknown keys fail the value check');
  assert.deepEqual(r, { failed: true, badLayers: [], layerRanges: m.ranges, withoutLayers: m.withoutLayers });
  // A six-letter key holding an array ahead of the layers.
  const six = model([FLATTEN, DENSE], `"foobar": [ 1 ], ${DATA}, `);
  assert.deepEqual(quickParse(six.text, 64), {
    failed: true,
    badLayers: [],
    layerRanges: six.ranges,
    withoutLayers: six.withoutLayers,
  });
});

test('strings of a valid file: a quote after an odd run of backslashes is inside, after an even run it closes; an empty string', () => {
  // The text of the name: "a\"b: [c\\\"d: e\\" (1, 3 and then 2 backslashes before a quote).
  const name = '"a\\"b: [c\\\\\\"d: e\\\\"';
  assert.equal(name.length, 20);
  const m = model([FLATTEN, DENSE], `"name": ${name}, ${DATA}, `);
  assert.deepEqual(quickParse(m.text, 64), {
    values: { name: 'a"b: [c\\"d: e\\', data: { source: 'mnist' }, layers: LAYERS },
    layerRanges: m.ranges,
    withoutLayers: m.withoutLayers,
  });
  const empty = model([FLATTEN, DENSE], `"name": "", ${DATA}, `);
  assert.deepEqual(quickParse(empty.text, 64), {
    values: { name: '', data: { source: 'mnist' }, layers: LAYERS },
    layerRanges: empty.ranges,
    withoutLayers: empty.withoutLayers,
  });
});

test('not JSON, once comments and trailing commas are blanked: "syntax"', () => {
  const good = model([FLATTEN, DENSE]).text;
  const cases = [
    `${good} /* unclosed`,
    `${good} / 1`,
    '"a string that runs on, with no bracket before it',
    `${good} / 1 */`, // a slash, then a star and a slash later on: not a comment
    good.replace('"mnist"', '"mnist'), // a string runs on
    `{ "name": "unclosed`,
    good.replace('"data"', '"data" 1,'),
    good.replace(', "layers"', ' "layers"'), // a missing comma
  ];
  for (const text of cases) assert.equal(quickParse(text, 64), 'syntax', text);
});

test('nesting: exactly maxNesting levels pass, one fewer allowed is "syntax"', () => {
  // The root object, the layers array, a layer object: 3 levels.
  const m = model([FLATTEN, DENSE]);
  assert.deepEqual(quickParse(m.text, 3), {
    values: { data: { source: 'mnist' }, layers: LAYERS },
    layerRanges: m.ranges,
    withoutLayers: m.withoutLayers,
  });
  assert.equal(quickParse(m.text, 2), 'syntax');
});

test('objects and arrays outside the layers and inside a layer do not move the layer ranges or the blanked part', () => {
  // Depth-3 objects before and after the layers, an array inside a layer, a top-level array after them.
  const before = `"data": { "source": "mnist", "x": { "a": 1 } }, `;
  const inner = '{ "type": "dense", "units": 10, "x": [ 1, [ 2 ] ], "y": { "b": { "c": 2 } } }';
  const after = ', "optimizer": { "type": "adam", "z": { "d": 4 } }, "w": [ 5 ]';
  const m = model([FLATTEN, inner], before, after);
  assert.deepEqual(quickParse(m.text, 64), {
    failed: true,
    badLayers: [1],
    layerRanges: m.ranges,
    withoutLayers: m.withoutLayers,
  });
});

test('a failure names exactly the layers whose values or keys are wrong', () => {
  const layers = [
    DENSE,
    '{ "type": "dense", "units": 0 }', // a bad value
    FLATTEN,
    '{ "type": "dense", "units": 10, "units": 10 }', // a duplicate key: JSON.parse keeps one
    '{ "type": "dense" }', // a required field missing
    '{ "type": "dens", "units": 10 }', // an unknown type
    '{ "type": "dense", "units": 10, "activation": "relu" }',
    '{ "type": "dense", "units": 10, "bogus": 1 }', // an unknown key
    '{ "units": 10 }', // no type
    '{ "type": 5 }',
    DENSE,
  ];
  const m = model(layers, `${DATA}, "epochs": 2, `, ', "seed": 1');
  assert.deepEqual(quickParse(m.text, 64), {
    failed: true,
    badLayers: [1, 3, 4, 5, 7, 8, 9],
    layerRanges: m.ranges,
    withoutLayers: m.withoutLayers,
  });
});

test('wrong values outside the layers: a failure naming no layer', () => {
  const cases = [
    `${DATA}, "optimizer": null, `,
    `${DATA}, "optimizer": [], `,
    `${DATA}, "optimizer": 5, `, // a number where an object goes (the optimizer has no required field)
    `${DATA}, "optimizer": { "type": "adagrad" }, `,
    `${DATA}, "type": "dense", `,
    `"data": { "source": 5 }, `,
    `"data": { }, `,
    `${DATA}, "data": { "source": "mnist" }, `, // a duplicate key
  ];
  for (const before of cases) {
    const m = model([FLATTEN, DENSE], before);
    assert.deepEqual(
      quickParse(m.text, 64),
      { failed: true, badLayers: [], layerRanges: m.ranges, withoutLayers: m.withoutLayers },
      before,
    );
  }
});

test('valid values of every kind are kept as given: the optimizer type among them', () => {
  const before = `${DATA}, "optimizer": { "type": "adam", "learningRate": 0.01 }, "batchSize": 4, `;
  const m = model([FLATTEN, DENSE], before);
  assert.deepEqual(quickParse(m.text, 64), {
    values: { data: { source: 'mnist' }, optimizer: { type: 'adam', learningRate: 0.01 }, batchSize: 4, layers: LAYERS },
    layerRanges: m.ranges,
    withoutLayers: m.withoutLayers,
  });
});

test('the layers array is the first "[" right after the key "layers" at the top level, no other', () => {
  // An array under a longer key that starts with "layers", ahead of the layers: not the layers (the closing quote is part of the match).
  const longer = model([FLATTEN, DENSE], `"layers2": [ 1 ], ${DATA}, `);
  assert.deepEqual(quickParse(longer.text, 64), {
    failed: true,
    badLayers: [],
    layerRanges: longer.ranges,
    withoutLayers: longer.withoutLayers,
  });
  // "layers" given first as an object: the array given after it is the layers (the key twice is a failure, no layer named).
  const object = model([FLATTEN, DENSE], `${DATA}, "layers": { }, `);
  assert.deepEqual(quickParse(object.text, 64), {
    failed: true,
    badLayers: [],
    layerRanges: object.ranges,
    withoutLayers: object.withoutLayers,
  });
});

test('no usable layers array: null (the tree walk decides)', () => {
  const cases = [
    `{ ${DATA} }`,
    `{ ${DATA}, "layers": [] }`,
    `{ ${DATA}, "layers": {} }`,
    `{ ${DATA}, "layers": [ null ] }`,
    `{ ${DATA}, "layers": [ 1, ${DENSE} ] }`,
    `{ ${DATA}, "layers": [ ${FLATTEN} ], "layers": [ ${DENSE} ] }`, // twice, the same length
    `{ ${DATA}, "layers": [ ${FLATTEN}, ${DENSE} ], "l\\u0061yers": 5 }`, // JSON.parse keeps the escaped one
    '[ 1 ]',
  ];
  for (const text of cases) assert.equal(quickParse(text, 64), null, text);
});
