// Mutation-oriented oracles for src/engine/trainer.ts (issue 14). Every expected value is computed a
// second way: counts of steps, epochs and examples by arithmetic, each epoch's order from the Rng's
// own permutation of the shuffle stream, losses, predictions and updated weights from the float64
// reference (reference.ts), the epoch's training time from a fake clock this file advances itself.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Trainer } from '../../../src/engine/trainer';
import { Rng } from '../../../src/engine/random';
import { deriveSeed, Streams } from '../../../src/engine/seeds';
import type { Dataset } from '../../../src/data/dataset';
import { batchGradients, close, meanGradient, mlpSpec, optimizer, refState, referenceStep, separable } from './reference';

/** Epoch e's order of n examples, straight from the Rng of the shuffle stream. */
function order(seed: number, n: number, epoch: number): number[] {
  return Array.from(new Rng(deriveSeed(seed, Streams.shuffle, epoch)).permutation(n));
}

const data10 = separable(10, 4, 3, 5);

test('counts: 10 examples in batches of 4 over 2 epochs are steps of 4, 4, 2 per epoch, every field by arithmetic', () => {
  const spec = mlpSpec({ batchSize: 4, epochs: 2, seed: 3 });
  const t = new Trainer({ spec, train: data10, validation: null, stats: 'none' });
  assert.equal(t.stepsPerEpoch, 3);
  assert.equal(t.totalSteps, 6);
  assert.equal(t.step, 0);
  assert.equal(t.epoch, 1);
  assert.equal(t.done(), false);
  assert.equal(t.epochJustEnded(), false);
  const sizes = [4, 4, 2, 4, 4, 2];
  const expected = [order(3, 10, 1), order(3, 10, 2)];
  let seen = 0;
  for (let s = 1; s <= 6; s++) {
    const st = t.trainStep();
    const epoch = s <= 3 ? 1 : 2;
    const b = (s - 1) % 3;
    seen += sizes[s - 1];
    assert.equal(st.step, s);
    assert.equal(st.epoch, epoch);
    assert.equal(st.batchInEpoch, b);
    assert.equal(st.batchSize, sizes[s - 1]);
    assert.equal(st.examplesSeen, seen);
    assert.deepEqual(st.exampleIndices, expected[epoch - 1].slice(4 * b, 4 * b + sizes[s - 1]));
    assert.deepEqual(t.lastBatchInputs().indices, st.exampleIndices);
    assert.deepEqual(t.currentBatch(), st.exampleIndices);
    assert.equal(t.step, s);
    assert.equal(t.epoch, epoch, `epoch after step ${s}`);
    assert.equal(t.epochJustEnded(), s === 3 || s === 6, `epochJustEnded after step ${s}`);
    assert.equal(t.done(), s === 6);
    assert.equal(t.batchInput().length, sizes[s - 1] * 4);
    assert.equal(t.activation(1).length, sizes[s - 1] * 3);
    assert.equal(t.activation(0).length, sizes[s - 1] * 6);
  }
  assert.notDeepEqual(expected[0], expected[1]);
  assert.throws(() => t.trainStep(), /^Error: training is finished: all 6 steps of 2 epochs are done$/);
  assert.throws(() => t.stepPhases().next(), /training is finished: all 6 steps of 2 epochs are done/);
});

test('a batch larger than the data is the whole set: one step an epoch', () => {
  const spec = mlpSpec({ batchSize: 64, epochs: 3, seed: 9 });
  const t = new Trainer({ spec, train: data10, validation: null, stats: 'none' });
  assert.equal(t.stepsPerEpoch, 1);
  assert.equal(t.totalSteps, 3);
  for (let e = 1; e <= 3; e++) {
    const st = t.trainStep();
    assert.equal(st.batchSize, 10);
    assert.equal(st.epoch, e);
    assert.equal(t.epoch, e);
    assert.deepEqual(st.exampleIndices, order(9, 10, e));
  }
});

