import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileBreakpoint, parseHitCondition } from '../../../src/debug/breakpoints';
import type { ModelLines } from '../../../src/debug/lines';

const lines: ModelLines = {
  layers: [
    { first: 3, last: 3 },
    { first: 4, last: 6 },
  ],
  loss: { first: 8, last: 8 },
  optimizer: { first: 9, last: 9 },
  batchSize: 10,
  epochs: 11,
};

test('hit counts: a bare number breaks from that hit on; ==, >, <, <=, % as written', () => {
  const hits = (text: string): number[] => {
    const f = parseHitCondition(text);
    assert.equal(typeof f, 'function', String(f));
    return [1, 2, 3, 4, 5, 6].filter(f as (n: number) => boolean);
  };
  assert.deepEqual(hits('3'), [3, 4, 5, 6]);
  assert.deepEqual(hits('>= 3'), [3, 4, 5, 6]);
  assert.deepEqual(hits('==3'), [3]);
  assert.deepEqual(hits('> 3'), [4, 5, 6]);
  assert.deepEqual(hits('< 3'), [1, 2]);
  assert.deepEqual(hits('<= 3'), [1, 2, 3]);
  assert.deepEqual(hits('% 2'), [2, 4, 6]);
  assert.match(parseHitCondition('% 0') as string, /never/);
  assert.match(parseHitCondition('3x') as string, /not a hit count/);
});

test('a breakpoint inside a multi-line layer is moved to its first line; conditions may use tensors', () => {
  const bp = compileBreakpoint(1, { line: 5, condition: 'norm(G) > 1 && step % 10 == 0' }, lines);
  assert.equal(bp.verified, true);
  assert.equal(bp.line, 4);
  assert.deepEqual(bp.target, { kind: 'layer-backward', layer: 1 });
  assert.equal(compileBreakpoint(2, { line: 9 }, lines).target?.kind, 'before-update');
  const bad = compileBreakpoint(3, { line: 3, condition: 'step >> 2' }, lines);
  assert.equal(bad.verified, false);
  assert.match(bad.message!, /^Condition: expected a value, got ">" \(column 7\)$/);
});
