// deadFraction's dense path (one position a unit: a column walked down to its first nonzero), on
// cases whose answer is known by hand, and on random ReLU outputs against the plain definition
// (a unit is dead when its output is 0 for every example) counted here a second way, by rows.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { deadFraction } from '../../../src/engine/stats';
import { Rng } from '../../../src/engine/random';

test('dense dead units by hand: zeros, −0, a NaN, a last-example-only output, m = 0', () => {
  // 3 examples × 4 units; unit 0 dead, unit 1 alive only in the last example, unit 2 −0 and 0
  // (dead: −0 is 0), unit 3 NaN in the middle example (alive: NaN is not 0)
  const y = new Float32Array([0, 0, -0, 0, 0, 0, 0, NaN, 0, 2, 0, 0]);
  assert.equal(deadFraction(y, 3, 4, 1), 2 / 4);
  // only the first two examples: unit 1 is dead there too
  assert.equal(deadFraction(y, 2, 4, 1), 3 / 4);
  // no example: nothing is ever alive
  assert.equal(deadFraction(y, 0, 4, 1), 1);
  // the rows beyond m are not read (the buffer is sized for the largest batch)
  const big = new Float32Array(5 * 4).fill(1);
  big.fill(0, 0, 8);
  assert.equal(deadFraction(big, 2, 4, 1), 1);
  assert.equal(deadFraction(big, 3, 4, 1), 0);
});

test('dense dead units on random ReLU outputs match the definition counted by rows', () => {
  const rng = new Rng(7);
  for (const [m, units, pDead, pZero] of [
    [32, 128, 0.2, 0.5],
    [1, 10, 0.3, 0.6],
    [7, 3, 0.5, 0.9],
  ]) {
    const y = new Float32Array(m * units);
    const deadUnit = Array.from({ length: units }, () => rng.next() < pDead);
    for (let i = 0; i < m; i++)
      for (let u = 0; u < units; u++) y[i * units + u] = deadUnit[u] || rng.next() < pZero ? 0 : rng.next() + 1e-3;
    // by rows: a unit is alive once any example's output is not 0
    const alive = new Array<boolean>(units).fill(false);
    for (let i = 0; i < m; i++) for (let u = 0; u < units; u++) if (y[i * units + u] !== 0) alive[u] = true;
    const expected = alive.filter((a) => !a).length / units;
    assert.equal(deadFraction(y, m, units, 1), expected, `m ${m}, ${units} units`);
  }
});
