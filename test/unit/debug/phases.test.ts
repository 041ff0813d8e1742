import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Trainer, type PhasePoint } from '../../../src/engine/trainer';
import { dense, makeSpec, optimizer, randomDataset } from '../engine/helpers';

function pair(layers = [dense(6, 'relu'), { type: 'relu' as const }, dense(3)], over = {}) {
  const spec = makeSpec(layers, {
    batchSize: 5,
    epochs: 2,
    dtype: 'float32',
    optimizer: optimizer({ type: 'adam', learningRate: 0.01 }),
    ...over,
  });
  const train = randomDataset(3, 23, [4], 3);
  return [new Trainer({ spec, train, validation: null }), new Trainer({ spec, train, validation: null })];
}

function drain(t: Trainer): { points: PhasePoint[]; stats: ReturnType<Trainer['trainStep']> } {
  const points: PhasePoint[] = [];
  const gen = t.stepPhases();
  for (;;) {
    const r = gen.next();
    if (r.done) return { points, stats: r.value };
    points.push(r.value);
  }
}

test('draining stepPhases is bit-identical to trainStep, step after step', () => {
  const [a, b] = pair();
  while (!a.done()) {
    const expected = a.trainStep();
    const { stats } = drain(b);
    assert.deepEqual(stats, expected);
    for (const w of a.getWeights()) {
      assert.deepEqual(b.parameter(w.layer, w.kind), a.parameter(w.layer, w.kind), `${w.name} after step ${expected.step}`);
    }
  }
  assert.ok(b.done());
  assert.deepEqual(b.evaluate().trainLoss, a.evaluate().trainLoss);
});

test('stop points come in order: batch-start, forward-done, each layer from the output down, before- and after-update', () => {
  const spec = makeSpec([dense(6, 'relu'), { type: 'relu' }, dense(3)], { batchSize: 5, epochs: 1 });
  const t2 = new Trainer({ spec, train: randomDataset(3, 10, [4], 3), validation: null });
  const { points } = drain(t2);
  assert.deepEqual(
    points.map((p) => (p.layer === undefined ? p.kind : `${p.kind}(${p.layer})`)),
    [
      'batch-start',
      'forward-done',
      'layer-backward(2)',
      'layer-backward(1)',
      'layer-backward(0)',
      'before-update',
      'after-update',
    ],
  );
  assert.ok(points.every((p) => p.step === 1 && p.epoch === 1));
  assert.equal(t2.step, 1);
});

test('mid-step the trainer shows the batch in progress; weights change only after before-update', () => {
  const [t] = pair();
  const gen = t.stepPhases();
  assert.equal((gen.next().value as PhasePoint).kind, 'batch-start');
  assert.equal(t.currentBatch().length, 5);
  assert.equal(t.currentOutputs(), null, 'no forward pass yet');
  assert.equal((gen.next().value as PhasePoint).kind, 'forward-done');
  const out = t.currentOutputs()!;
  assert.equal(out.perExampleLoss.length, 5);
  let p = gen.next();
  while (!p.done && p.value.kind !== 'before-update') p = gen.next();
  const before = Array.from(t.parameter(0, 'weight'));
  assert.equal(t.pendingStats()!.layers.length, 2);
  assert.equal(t.perExampleGradients(0, 'weight').length, 5 * 4 * 6, 'per-example gradients are ready before the update');
  assert.equal((gen.next().value as PhasePoint).kind, 'after-update');
  assert.notDeepEqual(Array.from(t.parameter(0, 'weight')), before);
  assert.equal(t.step, 1);
});

test('setLearningRate applies from the next update on', () => {
  const [a, b] = pair(undefined, { optimizer: optimizer({ learningRate: 0.1 }) });
  a.trainStep();
  b.trainStep();
  b.setLearningRate(0);
  const w = Array.from(b.parameter(0, 'weight'));
  const s = b.trainStep();
  assert.equal(s.learningRate, 0);
  assert.deepEqual(Array.from(b.parameter(0, 'weight')), w, 'γ = 0 leaves the weights as they were');
  assert.throws(() => b.setLearningRate(NaN), /finite/);
  assert.equal(a.learningRate, 0.1);
});
