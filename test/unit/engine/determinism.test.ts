import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Trainer } from '../../../src/engine/trainer';
import { conv, dense, makeSpec, optimizer, randomDataset } from './helpers';

function lossSequence(seed: number, dtype: 'float32' | 'float64'): number[] {
  const spec = makeSpec(
    [conv(2, 3, 1, 'same', 'relu'), { type: 'maxpool2d', poolSize: 2, stride: 2 }, { type: 'flatten' }, dense(3)],
    { seed, dtype, batchSize: 3, epochs: 2, optimizer: optimizer({ type: 'adam', learningRate: 0.01 }) },
  );
  const trainer = new Trainer({ spec, train: randomDataset(4, 10, [1, 6, 6], 3), validation: null });
  const losses: number[] = [];
  while (!trainer.done()) losses.push(trainer.trainStep().loss);
  return losses;
}

test('same spec and seed give bit-identical losses; another seed differs', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    const a = lossSequence(7, dtype),
      b = lossSequence(7, dtype),
      c = lossSequence(8, dtype);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  }
});

test('batches: seeded shuffle per epoch, last partial batch kept, every example once per epoch', () => {
  const spec = makeSpec([dense(3)], { batchSize: 4, epochs: 2 });
  const trainer = new Trainer({ spec, train: randomDataset(1, 10, [2], 3), validation: null });
  assert.equal(trainer.stepsPerEpoch, 3);
  assert.equal(trainer.totalSteps, 6);
  const epochs: number[][] = [[], []];
  const sizes: number[] = [];
  const ended: boolean[] = [];
  while (!trainer.done()) {
    const s = trainer.trainStep();
    sizes.push(s.batchSize);
    epochs[s.epoch - 1].push(...s.exampleIndices);
    ended.push(trainer.epochJustEnded());
    assert.equal(trainer.epoch, s.epoch);
  }
  assert.deepEqual(sizes, [4, 4, 2, 4, 4, 2]);
  assert.deepEqual(ended, [false, false, true, false, false, true]);
  for (const e of epochs)
    assert.deepEqual(
      [...e].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
  assert.notDeepEqual(epochs[0], epochs[1]);
  assert.throws(() => trainer.trainStep(), /training is finished/);
});

test('batchSize ≥ N is full batch: one step per epoch with all examples', () => {
  const spec = makeSpec([dense(3)], { batchSize: 1000, epochs: 1 });
  const trainer = new Trainer({ spec, train: randomDataset(1, 7, [2], 3), validation: null });
  assert.equal(trainer.stepsPerEpoch, 1);
  assert.equal(trainer.trainStep().batchSize, 7);
});
