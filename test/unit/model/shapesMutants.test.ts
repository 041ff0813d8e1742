// Survivors of a mutation run over shapes.ts and shapeCheck.ts, each killed by a value worked out
// by hand here (not read off the code under test).

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { window2d, layerOutputShape } from '../../../src/model/shapes';
import { checkShapes } from '../../../src/model/shapeCheck';
import type { ParsedModel } from '../../../src/model/parse';
import { makeSpec } from '../specs';

test("same padding on a width that needs padding at a stride > 1: the left pad counts the stride's full steps", () => {
  // Height 8, kernel 3, stride 2: out ceil(8/2) = 4, pad 3·2 + 3 − 8 = 1 → top 0.
  // Width 7: out ceil(7/2) = 4, pad 3·2 + 3 − 7 = 2 → left 1 (half of it, floored).
  assert.deepEqual(window2d(8, 7, 3, 2, 'same'), { top: 0, left: 1, outH: 4, outW: 4 });
  // Width 11, kernel 5, stride 3: out 4, pad 3·3 + 5 − 11 = 3 → left 1; height 9: out 3, pad 2·3 + 5 − 9 = 2 → top 1.
  assert.deepEqual(window2d(9, 11, 5, 3, 'same'), { top: 1, left: 1, outH: 3, outW: 4 });
  // The output shape does not depend on the pad, only on ceil(size / stride).
  const conv = { type: 'conv2d', filters: 3, kernelSize: 3, stride: 2, padding: 'same', activation: 'linear' } as const;
  assert.deepEqual(layerOutputShape(conv, [1, 8, 7], true), { ok: true, shape: [3, 4, 4] });
});

test('checkShapes on a parsed model without layer ranges points at the start of the file (zero length)', () => {
  // A model parsed elsewhere (the ranges are not known): the problem is still placed, at offset 0.
  const spec = makeSpec([{ type: 'dense', units: 4, activation: 'linear' }]);
  const parsed: ParsedModel = { spec, problems: [], layerRanges: [], layerLineRanges: [] };
  const problems = checkShapes(parsed, '', { inputShape: [3], numClasses: 5 });
  assert.deepEqual(problems, [
    {
      path: 'layers[0]',
      message: 'layers[0]: the last layer has 4 units but the data has 5 classes',
      range: { offset: 0, length: 0 },
      severity: 'error',
    },
  ]);
});
