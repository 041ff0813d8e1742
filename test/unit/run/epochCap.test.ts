// The epoch rows' cap, worked out by hand: past the cap every other row of the older half goes,
// the first and newest rows stay, a repeated epoch replaces its row, and the cap is never below 4.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { appendEpoch } from '../../../src/run/reducer';
import type { EpochStats } from '../../../src/engine/types';

const row = (epoch: number, trainLoss = epoch / 10): EpochStats => ({
  epoch,
  step: epoch * 10,
  trainLoss,
  trainAccuracy: 0.5,
  validationLoss: null,
  validationAccuracy: null,
  seconds: epoch,
});

function fill(count: number, capacity: number): EpochStats[] {
  const rows: EpochStats[] = [];
  for (let e = 1; e <= count; e++) appendEpoch(rows, row(e), capacity);
  return rows;
}
const epochsOf = (rows: EpochStats[]) => rows.map((r) => r.epoch);

test('up to the cap every row is kept; one past it the older half is thinned to every other row', () => {
  assert.deepEqual(epochsOf(fill(10, 10)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  // 11 rows: the older half [1..5] keeps 1, 3, 5; the newer [6..11] stays whole.
  assert.deepEqual(epochsOf(fill(11, 10)), [1, 3, 5, 6, 7, 8, 9, 10, 11]);
});

test('the cap is the capacity rounded down, and never less than 4 rows', () => {
  assert.deepEqual(epochsOf(fill(5, 5)), [1, 2, 3, 4, 5]);
  assert.deepEqual(epochsOf(fill(5, 4.9)), [1, 3, 4, 5]);
  assert.deepEqual(epochsOf(fill(4, 1)), [1, 2, 3, 4]);
  assert.deepEqual(epochsOf(fill(5, 1)), [1, 3, 4, 5]);
});

test('a repeated epoch replaces its own row (it moves to the end) and does not count twice', () => {
  const rows = fill(4, 10);
  appendEpoch(rows, row(2, 0.99), 10);
  assert.deepEqual(epochsOf(rows), [1, 3, 4, 2]);
  assert.equal(rows[3].trainLoss, 0.99);
  assert.equal(rows.filter((r) => r.epoch === 2).length, 1);
});

test('after 10,000 epochs the rows stay within the cap, the first and the newest kept', () => {
  const rows = fill(10_000, 256);
  assert.ok(rows.length <= 256, `${rows.length} rows`);
  assert.ok(rows.length > 128, `${rows.length} rows`);
  assert.equal(rows[0].epoch, 1);
  assert.equal(rows[rows.length - 1].epoch, 10_000);
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i].epoch > rows[i - 1].epoch);
});
