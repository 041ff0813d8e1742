// The parser's problem list and echo rules (src/model/problems.ts) and the range of a JSON path
// (src/model/locate.ts), against offsets and strings counted by hand in the texts below.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Collector, ECHO_CHARS, clip, quoted, rangeOf } from '../../../src/model/problems';
import { valueRange } from '../../../src/model/locate';

test('Collector: the path starts the message, an empty path adds nothing, errors and warnings told apart', () => {
  const c = new Collector('{}');
  assert.equal(c.text, '{}');
  assert.equal(c.hasErrors, false);
  c.add('layers[0].units', 'must be positive', { offset: 3, length: 2 }, 'warning');
  assert.equal(c.hasErrors, false, 'a warning is not an error');
  c.add('', 'the file is empty', { offset: 0, length: 0 });
  assert.equal(c.hasErrors, true, 'the default severity is error');
  assert.deepEqual(c.problems, [
    {
      path: 'layers[0].units',
      message: 'layers[0].units: must be positive',
      range: { offset: 3, length: 2 },
      severity: 'warning',
    },
    { path: '', message: 'the file is empty', range: { offset: 0, length: 0 }, severity: 'error' },
  ]);
  assert.deepEqual(rangeOf({ offset: 4, length: 9, type: 'string' } as never), { offset: 4, length: 9 });
});

test('clip: at most the limit, with an ellipsis in the last place when cut', () => {
  assert.equal(ECHO_CHARS, 60);
  assert.equal(clip('abcdef', 6), 'abcdef', 'exactly the limit is kept whole');
  assert.equal(clip('abcdefg', 6), 'abcde…');
  assert.equal(clip('x'.repeat(60)), 'x'.repeat(60));
  assert.equal(clip('x'.repeat(61)), 'x'.repeat(59) + '…');
});

test('quoted: JSON-escaped; past the limit cut to 59 characters inside the quotes, with the length', () => {
  assert.equal(quoted('a"b'), '"a\\"b"');
  assert.equal(quoted('y'.repeat(60)), `"${'y'.repeat(60)}"`);
  assert.equal(quoted('y'.repeat(61)), `"${'y'.repeat(59)}…" (61 characters)`);
  assert.equal(quoted('\n'.repeat(70)), `"${'\\n'.repeat(59)}…" (70 characters)`);
});

test('valueRange: the value at a path, else a 1-character mark at its nearest parent, else the start', () => {
  //            0123456789012345678901234567890123
  const text = '{"data": {"source": "a.csv"}, "x": [1, 22]}';
  assert.deepEqual(valueRange(text, ['data', 'source']), { offset: 20, length: 7 });
  assert.deepEqual(valueRange(text, ['x', 1]), { offset: 39, length: 2 });
  assert.deepEqual(valueRange(text, ['data', 'missing']), { offset: 9, length: 1 }, 'the parent object, one character');
  assert.deepEqual(valueRange(text, ['nope', 'deeper']), { offset: 0, length: 1 }, 'the root');
  assert.deepEqual(valueRange(text, []), { offset: 0, length: text.length }, 'the empty path is the whole document');
  assert.deepEqual(valueRange('', ['a']), { offset: 0, length: 0 }, 'no document at all');
  // Comments and trailing commas are accepted, as in the editor.
  const jsonc = '{ // c\n "a": 5, }';
  assert.deepEqual(valueRange(jsonc, ['a']), { offset: 13, length: 1 });
});