test('two Adam steps match the float64 reference: loss, per-example rows, accuracy, weights; a new γ applies from the next update', () => {
  const spec = mlpSpec({ batchSize: 4, epochs: 1, seed: 3, optimizer: optimizer({ type: 'adam', learningRate: 0.01 }) });
  const t = new Trainer({ spec, train: data10, validation: null, stats: 'none' });
  let weights = t.getWeights();
  const states = new Map(weights.map((w) => [w.name, refState(w.value.length)]));
  for (let s = 1; s <= 2; s++) {
    const gamma = s === 1 ? 0.01 : 0.03;
    if (s === 2) {
      t.setLearningRate(gamma);
      assert.equal(t.learningRate, 0.03);
    }
    const indices = order(3, 10, 1).slice(4 * (s - 1), 4 * s);
    const ex = batchGradients(spec, weights, data10, indices);
    const st = t.trainStep();
    assert.equal(st.learningRate, gamma);
    close(st.loss, ex.reduce((a, e) => a + e.loss, 0) / 4, 1e-12, `loss of step ${s}`);
    st.perExampleLoss.forEach((l, i) => close(l, ex[i].loss, 1e-12, `per-example loss ${i}`));
    assert.deepEqual(
      st.labels,
      indices.map((k) => data10.y[k]),
    );
    assert.deepEqual(
      st.predictions,
      ex.map((e) => e.prediction),
    );
    const correct = indices.filter((k, i) => ex[i].prediction === data10.y[k]).length;
    assert.equal(st.accuracy, correct / 4);
    const o = { ...spec.optimizer, learningRate: gamma };
    const expected = weights.map((w) => ({
      ...w,
      value: referenceStep(o, states.get(w.name)!, s, w.kind === 'weight', w.value, meanGradient(ex, w.name)),
    }));
    const after = t.getWeights();
    after.forEach((w, i) => w.value.forEach((v, j) => close(v, expected[i].value[j], 1e-9, `${w.name}[${j}] after step ${s}`)));
    weights = after;
  }
  assert.throws(() => t.setLearningRate(-0.1), /^Error: the learning rate must be a finite number ≥ 0, got -0.1$/);
  assert.throws(() => t.setLearningRate(Number.NaN), /got NaN/);
  assert.throws(() => t.setLearningRate(Infinity), /got Infinity/);
  t.setLearningRate(0);
  assert.equal(t.learningRate, 0);
});

/**
 * Runs `body` with performance.now replaced by a clock that moves 1 ms at every reading (the work
 * between two readings) and by `jump` ms when the test says so (time spent while suspended).
 */
function withClock(body: (jump: (ms: number) => void) => void): void {
  const perf = globalThis.performance;
  const own = Object.getOwnPropertyDescriptor(perf, 'now');
  let t = 1_000_000;
  Object.defineProperty(perf, 'now', {
    configurable: true,
    writable: true,
    value: () => {
      t += 1;
      return t;
    },
  });
  try {
    body((ms) => {
      t += ms;
    });
  } finally {
    if (own) Object.defineProperty(perf, 'now', own);
    else delete (perf as { now?: unknown }).now;
  }
}

test('epoch seconds: the time inside steps only, none of the time suspended, restarted at each epoch', () => {
  // One step of a 2-layer model reads the clock in 6 intervals it counts: start → batch-start,
  // forward, each layer's backward (2), the statistics, the update → end; each is 1 ms of fake work.
  const spec = mlpSpec({ batchSize: 4, epochs: 2, seed: 3 });
  withClock((jump) => {
    const t = new Trainer({ spec, train: data10, validation: null, stats: 'none' });
    assert.equal(t.evaluate().seconds, 0);
    const phases = t.stepPhases();
    const kinds: string[] = [];
    for (let r = phases.next(); !r.done; r = phases.next()) {
      kinds.push(`${r.value.kind}:${r.value.step}:${r.value.epoch}${r.value.layer === undefined ? '' : `:${r.value.layer}`}`);
      jump(1000); // a user looking at the step: not training time
    }
    assert.deepEqual(kinds, [
      'batch-start:1:1',
      'forward-done:1:1',
      'layer-backward:1:1:1',
      'layer-backward:1:1:0',
      'before-update:1:1',
      'after-update:1:1',
    ]);
    close(t.evaluate().seconds, 0.006, 1e-9, 'seconds after one observed step');
    t.trainStep();
    t.trainStep();
    close(t.evaluate().seconds, 0.018, 1e-9, 'seconds of epoch 1');
    jump(5000); // between steps: not counted either
    t.trainStep();
    close(t.evaluate().seconds, 0.006, 1e-9, 'seconds of epoch 2 after its first step');
  });
});

test('evaluate: loss and accuracy over the whole sets by the reference; no validation (or an empty one) is null', () => {
  const spec = mlpSpec({ batchSize: 4, epochs: 1, seed: 3 });
  const validation = separable(7, 4, 3, 8);
  const t = new Trainer({ spec, train: data10, validation, stats: 'none' });
  t.trainStep();
  const w = t.getWeights();
  const all = (d: Dataset) => Array.from({ length: d.count }, (_, i) => i);
  const tr = batchGradients(spec, w, data10, all(data10));
  const va = batchGradients(spec, w, validation, all(validation));
  const e = t.evaluate();
  assert.equal(e.epoch, 1);
  assert.equal(e.step, 1);
  close(e.trainLoss, tr.reduce((a, x) => a + x.loss, 0) / 10, 1e-12, 'train loss');
  assert.equal(e.trainAccuracy, tr.filter((x, i) => x.prediction === data10.y[i]).length / 10);
  close(e.validationLoss!, va.reduce((a, x) => a + x.loss, 0) / 7, 1e-12, 'validation loss');
  assert.equal(e.validationAccuracy, va.filter((x, i) => x.prediction === validation.y[i]).length / 7);
  const empty: Dataset = { ...validation, count: 0, x: new Float32Array(0), y: new Int32Array(0) };
  for (const v of [null, empty]) {
    const u = new Trainer({ spec, train: data10, validation: v, stats: 'none' });
    const r = u.evaluate();
    assert.equal(r.validationLoss, null);
    assert.equal(r.validationAccuracy, null);
    assert.equal(r.epoch, 1);
    assert.equal(r.step, 0);
  }
});

