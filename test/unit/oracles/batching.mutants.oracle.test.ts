// The batch schedule (src/engine/batching.ts): the batch size and the number of steps of an epoch by
// hand, the ranges (the last batch keeps the remainder), each epoch a permutation of its own, and the
// first batch a run trains on (what the trainer's first step really takes).

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { BatchSchedule, firstBatchIndices } from '../../../src/engine/batching';
import { Trainer } from '../../../src/engine/trainer';
import { dense, makeSpec, randomDataset } from '../engine/helpers';

test('batch size min(requested, N) but at least 1, ⌈N / B⌉ steps, the last batch keeping N mod B', () => {
  // [N, requested, B, steps, ranges]
  const cases: [number, number, number, number, [number, number][]][] = [
    [
      10,
      4,
      4,
      3,
      [
        [0, 4],
        [4, 8],
        [8, 10],
      ],
    ],
    [
      10,
      5,
      5,
      2,
      [
        [0, 5],
        [5, 10],
      ],
    ],
    [10, 10, 10, 1, [[0, 10]]],
    [10, 32, 10, 1, [[0, 10]]],
    [
      3,
      0,
      1,
      3,
      [
        [0, 1],
        [1, 2],
        [2, 3],
      ],
    ],
    [
      7,
      6,
      6,
      2,
      [
        [0, 6],
        [6, 7],
      ],
    ],
  ];
  for (const [n, requested, b, steps, ranges] of cases) {
    const s = new BatchSchedule(5, n, requested);
    const what = `N ${n}, requested ${requested}`;
    assert.equal(s.batchSize, b, what);
    assert.equal(s.stepsPerEpoch, steps, what);
    assert.deepEqual(
      ranges.map((_, i) => s.range(i)),
      ranges,
      what,
    );
  }
});

test('each epoch is a permutation of the whole set, its own, and the same whenever it is asked for', () => {
  const s = new BatchSchedule(5, 20, 4);
  const [e1, e2] = [s.permutation(1), s.permutation(2)];
  for (const p of [e1, e2])
    assert.deepEqual(
      Array.from(p).sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i),
    );
  assert.notDeepEqual(Array.from(e1), Array.from(e2));
  assert.deepEqual(Array.from(new BatchSchedule(5, 20, 7).permutation(2)), Array.from(e2));
  assert.notDeepEqual(Array.from(new BatchSchedule(6, 20, 4).permutation(1)), Array.from(e1));
});

test("firstBatchIndices is the batch the trainer's first step takes", () => {
  for (const [n, batchSize] of [
    [9, 4],
    [5, 8],
  ]) {
    const spec = makeSpec([dense(2)], { batchSize, seed: 13 });
    const trainer = new Trainer({ spec, train: randomDataset(1, n, [3], 2), validation: null });
    assert.deepEqual(firstBatchIndices(13, n, batchSize), trainer.trainStep().exampleIndices);
  }
});
