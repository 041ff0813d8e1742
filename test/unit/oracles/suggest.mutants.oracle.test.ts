// "Did you mean …?" (src/model/suggest.ts): edit distances worked out by hand (insertions,
// deletions, substitutions, one adjacent swap counted as one edit, and the optimal-string-alignment
// rule that a swapped pair is not edited again), and the closeness rule at each of its boundaries.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { MAX_SUGGEST_CHARS, closest, editDistance } from '../../../src/model/suggest';

test('editDistance: hand-counted edits', () => {
  const cases: [string, string, number][] = [
    ['', '', 0],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['dense', 'dense', 0],
    ['kitten', 'sitting', 3], // k→s, e→i, +g
    ['flaw', 'lawn', 2], // −f, +n
    ['ab', 'ba', 1], // one swap
    ['abcd', 'acbd', 1], // a swap in the middle
    ['abcd', 'badc', 2], // two swaps
    ['ca', 'abc', 3], // OSA: the swapped pair is not edited again (true Damerau would say 2)
    ['A', 'a', 1], // case counts here; closest() lowercases first
    ['relu', 'tanh', 4],
    ['sigmoid', 'sigmod', 1],
    ['abc', 'axc', 1],
    ['abc', 'abx', 1],
    ['xbc', 'abc', 1],
  ];
  for (const [a, b, d] of cases) {
    assert.equal(editDistance(a, b), d, `${a} → ${b}`);
    assert.equal(editDistance(b, a), d, `${b} → ${a}`);
  }
});

test('closest: within max(1, ⌊max(len, 3)/3⌋) edits, the first of equally close candidates, in its own spelling', () => {
  assert.equal(closest('dens', ['flatten', 'dense']), 'dense');
  assert.equal(closest('DENSE', ['dense']), 'dense', 'compared without case, returned as the candidate is written');
  assert.equal(closest('dense', ['Dense']), 'Dense');
  assert.equal(closest('cat', ['bat', 'hat']), 'bat', 'a tie keeps the first');
  assert.equal(closest('cat', ['dog', 'hat', 'bat']), 'hat', 'the closest, not the first');
  assert.equal(closest('ab', ['xb']), 'xb', 'short words still allow one edit');
  assert.equal(closest('ab', ['xy']), undefined);
  assert.equal(closest('abcde', ['abcdx']), 'abcdx', 'five letters: one edit');
  assert.equal(closest('abcde', ['abcxy']), undefined, 'five letters: not two');
  assert.equal(closest('abcdef', ['abcdxy']), 'abcdxy', 'six letters: two edits');
  assert.equal(closest('abcdef', ['abcxyz']), undefined, 'six letters: not three');
  assert.equal(closest('abcdefghi', ['abcdefxyz']), 'abcdefxyz', 'nine letters: three edits');
  assert.equal(closest('abc', []), undefined);
  const long = 'a'.repeat(MAX_SUGGEST_CHARS);
  assert.equal(MAX_SUGGEST_CHARS, 64);
  assert.equal(closest(long, [long]), long, 'a word of exactly the limit is compared');
  assert.equal(closest(long + 'a', [long + 'a']), undefined, 'a longer one is not');
});
