// The recursion-free pre-pass over a model file (src/model/syntax.ts): whether it has any token,
// and the offset of the first bracket that nests too deep, counted by hand in each text.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { SYNTAX_MESSAGES, scanStructure } from '../../../src/model/syntax';

test('scanStructure: only whitespace and comments is empty; any other token is not', () => {
  assert.deepEqual(scanStructure('', 4), { empty: true, tooDeep: null });
  assert.deepEqual(scanStructure('  \n\t// line\n/* block */ \r\n', 4), { empty: true, tooDeep: null });
  assert.deepEqual(scanStructure(' 1 ', 4), { empty: false, tooDeep: null });
  assert.deepEqual(scanStructure('}', 4), { empty: false, tooDeep: null });
});

test('scanStructure: the first bracket or brace past the limit, at its offset; closing ones go back up', () => {
  //                         0123456
  assert.deepEqual(scanStructure('[{"a":[1]}]', 2), { empty: false, tooDeep: { offset: 6, length: 1 } });
  assert.deepEqual(scanStructure('[{"a":[1]}]', 3), { empty: false, tooDeep: null }, 'exactly the limit is fine');
  assert.deepEqual(scanStructure('[][][]{}{}', 1), { empty: false, tooDeep: null }, 'siblings do not add up');
  assert.deepEqual(scanStructure('[[]][[]]', 2), { empty: false, tooDeep: null });
  assert.deepEqual(
    scanStructure('{ /* { [ */ "a": 1 }', 1),
    { empty: false, tooDeep: null },
    'brackets in comments do not count',
  );
  assert.deepEqual(scanStructure('"[[[["', 1), { empty: false, tooDeep: null }, 'nor brackets in strings');
  // Stray closing brackets do not bank depth: the two opening ones after them still count from 0.
  assert.deepEqual(scanStructure(']][[', 1), { empty: false, tooDeep: { offset: 3, length: 1 } });
  assert.deepEqual(scanStructure('}}{{', 1), { empty: false, tooDeep: { offset: 3, length: 1 } });
});

test('every syntax message is a lower-case phrase (it follows "line:col: error: ")', () => {
  assert.equal(Object.keys(SYNTAX_MESSAGES).length, 16);
  assert.equal(SYNTAX_MESSAGES.CommaExpected, 'expected a comma');
  for (const [k, v] of Object.entries(SYNTAX_MESSAGES)) assert.match(v, /^[a-z]/, k);
});
