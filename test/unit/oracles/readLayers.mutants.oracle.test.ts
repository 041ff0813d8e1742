// readTree.ts's readLayers and readLayer (lines 145–192) on their own: what the `layers` value is
// instead of an array, an empty array, an element that is no object, an empty key, and where a
// full problem list stops the walk. Every message and count is written out by hand from the text.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseTree, type Node } from 'jsonc-parser';
import { readObject } from '../../../src/model/readTree';
import { Collector } from '../../../src/model/problems';
import { ROOT_DEF } from '../../../src/model/fields';

const tree = (text: string): Node => {
  const root = parseTree(text, [], { allowTrailingComma: true });
  assert.ok(root, text);
  return root;
};
/** The root read against ROOT_DEF, with its messages (each `@` the text of its range). */
function read(text: string, cap = Infinity): { values: Record<string, unknown>; problems: string[]; unchecked: number } {
  const out = new Collector(text, cap);
  const values = readObject(tree(text), ROOT_DEF, '', out);
  const problems = out.problems.map((p) => `${p.message} @${text.slice(p.range.offset, p.range.offset + p.range.length)}`);
  return { values, problems, unchecked: out.uncheckedLayers };
}
const DATA = '"data": { "source": "x.csv" }';

test('"layers" that is not an array, or an empty one: one problem at the value, no layers', () => {
  assert.deepEqual(read(`{ ${DATA}, "layers": 3 }`), {
    values: { data: { source: 'x.csv' } },
    problems: ['layers: expected an array of layers [ { "type": … }, … ], got 3 @3'],
    unchecked: 0,
  });
  assert.deepEqual(read(`{ ${DATA}, "layers": { "type": "flatten" } }`).problems, [
    'layers: expected an array of layers [ { "type": … }, … ], got an object @{ "type": "flatten" }',
  ]);
  assert.deepEqual(read(`{ ${DATA}, "layers": [ ] }`), {
    values: { data: { source: 'x.csv' } },
    problems: ['layers: expected at least one layer @[ ]'],
    unchecked: 0,
  });
});

test('an element that is not an object is named as such, the others are read', () => {
  assert.deepEqual(read(`{ ${DATA}, "layers": [ 5, { "type": "flatten" }, "relu" ] }`), {
    values: { data: { source: 'x.csv' }, layers: [{ type: 'flatten' }] },
    problems: [
      'layers[0]: expected a layer object { "type": … }, got 5 @5',
      'layers[2]: expected a layer object { "type": … }, got "relu" @"relu"',
    ],
    unchecked: 0,
  });
});

test('an empty key in a layer is an unknown field like any other (only "type" is skipped)', () => {
  assert.deepEqual(read(`{ ${DATA}, "layers": [ { "type": "flatten", "": 1 } ] }`).problems, [
    'layers[0].: unknown field ""; expected no field other than "type" @""',
  ]);
});

test('a full problem list stops the walk: the layers after it are counted, not read', () => {
  // Cap 1: the list is full once it holds 2 problems. Layers 0 and 1 give one each (units 0), so
  // layers 2, 3 and 4 are left unread (3 of them), whatever they hold.
  const bad = '{ "type": "dense", "units": 0 }';
  const text = `{ ${DATA}, "layers": [ ${bad}, ${bad}, ${bad}, ${bad}, { "type": "dense" } ] }`;
  const r = read(text, 1);
  assert.deepEqual(r.problems, [
    'layers[0].units: expected a positive integer, got 0 @0',
    'layers[1].units: expected a positive integer, got 0 @0',
  ]);
  assert.equal(r.unchecked, 3);
  // Without a cap every layer is read: five problems, none unread.
  const all = read(text);
  assert.equal(all.problems.length, 5);
  assert.equal(all.unchecked, 0);
});
