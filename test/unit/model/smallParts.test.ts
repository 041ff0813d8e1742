// The model's small helpers, each against values worked out by hand: edit distances counted on
// paper, "did you mean" thresholds at their edges, clipped echoes, JSON-path ranges in a written text.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { closest, editDistance, MAX_SUGGEST_CHARS } from '../../../src/model/suggest';
import { clip, quoted, Collector, ECHO_CHARS, rangeOf } from '../../../src/model/problems';
import { valueRange } from '../../../src/model/locate';
import { formatProblem } from '../../../src/model/format';
import { scanStructure } from '../../../src/model/syntax';

test('editDistance counts insertions, deletions, substitutions and adjacent swaps (hand-counted)', () => {
  assert.equal(editDistance('', ''), 0);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('abcd', ''), 4);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('flaw', 'lawn'), 2);
  // One adjacent transposition costs 1 (plain Levenshtein would say 2).
  assert.equal(editDistance('ab', 'ba'), 1);
  assert.equal(editDistance('dnese', 'dense'), 1);
  assert.equal(editDistance('abcdef', 'abdcef'), 1);
  // Optimal string alignment: "ca" → "abc" is 3 (no edit of a swapped pair).
  assert.equal(editDistance('ca', 'abc'), 3);
  // A swap needs the two letters to cross: "ab" vs "ca" is not a swap.
  assert.equal(editDistance('ab', 'ca'), 2);
  assert.equal(editDistance('abc', 'abc'), 0);
  assert.equal(editDistance('a', 'b'), 1);
  assert.equal(editDistance('abc', 'abd'), 1);
  assert.equal(editDistance('xabc', 'abc'), 1);
  assert.equal(editDistance('abc', 'abcx'), 1);
  // Case counts as a difference here (closest lowers both sides itself).
  assert.equal(editDistance('A', 'a'), 1);
});

test('closest suggests within max(1, floor(max(len, 3) / 3)) edits, case-insensitively, the first of ties', () => {
  const c = ['dense', 'conv2d', 'flatten', 'relu'];
  assert.equal(closest('dnse', c), 'dense');
  assert.equal(closest('DENSE', c), 'dense');
  assert.equal(closest('Dense', ['DENSE']), 'DENSE');
  // "xyz": length 3 → 1 edit allowed. "xya" is 1 from "xyz"... of the candidates.
  assert.equal(closest('ab', ['abc']), 'abc'); // len 2 → max(2,3)=3 → 1 allowed
  assert.equal(closest('a', ['abc']), undefined); // 2 edits > 1
  assert.equal(closest('abcdef', ['abcdxy']), 'abcdxy'); // len 6 → 2 allowed, distance 2
  assert.equal(closest('abcdef', ['abcxyz']), undefined); // distance 3 > 2
  assert.equal(closest('abcde', ['abcxy']), undefined); // len 5 → floor(5/3)=1, distance 2
  assert.equal(closest('abcdefghi', ['abcdefxyz']), 'abcdefxyz'); // len 9 → 3 allowed
  // Ties: the first candidate at the best distance wins, a later equal one does not replace it.
  assert.equal(closest('abx', ['aby', 'abz']), 'aby');
  assert.equal(closest('abx', ['qqq', 'abz', 'aby']), 'abz');
  // A better later candidate replaces an earlier one.
  assert.equal(closest('abc', ['abd', 'abc']), 'abc');
  assert.equal(closest('anything', []), undefined);
  // Exactly the length limit is still compared; one more is not.
  const long = 'a'.repeat(MAX_SUGGEST_CHARS);
  assert.equal(closest(long, [long]), long);
  assert.equal(closest(`${long}a`, [`${long}a`]), undefined);
});

test('clip cuts to max characters with an ellipsis, and leaves exactly max untouched', () => {
  assert.equal(clip('abcdef', 6), 'abcdef');
  assert.equal(clip('abcdefg', 6), 'abcde…');
  assert.equal(clip('abcdefg', 6).length, 6);
  assert.equal(clip('x'.repeat(ECHO_CHARS)), 'x'.repeat(ECHO_CHARS));
  assert.equal(clip('x'.repeat(ECHO_CHARS + 1)), `${'x'.repeat(ECHO_CHARS - 1)}…`);
  assert.equal(ECHO_CHARS, 60);
});

