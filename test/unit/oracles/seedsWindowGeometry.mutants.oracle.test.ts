// src/engine/seeds.ts (deriveSeed, the stream numbers) and src/engine/backend.ts (windowGeometry):
// the seeds against a Python reimplementation of the same hash (Math.imul as (a·b) mod 2³²),
// the geometries worked out by hand with TensorFlow's same/valid rule.
//
// Python, for the expected seeds:
//   M = 0xffffffff; imul = lambda a, b: (a * b) & M
//   def derive(seed, stream, index=0):
//       h = (seed & M) ^ imul(stream + 1, 0x9e3779b1) ^ imul(index + 1, 0x85ebca77)
//       h = imul(h ^ (h >> 16), 0x7feb352d); h = imul(h ^ (h >> 15), 0x846ca68b)
//       return (h ^ (h >> 16)) & M

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { deriveSeed, Streams } from '../../../src/engine/seeds';
import { windowGeometry } from '../../../src/engine/backend';

test('deriveSeed gives the values of the Python reimplementation (index 0 by default, negative seeds as unsigned)', () => {
  const cases: [number, number, number | undefined, number][] = [
    [0, 1, undefined, 706246470],
    [0, 1, 0, 706246470],
    [42, 2, undefined, 87854997],
    [42, 2, 7, 1722938937],
    [42, 3, 1, 1693091566],
    [4294967295, 1, 3, 272307493],
    [-1, 2, 0, 3496390763],
    [123456789, 1, 2, 2571766334],
    [7, 0, 0, 1501023627],
    [7, 0, 1, 3183492346],
  ];
  for (const [seed, stream, index, want] of cases) {
    const got = index === undefined ? deriveSeed(seed, stream) : deriveSeed(seed, stream, index);
    assert.equal(got, want, `deriveSeed(${seed}, ${stream}, ${index})`);
  }
});

test('the stream numbers stay what saved runs were derived with', () => {
  assert.deepEqual({ ...Streams }, { init: 1, shuffle: 2, gradCheck: 3 });
});

test('windowGeometry: the input sizes, the window, and the same/valid output sizes and paddings (by hand)', () => {
  // [2, 5, 4], k 3, stride 2, same: out ⌈5/2⌉ = 3, ⌈4/2⌉ = 2; pad rows 2·2 + 3 − 5 = 2 → 1 before, columns 1·2 + 3 − 4 = 1 → 0
  assert.deepEqual(windowGeometry([2, 5, 4], 3, 2, 'same'), {
    channels: 2,
    height: 5,
    width: 4,
    kernel: 3,
    stride: 2,
    padTop: 1,
    padLeft: 0,
    outH: 3,
    outW: 2,
  });
  // [3, 7, 9], k 3, stride 1, same: pad 2 each way, 1 before
  assert.deepEqual(windowGeometry([3, 7, 9], 3, 1, 'same'), {
    channels: 3,
    height: 7,
    width: 9,
    kernel: 3,
    stride: 1,
    padTop: 1,
    padLeft: 1,
    outH: 7,
    outW: 9,
  });
  // [1, 6, 8], k 2, stride 2, valid: out ⌊4/2⌋ + 1 = 3, ⌊6/2⌋ + 1 = 4
  assert.deepEqual(windowGeometry([1, 6, 8], 2, 2, 'valid'), {
    channels: 1,
    height: 6,
    width: 8,
    kernel: 2,
    stride: 2,
    padTop: 0,
    padLeft: 0,
    outH: 3,
    outW: 4,
  });
});
