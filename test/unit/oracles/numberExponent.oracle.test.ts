// num() in webview/format.ts turns the first '-' into a real minus sign. For a negative number
// that is the leading sign; for a positive number below 1e-3 it is the exponent's, so the panel
// shows 9.99e−4 beside −9.99e-4. The same magnitude must read the same apart from its sign.
//
// Kept out of the mutation run's test files while it fails: Stryker needs a green initial run.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { num } from '../../../webview/format';

test('num: a small number writes its exponent sign the same way whether the number is positive or negative', () => {
  assert.equal(num(0.000999), num(-0.000999).slice(1));
  assert.equal(num(1.5e-7), num(-1.5e-7).slice(1));
});
