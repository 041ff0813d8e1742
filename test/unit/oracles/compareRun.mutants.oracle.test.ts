// One run of the batch-size comparison, field by field, each against a value found another way:
// the checkpoints against a separate trainer evaluated by the float64 reference forward pass, the
// smoothed loss against its formula written out, the memory against a hand count of the
// activations, the thinning against the arithmetic of 1 500 points, a diverged run against what
// it must then not report.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Trainer, referenceBackend } from '../../../src/engine';
import { compareBatchSizes, MAX_COMPARE_POINTS } from '../../../src/engine/compare';
import { batchGradients, close, mlpSpec, optimizer, separable } from './reference';

const train = separable(24, 4, 3, 61);
const validation = separable(10, 4, 3, 97);
const spec = mlpSpec({ seed: 5, optimizer: optimizer({ learningRate: 0.2 }) });

/** Mean validation loss and accuracy at the weights a fresh trainer of `m` reaches after `steps` updates, by the reference. */
function referenceValidation(m: number, steps: number): { loss: number; accuracy: number } {
  const t = new Trainer({
    spec: { ...spec, batchSize: m, epochs: 10 },
    train,
    validation: null,
    backend: referenceBackend('float64'),
  });
  for (let i = 0; i < steps; i++) t.trainStep();
  const all = Array.from({ length: validation.count }, (_, i) => i);
  const ex = batchGradients(spec, t.getWeights(), validation, all);
  return {
    loss: ex.reduce((s, e) => s + e.loss, 0) / ex.length,
    accuracy: ex.filter((e, i) => e.prediction === validation.y[i]).length / ex.length,
  };
}

test('checkpoints: 12 shared ones at every round(examples/12) examples, each the validation set at those weights', () => {
  const r = compareBatchSizes({ spec, train, validation, batchSizes: [1, 4], examples: 24, rateMode: 'file', now: () => 0 });
  for (const run of r.runs) {
    const m = run.batchSize;
    // every = round(24/12) = 2 examples: M = 1 checks after every second update, M = 4 after each.
    const seen = m === 1 ? [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24] : [4, 8, 12, 16, 20, 24];
    assert.deepEqual(
      run.checkpoints.map((c) => [c.examplesSeen, c.updates, c.time]),
      seen.map((s) => [s, s / m, 0]),
      `M = ${m}`,
    );
    for (const c of run.checkpoints) {
      const ref = referenceValidation(m, c.updates);
      close(c.validationLoss, ref.loss, 1e-10, `M = ${m} checkpoint at ${c.examplesSeen}: validation loss`);
      assert.equal(c.validationAccuracy, ref.accuracy, `M = ${m} checkpoint at ${c.examplesSeen}: accuracy`);
    }
    const last = run.checkpoints[run.checkpoints.length - 1];
    assert.deepEqual(run.validation, { loss: last.validationLoss, accuracy: last.validationAccuracy });
  }
});

test('a run that ends between checkpoints still gets one at its end', () => {
  // M = 1 over 25 examples: every = round(25/12) = 2, so checkpoints at 2, 4, …, 24, and one at the end, 25.
  const r = compareBatchSizes({ spec, train, validation, batchSizes: [1], examples: 25, rateMode: 'file', now: () => 0 });
  const run = r.runs[0];
  assert.deepEqual(
    run.checkpoints.map((c) => c.examplesSeen),
    [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 25],
  );
  const last = run.checkpoints[run.checkpoints.length - 1];
  close(last.validationLoss, referenceValidation(1, 25).loss, 1e-10, 'the end checkpoint');
});

test('the smoothed loss is the exponential average over about 200 examples seen, written out', () => {
  const r = compareBatchSizes({
    spec,
    train,
    validation: null,
    batchSizes: [1, 6],
    examples: 48,
    rateMode: 'file',
    now: () => 0,
  });
  for (const run of r.runs) {
    let smooth = NaN,
      seen = 0;
    for (const p of run.points) {
      const step = p.examplesSeen - seen;
      seen = p.examplesSeen;
      smooth = Number.isNaN(smooth) ? p.loss : smooth + (1 - Math.exp(-step / 200)) * (p.loss - smooth);
      close(p.smoothedLoss, smooth, 1e-12, `M = ${run.batchSize} at ${p.examplesSeen}`);
    }
    assert.notEqual(run.points[run.points.length - 1].smoothedLoss, run.points[run.points.length - 1].loss);
  }
});

test('activation memory: 2 · M · (inputs + every layer output) · bytes per value', () => {
  // 4 inputs, 6 hidden, 3 outputs = 13 values per example, kept with their gradients.
  for (const [dtype, bytes] of [
    ['float64', 8],
    ['float32', 4],
  ] as const) {
    const r = compareBatchSizes({
      spec: { ...spec, dtype },
      train,
      batchSizes: [1, 3],
      examples: 6,
      rateMode: 'file',
      now: () => 0,
    });
    assert.deepEqual(
      r.runs.map((x) => x.activationBytes),
      [2 * 1 * 13 * bytes, 2 * 3 * 13 * bytes],
      dtype,
    );
  }
});

test("the run's momentum, speed and a too-short run's σ say what was used and why a value is missing", () => {
  const adam = compareBatchSizes({
    spec: mlpSpec({ optimizer: optimizer({ type: 'adam', learningRate: 0.01 }) }),
    train,
    batchSizes: [2],
    examples: 4,
    rateMode: 'file',
    now: () => 0,
  }).runs[0];
  assert.equal(adam.momentum, 0, 'Adam has no SGD momentum');
  assert.ok(Number.isNaN(adam.examplesPerSecond), 'no measured time, no speed');
  assert.equal(adam.stepLossSigma, null);
  assert.equal(adam.notApplicable.stepLossSigma, 'it needs at least 3 updates; this run made 2');
  let t = 0;
  const timed = compareBatchSizes({ spec, train, batchSizes: [4], examples: 24, rateMode: 'file', now: () => (t += 0.25) })
    .runs[0];
  // Each update is timed between two readings 0.25 s apart.
  assert.equal(timed.seconds, 6 * 0.25);
  assert.equal(timed.examplesPerSecond, 24 / timed.seconds);
  assert.equal(timed.notApplicable.stepLossSigma, undefined);
});

test('a diverged run stops there and reports no validation, saying why', () => {
  const r = compareBatchSizes({
    spec: mlpSpec({ optimizer: optimizer({ learningRate: 1e300 }) }),
    train,
    validation,
    batchSizes: [4],
    examples: 96,
    rateMode: 'file',
    now: () => 0,
  });
  const run = r.runs[0];
  assert.ok(run.steps < 24, `stopped early: ${run.steps} updates`);
  assert.equal(run.validation, null);
  assert.match(run.notApplicable.validation ?? '', /diverged/);
  assert.ok(
    run.checkpoints.every((c) => c.examplesSeen < run.examplesSeen),
    'no checkpoint after the divergence',
  );
});

test(`more than ${MAX_COMPARE_POINTS} updates are thinned to every k-th point and the last; the statistics keep every step`, () => {
  const r = compareBatchSizes({ spec, train, batchSizes: [1], examples: 3001, rateMode: 'file', now: () => 0 });
  const run = r.runs[0];
  assert.equal(run.steps, 3001);
  // k = ceil(3001 / 1500) = 3: updates 1, 4, 7, …, 3001.
  assert.equal(run.points.length, 1001);
  assert.deepEqual(
    run.points.slice(0, 3).map((p) => p.updates),
    [1, 4, 7],
  );
  assert.equal(run.points[run.points.length - 1].examplesSeen, 3001);
});
