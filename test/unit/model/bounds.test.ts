// Bounds of the model-file parser: sizes, nesting, echoed text, suggestions, the BOM, and the fast
// tree builder (which must build exactly what jsonc-parser builds).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseTree, type Node } from 'jsonc-parser';
import { parseModel } from '../../../src/model';
import { fastParseTree } from '../../../src/model/fastTree';
import { closest } from '../../../src/model/suggest';

const model = (layers: string, data = '"mnist"') => `{\n  "data": { "source": ${data} },\n  "layers": [\n    ${layers}\n  ]\n}\n`;
const problems = (text: string) =>
  parseModel(text).problems.map((p) => ({ message: p.message, offset: p.range.offset, length: p.range.length }));

test('sizes past the upper bounds are positioned errors at the value', () => {
  const units = model('{ "type": "dense", "units": 1e9 }');
  assert.deepEqual(problems(units), [
    { message: 'layers[0].units: expected an integer of at most 65536, got 1e9', offset: units.indexOf('1e9'), length: 3 },
  ]);
  const filters = model(
    '{ "type": "conv2d", "filters": 1e4, "kernelSize": 3 }, { "type": "flatten" }, { "type": "dense", "units": 10 }',
  );
  assert.deepEqual(problems(filters), [
    { message: 'layers[0].filters: expected an integer of at most 4096, got 1e4', offset: filters.indexOf('1e4'), length: 3 },
  ]);
  const kernel = model(
    '{ "type": "conv2d", "filters": 8, "kernelSize": 1000, "padding": "same" }, { "type": "flatten" }, { "type": "dense", "units": 10 }',
  );
  assert.deepEqual(problems(kernel), [
    { message: 'layers[0].kernelSize: expected an integer of at most 255, got 1000', offset: kernel.indexOf('1000'), length: 4 },
  ]);
  // The lower bound keeps its own message.
  assert.equal(
    problems(model('{ "type": "dense", "units": -3 }'))[0].message,
    'layers[0].units: expected a positive integer, got -3',
  );
});

test('nesting 6000 deep is one positioned error, not a stack overflow', () => {
  const deep = `{ "data": ${'['.repeat(6000)}${']'.repeat(6000)}, "layers": [] }`;
  assert.deepEqual(problems(deep), [
    {
      message: 'the file nests objects and arrays more than 64 levels deep; a model file needs four',
      offset: 10 + 63,
      length: 1,
    },
  ]);
  // Also when the file has syntax errors (the jsonc-parser path).
  const broken = `{ "data": ${'{"a":'.repeat(6000)} `;
  assert.equal(
    problems(broken)[0].message,
    'the file nests objects and arrays more than 64 levels deep; a model file needs four',
  );
});

test('a UTF-8 byte-order mark is accepted and ranges stay where they were', () => {
  const text = `\ufeff${model('{ "type": "dense", "units": 0 }')}`;
  assert.deepEqual(problems(text), [
    { message: 'layers[0].units: expected a positive integer, got 0', offset: text.indexOf('0 }'), length: 1 },
  ]);
  assert.ok(parseModel(`\ufeff${model('{ "type": "dense", "units": 10 }')}`).spec);
});

test('echoed values are clipped and long keys get no suggestion search', () => {
  const key = 'u'.repeat(1_000_000);
  const text = model(`{ "type": "dense", "${key}": 3, "units": 10 }`);
  const [p] = parseModel(text).problems;
  assert.equal(
    p.message,
    `layers[0].${'u'.repeat(59)}…: unknown field "${'u'.repeat(59)}…" (1000000 characters); expected one of "units", "activation"`,
  );
  assert.deepEqual(p.range, { offset: text.indexOf(`"${key.slice(0, 5)}`), length: key.length + 2 });
  assert.equal(closest('x'.repeat(65), ['x']), undefined);
  assert.equal(closest('untis', ['units', 'activation']), 'units');
  const long = parseModel(model('{ "type": "dense", "units": 10 }', JSON.stringify(`a/${'b'.repeat(30_000_000)}.csv`))).problems;
  assert.equal(long.length, 1);
  assert.equal(long[0].message, 'data.source: the path is 30,000,006 characters long; a path has at most 4096');
  const value = parseModel(model(`{ "type": ${JSON.stringify('d'.repeat(500))} }`)).problems[0].message;
  assert.ok(value.length < 300, value);
});

function strip(n: Node | undefined): unknown {
  if (!n) return undefined;
  return {
    type: n.type,
    offset: n.offset,
    length: n.length,
    value: n.value,
    colonOffset: n.colonOffset,
    children: n.children?.map(strip),
  };
}

test("the fast tree is exactly jsonc-parser's tree for valid files, and declines invalid ones", () => {
  fc.assert(
    fc.property(
      fc.jsonValue({ maxDepth: 6 }),
      fc.boolean(),
      fc.constantFrom(' ', '\n  ', ' /* c */ ', ' // c\n'),
      (v, trailing, ws) => {
        let text = JSON.stringify(v, null, 1)?.replace(/\n/g, ws) ?? 'null';
        if (trailing) text = text.replace(/(\S)(\s*)([}\]])/, (m, a, b, c) => (a === '{' || a === '[' ? m : `${a},${b}${c}`));
        const errors: unknown[] = [];
        const expected = parseTree(text, errors as never, { allowTrailingComma: true, disallowComments: false });
        const fast = fastParseTree(text, 1000);
        if (errors.length) assert.equal(fast, null, text);
        else assert.deepEqual(strip(fast?.root), strip(expected), text);
      },
    ),
    { seed: 7, numRuns: 300 },
  );
  for (const bad of ['{', '{"a":}', '[1,,2]', '{"a" 1}', '[01]', '[1.]', '["\u0001"]', 'tru', '{} {}', '/* x', '[1] 2']) {
    assert.equal(fastParseTree(bad, 64), null, bad);
  }
});
