// quickParse.ts's scan (lines 60–149), the cases its mutation run left standing: each expected
// result is worked out by hand from the text (what the text is once each comment and trailing comma
// is replaced by as many spaces, and whether that is JSON), never read back from quickParse.

import test from 'node:test';
import assert from 'node:assert/strict';
import { quickParse } from '../../../src/model/quickParse';

const HEAD = '{ "data": { "source": "mnist" }, "layers": [ { "type": "flatten" }, { "type": "dense", "units": 10 } ]';

test('a comment is blanked with spaces, so it still separates the tokens on either side of it: "1/*c*/2" is two numbers', () => {
  // Blanked: `"epochs": 1     2` (not JSON). Were the comment dropped, `12` would be one number.
  assert.equal(quickParse(`${HEAD}, "epochs": 1/*c*/2 }`, 64), 'syntax');
  assert.equal(quickParse(`${HEAD}, "epochs": 1//c\n2 }`, 64), 'syntax');
  // `tru e` is not a keyword either.
  assert.equal(quickParse(`${HEAD}, "x": tru/**/e }`, 64), 'syntax');
  // Two comments: each keeps its place (the second one too).
  assert.equal(quickParse(`/* a */ ${HEAD}, "epochs": 1/*c*/2 }`, 64), 'syntax');
  // The same texts with a comma where the comment was are JSON: the blanking does not hide a real value.
  const r = quickParse(`${HEAD}, "epochs": 1/*c*/ }`, 64);
  assert.ok(r && typeof r === 'object' && 'values' in r);
  assert.equal(r.values.epochs, 1);
});
