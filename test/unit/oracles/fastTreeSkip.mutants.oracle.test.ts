// fastTree.ts's skip(): a '/' that opens no comment is left in place, so the builder declines the
// text, as jsonc-parser (the independent oracle) reports an error there; a later "*/" must not turn
// it into a block comment. The expected answers are jsonc-parser's error counts and, for the texts it
// accepts, its tree.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseTree, type ParseError } from 'jsonc-parser';
import { fastParseTree } from '../../../src/model/fastTree';

const options = { allowTrailingComma: true, disallowComments: false };
function errors(text: string): number {
  const e: ParseError[] = [];
  parseTree(text, e, options);
  return e.length;
}

test('a lone "/" before a later "*/" is no comment: declined, as jsonc-parser reports an error', () => {
  for (const text of ['[1, / 2 */ 3]', '{"a": 1 /x*/ }', '[1 /- 2 */]', '/ [1] */ [2]']) {
    assert.ok(errors(text) > 0, `jsonc-parser accepts ${text}`);
    assert.equal(fastParseTree(text, 64), null, text);
  }
  // The same texts with the comment opened properly are read, and the block is skipped.
  const ok = fastParseTree('[1, /* 2 */ 3]', 64);
  assert.equal(errors('[1, /* 2 */ 3]'), 0);
  assert.deepEqual(
    ok?.root?.children?.map((c) => [c.offset, c.value]),
    [
      [1, 1],
      [12, 3],
    ],
  );
});
