// The batch-size comparison's bookkeeping, each part against a value found another way: the
// defaults (3 epochs, a one-epoch sweep) against counted steps, the clock against one the test
// counts and against the wall time around the call, the sweep's choice against the trials' own
// losses when some rates diverge, the progress reports against the examples each run sees.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { compareBatchSizes } from '../../../src/engine/compare';
import type { Dataset } from '../../../src/data/dataset';
import { mlpSpec, optimizer, separable } from './reference';

const train = separable(20, 4, 3, 61);
const spec = (learningRate: number) => mlpSpec({ optimizer: optimizer({ learningRate }) });

test('defaults: each run sees 3 epochs, a sweep trial one epoch (at least 10 updates); no sweep, no trial examples', () => {
  const file = compareBatchSizes({ spec: spec(0.1), train, batchSizes: [4, 10], rateMode: 'file', now: () => 0 });
  assert.equal(file.examples, 60);
  assert.deepEqual(
    file.runs.map((r) => [r.steps, r.examplesSeen]),
    [
      [15, 60],
      [6, 60],
    ],
  );
  assert.equal(file.sweepExamples, 0, 'no sweep in file mode');
  assert.deepEqual(
    file.runs.map((r) => [r.rateTrialExamples, r.rateTrials.length]),
    [
      [0, 0],
      [0, 0],
    ],
  );
  const sweep = compareBatchSizes({ spec: spec(0.1), train, batchSizes: [1, 4], now: () => 0 });
  assert.equal(sweep.sweepExamples, 20, 'one epoch of 20 examples');
  // M = 1: max(20, 10·1) = 20; M = 4: max(20, 10·4) = 40 (capped by the run's 60).
  assert.deepEqual(
    sweep.runs.map((r) => r.rateTrialExamples),
    [20, 40],
  );
  const capped = compareBatchSizes({ spec: spec(0.1), train, batchSizes: [2], examples: 12, sweepExamples: 30, now: () => 0 });
  assert.equal(capped.sweepExamples, 12, 'a trial never sees more than a run');
});

test("the comparison's seconds: an injected clock's last reading minus its first, and the default clock counts seconds", () => {
  let calls = 0;
  const r = compareBatchSizes({
    spec: spec(0.1),
    train,
    batchSizes: [5],
    examples: 20,
    rateMode: 'file',
    now: () => 1000 + 0.5 * calls++,
  });
  // Every reading is 0.5 s after the one before: the first at 1000, the last at 1000 + 0.5·(calls − 1).
  assert.equal(r.seconds, 0.5 * (calls - 1));
  assert.ok(r.runs[0].seconds <= r.seconds, 'training time is part of the whole');
  const t0 = performance.now();
  const real = compareBatchSizes({ spec: spec(0.1), train, batchSizes: [5], examples: 20, rateMode: 'file' });
  const wallSeconds = (performance.now() - t0) / 1000;
  assert.ok(real.seconds >= 0 && real.seconds <= wallSeconds, `${real.seconds} s inside a call of ${wallSeconds} s`);
  assert.ok(real.runs[0].seconds <= real.seconds);
});

test('an empty validation set is no validation set: the training loss chooses and no validation is reported', () => {
  const empty: Dataset = { ...train, count: 0, x: new Float32Array(0), y: new Int32Array(0) };
  const r = compareBatchSizes({ spec: spec(0.1), train, validation: empty, batchSizes: [5], examples: 40, now: () => 0 });
  assert.equal(r.chosenBy, 'training');
  assert.equal(r.runs[0].validation, null);
  assert.deepEqual(r.runs[0].checkpoints, []);
  assert.match(r.runs[0].notApplicable.validation ?? '', /no validation set/);
  // Each trial's loss is then the training loss, finite for these small rates.
  assert.ok(r.runs[0].rateTrials.every((t) => t.loss !== null && Number.isFinite(t.loss)));
});

test('the sweep never keeps a rate that diverged; when every rate diverges it falls back to the smallest', () => {
  // Around 1e52 the larger rates overflow the float64 weights within the trial and the smaller do not.
  const mixed = compareBatchSizes({ spec: spec(1e52), train, batchSizes: [5], examples: 60, now: () => 0 }).runs[0];
  const finite = mixed.rateTrials.filter((t) => t.loss !== null);
  assert.ok(
    finite.length > 0 && finite.length < mixed.rateTrials.length,
    `the set-up needs both: ${JSON.stringify(mixed.rateTrials)}`,
  );
  const best = finite.reduce((a, b) => ((b.loss as number) < (a.loss as number) ? b : a));
  assert.equal(mixed.learningRate, best.learningRate);
  const all = compareBatchSizes({ spec: spec(1e300), train, batchSizes: [5], examples: 60, now: () => 0 }).runs[0];
  assert.ok(all.rateTrials.every((t) => t.loss === null));
  assert.equal(all.learningRate, 1e299, "0.1 × the file's rate (M = 5 is the file's batch size)");
});

test('progress: each run reports its own index and its examples seen, ending at the examples it was given', () => {
  const calls: [number, number, number][] = [];
  const r = compareBatchSizes({
    spec: spec(0.1),
    train,
    batchSizes: [1, 10],
    examples: 120,
    rateMode: 'file',
    now: () => 0,
    onProgress: (run, seen, total) => calls.push([run, seen, total]),
  });
  for (const [run, m] of [
    [0, 1],
    [1, 10],
  ]) {
    const mine = calls.filter((c) => c[0] === run);
    assert.ok(mine.length > 0, `run ${run} reported`);
    assert.deepEqual(mine[mine.length - 1], [run, 120, 120]);
    assert.ok(mine.every((c, i) => c[2] === 120 && c[1] % m === 0 && (i === 0 || c[1] >= mine[i - 1][1])));
  }
  // M = 1 makes 120 updates: a report every 50 (at 50 and 100 examples) and the last.
  assert.deepEqual(
    calls.filter((c) => c[0] === 0).map((c) => c[1]),
    [50, 100, 120],
  );
  assert.equal(r.runs.length, 2);
});
