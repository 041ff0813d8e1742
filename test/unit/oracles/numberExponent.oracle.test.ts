// num() in webview/format.ts writes '-' as a real minus sign. When it replaced only the first one,
// that was a negative number's sign but a small positive number's exponent sign, so the panel
// showed 9.99e−4 beside −9.99e-4. The same magnitude must read the same apart from its sign.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { num } from '../../../webview/format';

test('num: a small number writes its exponent sign the same way whether the number is positive or negative', () => {
  assert.equal(num(0.000999), num(-0.000999).slice(1));
  assert.equal(num(1.5e-7), num(-1.5e-7).slice(1));
});
