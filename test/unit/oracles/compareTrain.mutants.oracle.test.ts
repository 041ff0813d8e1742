// Mutation-oriented oracles for one run of the batch-size comparison (src/engine/compare.ts,
// `train`, issue 14): which backend trains it, what ends it, what it keeps of its points, and why a
// value is missing. Each expectation follows from the set-up by arithmetic or by the contract of
// CompareRun: an update that overflows the weights ends the run at that update; a NaN input ends
// it at step 1 with no noise scale; a validation set the model cannot score gives no final loss.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { referenceBackend } from '../../../src/engine';
import type { Backend } from '../../../src/engine/backend';
import { compareBatchSizes, CompareCancelled, MAX_COMPARE_POINTS } from '../../../src/engine/compare';
import { mlpSpec, optimizer, separable } from './reference';

const train = separable(24, 4, 3, 61);
const validation = separable(10, 4, 3, 97);
const spec = mlpSpec({ seed: 5, optimizer: optimizer({ learningRate: 0.2 }) });
const clock = () => 0;

test('a run with a validation set, at least 3 updates and 2 examples a batch lacks nothing; Adam has no momentum', () => {
  const adam = { ...spec, optimizer: optimizer({ type: 'adam', learningRate: 0.01, momentum: 0.9 }) };
  const r = compareBatchSizes({ spec: adam, train, validation, batchSizes: [4], examples: 24, rateMode: 'file', now: clock });
  const run = r.runs[0];
  assert.equal(run.steps, 6);
  assert.deepEqual(run.notApplicable, {});
  assert.ok(run.validation && run.stepLossSigma !== null && run.noiseScale !== null);
  assert.equal(run.momentum, 0, "Adam's runs show no momentum, whatever the file's momentum field says");
  const sgd = compareBatchSizes({ spec, train, validation, batchSizes: [4], examples: 24, rateMode: 'file', now: clock });
  assert.equal(sgd.runs[0].momentum, spec.optimizer.momentum);
});

test('the backend factory trains every run', () => {
  let products = 0;
  const factory = (s: typeof spec): Backend => {
    const base = referenceBackend(s.dtype);
    return {
      ...base,
      name: 'counted',
      gemm: (...args: Parameters<Backend['gemm']>) => {
        products++;
        return base.gemm(...args);
      },
    };
  };
  compareBatchSizes({
    spec,
    train,
    validation: null,
    batchSizes: [4],
    examples: 8,
    rateMode: 'file',
    backendFactory: factory,
    now: clock,
  });
  assert.ok(products > 0, 'the runs multiplied on the backend the factory gave');
});

test('cancelling says so in words', () => {
  assert.throws(
    () =>
      compareBatchSizes({
        spec,
        train,
        validation,
        batchSizes: [1, 4],
        examples: 24,
        rateMode: 'file',
        shouldCancel: () => true,
        now: clock,
      }),
    (e: Error) => e instanceof CompareCancelled && e.message === 'The comparison was cancelled.',
  );
});

test('an update that overflows the weights ends the run at that update, though its loss was finite', () => {
  // Features of 1000 make the first layer's gradient ≫ 1, and γ = 1e307 takes γ·g past float64's
  // 1.8e308: the weights after update 1 are infinite while update 1's own loss was finite.
  const big = separable(24, 4, 3, 61);
  for (let i = 0; i < big.x.length; i++) big.x[i] *= 1000;
  const wild = { ...spec, optimizer: optimizer({ learningRate: 1e307 }) };
  const r = compareBatchSizes({
    spec: wild,
    train: big,
    validation,
    batchSizes: [4],
    examples: 24,
    rateMode: 'file',
    now: clock,
  });
  const run = r.runs[0];
  assert.equal(run.steps, 1, 'no update after the one that broke the weights');
  assert.ok(Number.isFinite(run.points[0].loss), "update 1's loss was finite");
  assert.equal(run.validation, null);
  assert.equal(run.notApplicable.validation, 'the run diverged (the loss became NaN or infinite)');
});

test('a NaN input ends the run at step 1; with 2 examples a batch the noise scale is missing for the divergence', () => {
  const bad = separable(24, 4, 3, 61);
  bad.x.fill(NaN);
  const r = compareBatchSizes({
    spec,
    train: bad,
    validation: null,
    batchSizes: [1, 2],
    examples: 24,
    rateMode: 'file',
    now: clock,
  });
  const [one, two] = r.runs;
  assert.equal(one.steps, 1);
  assert.equal(two.steps, 1);
  assert.equal(one.notApplicable.noiseScale, 'it needs at least 2 examples per batch to see their spread');
  assert.equal(two.notApplicable.noiseScale, 'the batch gradient was zero or the run diverged');
  assert.equal(two.noiseScale, null);
});

test('a validation set the model cannot score gives the sweep no loss for any rate', () => {
  const unscorable = separable(10, 4, 3, 97);
  unscorable.x[0] = NaN;
  const r = compareBatchSizes({
    spec,
    train,
    validation: unscorable,
    batchSizes: [4],
    examples: 24,
    sweepExamples: 24,
    rateMode: 'sweep',
    now: clock,
  });
  const trials = r.runs[0].rateTrials;
  assert.equal(trials.length, 5);
  for (const t of trials) assert.equal(t.loss, null, `γ = ${t.learningRate}: a NaN validation loss is no loss`);
});

test('thinned to at most 1500 points, the last step is always kept', () => {
  // M = 1 over 1600 examples: 1600 points, kept every ⌈1600/1500⌉ = 2nd (indices 0, 2, …, 1598) and the last (1599).
  const long = separable(1600, 4, 3, 3);
  const r = compareBatchSizes({
    spec,
    train: long,
    validation: null,
    batchSizes: [1],
    examples: 1600,
    rateMode: 'file',
    now: clock,
  });
  const points = r.runs[0].points;
  assert.equal(points.length, 801);
  assert.ok(points.length <= MAX_COMPARE_POINTS);
  assert.deepEqual(
    points.slice(-3).map((p) => p.examplesSeen),
    [1597, 1599, 1600],
  );
});
