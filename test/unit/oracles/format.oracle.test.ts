// The panel's number formatting (webview/format.ts) and the terminal's problem positions
// (src/model/format.ts), against values written out by hand.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { num, pct, term } from '../../../webview/format';
import { formatProblem, offsetToLineCol } from '../../../src/model/format';

test('num: three significant digits, exponent outside [1e-3, 1e4), a real minus sign, words for the special values', () => {
  assert.equal(num(null), '–');
  assert.equal(num(undefined), '–');
  assert.equal(num(NaN), 'NaN');
  assert.equal(num(Infinity), '∞');
  assert.equal(num(-Infinity), '−∞');
  assert.equal(num(0), '0');
  assert.equal(num(-0), '0');
  assert.equal(num(0.5), '0.500');
  assert.equal(num(-0.5), '−0.500');
  assert.equal(num(12.345), '12.3');
  assert.equal(num(1234.5), '1.23e+3', 'below 1e4 toPrecision still switches to an exponent past 3 digits');
  assert.equal(num(9999), '1.00e+4');
  assert.equal(num(10000), '1.00e+4');
  assert.equal(num(-12345), '−1.23e+4');
  assert.equal(num(0.001), '0.00100', '1e-3 itself is fixed');
  assert.equal(
    num(-0.00012345),
    '−1.23e−4',
    'every minus, the exponent sign too, is a real minus (the same as for a positive number)',
  );
  assert.equal(num(0.123456, 5), '0.12346');
  assert.equal(num(123456, 2), '1.2e+5');
  assert.equal(num(2, 1), '2');
  // With more digits than toPrecision would switch at, the 1e4 threshold itself decides.
  assert.equal(num(12345, 5), '1.2345e+4');
  assert.equal(num(10000, 5), '1.0000e+4', '1e4 itself is written with an exponent');
  assert.equal(num(9999.5, 5), '9999.5');
});

test('term: a negative number in a formula is parenthesised, a positive one or zero is not', () => {
  assert.equal(term(0.25), '0.250');
  assert.equal(term(-0.25), '(−0.250)');
  assert.equal(term(0), '0');
  assert.equal(term(-1e-5), '(−1.00e−5)');
  assert.equal(term(-0.123456, 2), '(−0.12)');
});

test('pct: one decimal of a percentage, a dash for anything not finite', () => {
  assert.equal(pct(0.1234), '12.3%');
  assert.equal(pct(1), '100.0%');
  assert.equal(pct(0), '0.0%');
  assert.equal(pct(-0.05), '-5.0%');
  assert.equal(pct(null), '–');
  assert.equal(pct(undefined), '–');
  assert.equal(pct(NaN), '–');
  assert.equal(pct(Infinity), '–');
});

test('problem positions: 1-based line and column, counted over newlines only', () => {
  const text = 'ab\ncde\n\nfg';
  assert.deepEqual(offsetToLineCol(text, 0), { line: 1, col: 1 });
  assert.deepEqual(offsetToLineCol(text, 2), { line: 1, col: 3 });
  assert.deepEqual(offsetToLineCol(text, 3), { line: 2, col: 1 });
  assert.deepEqual(offsetToLineCol(text, 5), { line: 2, col: 3 });
  assert.deepEqual(offsetToLineCol(text, 7), { line: 3, col: 1 });
  assert.deepEqual(offsetToLineCol(text, 8), { line: 4, col: 1 });
  assert.deepEqual(offsetToLineCol(text, 9), { line: 4, col: 2 });
  assert.deepEqual(offsetToLineCol('a\rb', 2), { line: 1, col: 3 }, 'a carriage return alone is not a line break');
  // An offset past the end stays on the last line, the column keeps counting.
  assert.deepEqual(offsetToLineCol('ab\nc', 10), { line: 2, col: 8 });
  const p = { severity: 'error', message: 'units must be a positive integer', range: { offset: 5, length: 2 } };
  assert.equal(
    formatProblem('m.gradlens.json', text, p as Parameters<typeof formatProblem>[2]),
    'm.gradlens.json:2:3: error: units must be a positive integer',
  );
});
