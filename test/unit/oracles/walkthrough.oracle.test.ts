// The step-through replays one batch example by example. Its numbers are checked against the
// float64 reference at the weights the batch was really trained at: θ BEFORE that batch's update.
// At the engine level (walkThroughBatch given weights) and through the worker's training loop
// (Step, then step through the batch just shown), where the weights are the loop's choice.

import { test } from 'node:test';
import { Trainer, referenceBackend } from '../../../src/engine';
import { walkThroughBatch } from '../../../src/engine/walkthrough';
import { mlpSpec, optimizer, separable } from './reference';
import { checkReplay, seedStart, selections, startLoop } from './replay';

test('step-through (engine): every replayed number equals the float64 reference at the weights it is given', () => {
  const spec = mlpSpec({ batchSize: 6, optimizer: optimizer({ learningRate: 0.25, momentum: 0.9 }) });
  const train = separable(18, 4, 3, 81);
  const trainer = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64') });
  trainer.trainStep();
  const weights = trainer.getWeights();
  const indices = [3, 17, 0, 9, 11];
  for (const sel of selections(spec, weights, train, indices)) {
    const result = walkThroughBatch({ spec, train, indices, weights, selection: sel });
    checkReplay(result, spec, train, weights, indices, sel, `${sel.kind} ${sel.layer}/${sel.index}`);
  }
});

test('step-through before any step replays the first batch at the initial weights (worker loop)', async () => {
  const spec = mlpSpec({ batchSize: 4, epochs: 2 });
  const train = separable(16, 4, 3, 93);
  const { initial, firstBatch } = seedStart(spec, train);
  const loop = startLoop(spec, train);
  try {
    await loop.until(() => loop.events.some((e) => e.type === 'status' && e.status.state === 'paused'), 'pause at start');
    const sel = selections(spec, initial, train, firstBatch)[0];
    checkReplay(await loop.walkthrough(sel), spec, train, initial, firstBatch, sel, 'before any step');
  } finally {
    loop.close();
  }
});