test('quoted JSON-escapes, and a long string shows its first 59 characters and its length', () => {
  assert.equal(quoted('a"b'), '"a\\"b"');
  assert.equal(quoted('x'.repeat(60)), `"${'x'.repeat(60)}"`);
  assert.equal(quoted('x'.repeat(61)), `"${'x'.repeat(59)}…" (61 characters)`);
  assert.equal(quoted(`"${'y'.repeat(70)}`), `"\\"${'y'.repeat(58)}…" (71 characters)`);
});

test('Collector prefixes the path, keeps severity, and hasErrors ignores warnings', () => {
  const c = new Collector('text');
  assert.equal(c.text, 'text');
  assert.equal(c.hasErrors, false);
  c.add('layers[0]', 'a warning', { offset: 1, length: 2 }, 'warning');
  assert.equal(c.hasErrors, false);
  c.add('', 'bare', { offset: 3, length: 4 });
  assert.equal(c.hasErrors, true);
  assert.deepEqual(c.problems, [
    { path: 'layers[0]', message: 'layers[0]: a warning', range: { offset: 1, length: 2 }, severity: 'warning' },
    { path: '', message: 'bare', range: { offset: 3, length: 4 }, severity: 'error' },
  ]);
  assert.deepEqual(rangeOf({ offset: 5, length: 7, type: 'string' } as never), { offset: 5, length: 7 });
});

test('valueRange finds a value by path, else one character at its nearest parent, else the start', () => {
  const text = '{\n  // c\n  "data": { "source": "x.csv", },\n  "layers": [ { "units": 10 } ]\n}';
  const src = text.indexOf('"x.csv"');
  assert.deepEqual(valueRange(text, ['data', 'source']), { offset: src, length: 7 });
  const units = text.indexOf('10');
  assert.deepEqual(valueRange(text, ['layers', 0, 'units']), { offset: units, length: 2 });
  // Missing leaf: its parent object, one character (the brace).
  const dataObj = text.indexOf('{ "source"');
  assert.deepEqual(valueRange(text, ['data', 'nope']), { offset: dataObj, length: 1 });
  assert.deepEqual(valueRange(text, ['layers', 3, 'units']), { offset: text.indexOf('[ {'), length: 1 });
  // Nothing on the path: the root object.
  assert.deepEqual(valueRange(text, ['zzz']), { offset: 0, length: 1 });
  assert.deepEqual(valueRange(text, []), { offset: 0, length: text.length });
  assert.deepEqual(valueRange('', ['a']), { offset: 0, length: 0 });
});

test('formatProblem prints file:line:col: severity: message, 1-based', () => {
  const text = 'ab\ncd\nef';
  const p = { path: 'x', message: 'x: bad', range: { offset: 4, length: 1 }, severity: 'warning' as const };
  assert.equal(formatProblem('m.json', text, p), 'm.json:2:2: warning: x: bad');
  assert.equal(
    formatProblem('m.json', text, { ...p, range: { offset: 0, length: 0 }, severity: 'error' }),
    'm.json:1:1: error: x: bad',
  );
});

test('scanStructure: empty for whitespace and comments only, and the first bracket past the limit', () => {
  assert.deepEqual(scanStructure('', 2), { empty: true, tooDeep: null });
  assert.deepEqual(scanStructure(' \n// c\n/* b */\t', 2), { empty: true, tooDeep: null });
  assert.deepEqual(scanStructure('1', 2), { empty: false, tooDeep: null });
  assert.deepEqual(scanStructure('[[]]', 2), { empty: false, tooDeep: null });
  assert.deepEqual(scanStructure('[{[]}]', 2), { empty: false, tooDeep: { offset: 2, length: 1 } });
  assert.deepEqual(scanStructure('{"a":[ {} ]}', 2), { empty: false, tooDeep: { offset: 7, length: 1 } });
  // Closing brackets lower the depth: siblings never add up.
  assert.deepEqual(scanStructure('[[],[],[]]', 2), { empty: false, tooDeep: null });
  assert.deepEqual(scanStructure('[{}]', 2), { empty: false, tooDeep: null });
  // Extra closers do not go negative (which would let a later deep nest pass).
  assert.deepEqual(scanStructure(']]]][[[', 2), { empty: false, tooDeep: { offset: 6, length: 1 } });
  // A comment between brackets is skipped, a lone line break too.
  assert.deepEqual(scanStructure('[\n// [\n[ /* [ */ [', 2), { empty: false, tooDeep: { offset: 17, length: 1 } });
});