test('per-example reads: before any step they refuse; after one, gᵢ of each entry is the reference; bounds are exact', () => {
  const spec = mlpSpec({ batchSize: 4, epochs: 1, seed: 3 });
  const t = new Trainer({ spec, train: data10, validation: null, stats: 'none' });
  assert.equal(t.currentOutputs(), null);
  assert.equal(t.pendingStats(), null);
  assert.throws(
    () => t.perExampleGradient({ layer: 0, kind: 'bias', index: 0 }),
    /^Error: no training step has run yet, so there are no per-example gradients$/,
  );
  assert.throws(() => t.perExampleGradients(1, 'weight'), /no training step has run yet/);
  const w = t.getWeights();
  const indices = order(3, 10, 1).slice(0, 4);
  const ex = batchGradients(spec, w, data10, indices);
  const st = t.trainStep();
  const out = t.currentOutputs()!;
  assert.deepEqual(out.labels, st.labels);
  assert.equal(out.loss, st.loss);
  close(out.loss, ex.reduce((a, e) => a + e.loss, 0) / 4, 1e-12, 'currentOutputs loss');
  // layers[0].weight is 4×6 (24 entries), layers[1].bias 3: the last index is in, the next is out.
  const g = t.perExampleGradient({ layer: 0, kind: 'weight', index: 23 });
  g.forEach((v, i) => close(v, ex[i].grads.get('layers[0].weight')![23], 1e-9, `g${i}[23]`));
  const b = t.perExampleGradient({ layer: 1, kind: 'bias', index: 2 });
  b.forEach((v, i) => close(v, ex[i].grads.get('layers[1].bias')![2], 1e-9, `g${i} bias[2]`));
  const rows = t.perExampleGradients(1, 'bias');
  assert.equal(rows.length, 4 * 3);
  rows.forEach((v, k) => close(v, ex[Math.floor(k / 3)].grads.get('layers[1].bias')![k % 3], 1e-9, `row ${k}`));
  assert.throws(
    () => t.perExampleGradient({ layer: 0, kind: 'weight', index: 24 }),
    /^Error: layers\[0\]\.weight has 24 entries; index 24 is out of range$/,
  );
  assert.throws(
    () => t.perExampleGradient({ layer: 1, kind: 'bias', index: 3 }),
    /^Error: layers\[1\]\.bias has 3 entries; index 3 is out of range$/,
  );
  assert.throws(() => t.perExampleGradient({ layer: 1, kind: 'bias', index: -1 }), /index -1 is out of range/);
  assert.throws(() => t.perExampleGradient({ layer: 1, kind: 'bias', index: 0.5 }), /index 0.5 is out of range/);
  assert.equal(t.perExampleGradient({ layer: 1, kind: 'bias', index: 0 }).length, 4);
  assert.throws(() => t.activation(2), /^Error: the model has 2 layers; layers\[2\] does not exist$/);
  assert.throws(() => t.parameter(5, 'weight'), /^Error: layers\[5\] has no parameters \(layers with parameters: 0, 1\)$/);
  // gradient, parameter, lastUpdate pick the asked tensor: SGD at γ = 0.1 without momentum, Δθ = −γ·ḡ.
  const gb = meanGradient(ex, 'layers[1].bias');
  t.gradient(1, 'bias').forEach((v, j) => close(v, gb[j], 1e-9, `ḡ bias[${j}]`));
  t.lastUpdate(1, 'bias').forEach((v, j) => close(v, -0.1 * gb[j], 1e-9, `Δθ bias[${j}]`));
  t.parameter(1, 'bias').forEach((v, j) => close(v, w[3].value[j] - 0.1 * gb[j], 1e-9, `θ bias[${j}]`));
  assert.equal(t.gradient(0, 'weight').length, 24);
  assert.equal(t.parameter(0, 'weight').length, 24);
  assert.equal(t.lastUpdate(0, 'weight').length, 24);
  assert.equal(t.optimizerState(0, 'weight').second, null);
});

test('a model without parameters says so: "none"', () => {
  const spec = mlpSpec({ layers: [{ type: 'flatten' }], batchSize: 2 });
  const d = separable(4, 3, 3, 2);
  const t = new Trainer({ spec, train: d, validation: null, stats: 'none' });
  assert.throws(() => t.parameter(0, 'weight'), /^Error: layers\[0\] has no parameters \(layers with parameters: none\)$/);
});
