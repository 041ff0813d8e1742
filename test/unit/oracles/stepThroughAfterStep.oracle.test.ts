// The step-through after a Step must replay the batch that step trained at the weights it was
// trained at, θ BEFORE its update: the lesson is "these gradients, averaged, made this update".
// Checked through the worker's loop (which chooses the weights) against the float64 reference
// at the seed's initial weights and the seed's first batch.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mlpSpec, optimizer, separable } from './reference';
import { checkReplay, seedStart, selections, startLoop, stepCount } from './replay';

for (const [label, opt] of [
  ['plain SGD', optimizer({ learningRate: 0.5 })],
  ['momentum 0.9', optimizer({ learningRate: 0.5, momentum: 0.9 })],
] as const) {
  test(`step-through after Step replays the batch just trained at its PRE-update weights (worker loop, ${label})`, async () => {
    const spec = mlpSpec({ batchSize: 5, epochs: 3, optimizer: opt });
    const train = separable(20, 4, 3, 91);
    // What the loop's run starts from: the seed's weights and the seed's first batch.
    const { initial, firstBatch } = seedStart(spec, train);
    const loop = startLoop(spec, train);
    try {
      await loop.until(() => loop.events.some((e) => e.type === 'status' && e.status.state === 'paused'), 'pause at start');
      await loop.request({ type: 'step' });
      await loop.until(() => stepCount(loop.events) === 1, 'first step');
      for (const sel of selections(spec, initial, train, firstBatch)) {
        const result = await loop.walkthrough(sel);
        assert.deepEqual(result.selection, sel);
        checkReplay(result, spec, train, initial, firstBatch, sel, `after Step, ${label}, ${sel.kind} ${sel.layer}/${sel.index}`);
      }
    } finally {
      loop.close();
    }
  });
}
