import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import {
  compareBatchSizes,
  stepSigma,
  MAX_COMPARE_POINTS,
  CompareCancelled,
  SWEEP_FACTORS,
  type CompareResult,
} from '../../../src/engine/compare';
import { summarizeComparison } from '../../../src/engine/compareSummary';
import { Trainer } from '../../../src/engine';
import { loadDataset } from '../../../src/data/load';
import { parseModel } from '../../../src/model';

const media = path.resolve(__dirname, '../../../media');
const spec = parseModel(`{
  "seed": 3, "data": { "source": "mnist", "limit": 250, "validationSplit": 0.2 },
  "layers": [ { "type": "dense", "units": 16, "activation": "relu" }, { "type": "dense", "units": 10 } ],
  "optimizer": { "learningRate": 0.05, "momentum": 0.5 }, "batchSize": 20, "epochs": 1 }`).spec!;

async function digits() {
  return loadDataset(spec.data, { dataPath: null, labelsPath: null, mediaDir: media, seed: spec.seed });
}

test('every batch size sees the same examples from the same seed and initial weights; smaller batches make more, noisier updates', async () => {
  const { train, validation } = await digits();
  const r = compareBatchSizes({ spec, train, validation, batchSizes: [1, 20, 'full'], examples: 600, rateMode: 'file' });
  assert.deepEqual(
    r.runs.map((x) => x.batchSize),
    [1, 20, 200],
  );
  assert.deepEqual(
    r.runs.map((x) => x.steps),
    [600, 30, 3],
  );
  // The initial weights a fresh trainer of the file draws: every run must start from exactly them.
  const fresh = new Trainer({ spec, train, validation })
    .getWeights()
    .reduce((s, w) => s + w.value.reduce((a, v) => a + v * v, 0), 0);
  for (const run of r.runs) {
    assert.equal(run.seed, spec.seed);
    assert.equal(run.initialWeightsFingerprint, fresh, `M = ${run.batchSize} started from other weights`);
    assert.equal(run.points[run.points.length - 1].examplesSeen, 600);
    assert.equal(run.examplesSeen, 600);
    assert.ok(run.points.length <= MAX_COMPARE_POINTS);
    assert.ok(run.validation && run.validation.accuracy >= 0 && run.validation.accuracy <= 1);
    assert.ok(run.examplesPerSecond > 0);
    assert.equal(run.learningRate, 0.05);
    assert.equal(run.momentum, 0.5);
    // Shared checkpoints: every run's last one is at the same examples seen.
    assert.equal(run.checkpoints[run.checkpoints.length - 1].examplesSeen, 600);
  }
  assert.ok(r.runs[0].stepLossSigma! > 3 * r.runs[1].stepLossSigma!, 'M = 1 moves the loss far more per step');
  assert.equal(r.runs[0].noiseScale, null, 'no noise scale from one example');
  assert.match(r.runs[0].notApplicable.noiseScale ?? '', /at least 2 examples/);
  assert.ok(r.runs[1].noiseScale! > 0);
  assert.ok(r.runs[2].activationBytes === 200 * r.runs[0].activationBytes, 'activation memory grows with M');
});

test('a different seed gives other initial weights, so the fingerprint tells them apart', async () => {
  const { train, validation } = await digits();
  const a = compareBatchSizes({ spec, train, validation, batchSizes: [20], examples: 40, rateMode: 'file' });
  const b = compareBatchSizes({
    spec: { ...spec, seed: 4 },
    train,
    validation,
    batchSizes: [20],
    examples: 40,
    rateMode: 'file',
  });
  assert.notEqual(a.runs[0].initialWeightsFingerprint, b.runs[0].initialWeightsFingerprint);
});

test("the sweep tries 5 log-spaced rates around the file's rate scaled to M and keeps the one of lowest validation loss", async () => {
  const { train, validation } = await digits();
  const r = compareBatchSizes({ spec, train, validation, batchSizes: [5, 40], examples: 400, sweepExamples: 200 });
  assert.equal(r.rateMode, 'sweep');
  assert.equal(r.chosenBy, 'validation');
  for (const run of r.runs) {
    const centre = (0.05 * run.batchSize) / 20;
    assert.deepEqual(
      run.rateTrials.map((t) => t.learningRate),
      SWEEP_FACTORS.map((f) => Number((centre * f).toPrecision(3))),
    );
    const best = run.rateTrials.filter((t) => t.loss !== null).sort((x, y) => x.loss! - y.loss!)[0];
    assert.equal(run.learningRate, best.learningRate);
    // The trial's loss is the validation loss of an independent run at that rate for the sweep's examples.
    assert.equal(run.rateTrialExamples, Math.min(400, Math.max(200, 10 * run.batchSize)));
    const again = compareBatchSizes({
      spec: { ...spec, optimizer: { ...spec.optimizer, learningRate: best.learningRate } },
      train,
      validation,
      batchSizes: [run.batchSize],
      examples: run.rateTrialExamples,
      rateMode: 'file',
    });
    assert.equal(again.runs[0].validation!.loss, best.loss);
  }
  assert.match(r.summary, /sweep/);
});

test("linear scaling gives γ ∝ M from the file's rate at its batch size", async () => {
  const { train, validation } = await digits();
  const r = compareBatchSizes({ spec, train, validation, batchSizes: [1, 40], examples: 80, rateMode: 'linear' });
  assert.deepEqual(
    r.runs.map((x) => x.learningRate),
    [0.05 / 20, 0.1],
  );
  assert.match(r.summary, /linear scaling/);
});

test('without a validation set the values say n/a and why', async () => {
  const { train } = await digits();
  const r = compareBatchSizes({ spec, train, validation: null, batchSizes: [1, 20], examples: 40, rateMode: 'file' });
  for (const run of r.runs) {
    assert.equal(run.validation, null);
    assert.match(run.notApplicable.validation ?? '', /no validation set/);
  }
  assert.match(r.summary, /n\/a \(the model file holds out no validation set/);
});

test('the comparison is deterministic, apart from wall time', async () => {
  const { train, validation } = await digits();
  const strip = (x: CompareResult) => x.runs.map((r) => [r.learningRate, r.points.map((p) => [p.examplesSeen, p.loss])]);
  const a = compareBatchSizes({ spec, train, validation, batchSizes: [4, 50], examples: 200, sweepExamples: 100, now: () => 0 });
  const b = compareBatchSizes({ spec, train, validation, batchSizes: [4, 50], examples: 200, sweepExamples: 100, now: () => 0 });
  assert.deepEqual(strip(a), strip(b));
});

test('the comparison can be cancelled', async () => {
  const { train, validation } = await digits();
  let calls = 0;
  assert.throws(
    () => compareBatchSizes({ spec, train, validation, batchSizes: [1, 32], examples: 600, shouldCancel: () => ++calls > 10 }),
    CompareCancelled,
  );
});

test('step-to-step σ is the standard deviation of successive loss changes', () => {
  assert.equal(stepSigma([1, 2, 3, 4]), 0);
  assert.ok(Math.abs(stepSigma([0, 1, 0, 1])! - Math.sqrt(4 / 3)) < 1e-12);
  assert.equal(stepSigma([1, 2]), null);
});

// The summary's words follow its numbers: flip the numbers and the words flip.
function fakeRun(
  m: number,
  o: { sigma: number; speed: number; noise: number | null; acc: number },
): CompareResult['runs'][number] {
  return {
    batchSize: m,
    learningRate: 0.01,
    rateMode: 'file',
    rateTrials: [],
    rateTrialExamples: 0,
    momentum: 0,
    steps: 100,
    examplesSeen: 100,
    seconds: 1,
    examplesPerSecond: o.speed,
    activationBytes: 1000 * m,
    validation: { loss: 0.5, accuracy: o.acc },
    stepLossSigma: o.sigma,
    noiseScale: o.noise,
    notApplicable: {},
    points: [],
    checkpoints: [],
    initialWeightsFingerprint: 1,
    seed: 1,
  };
}
const result = (runs: CompareResult['runs']): CompareResult => ({
  runs,
  rateMode: 'file',
  examples: 100,
  sweepExamples: 0,
  seconds: 1,
  chosenBy: 'validation',
  summary: '',
});

test('the summary says steadier and faster only when the numbers say so', () => {
  const good = summarizeComparison(
    result([
      fakeRun(1, { sigma: 1, speed: 1000, noise: null, acc: 0.8 }),
      fakeRun(32, { sigma: 0.25, speed: 8000, noise: 50, acc: 0.9 }),
    ]),
    800,
  );
  assert.match(good, /steadier: the loss moved 4\.0× less/);
  assert.match(good, /8\.0× more examples per second: 8,000 examples\/s with M = 32 against 1,000/);
  assert.match(good, /from 1000 bytes per step with M = 1 \(pure SGD\) to 31 KB with M = 32/);
  assert.match(good, /B_simple measured 50 in the M = 32 run/);
  assert.match(good, /Every batch size here is within it/);
  assert.match(good, /M = 1 \(pure SGD\) 80\.0 %.*M = 32 90\.0 %/);
  assert.match(good, /No momentum/);
  const bad = summarizeComparison(
    result([
      fakeRun(1, { sigma: 0.2, speed: 9000, noise: null, acc: 0.8 }),
      fakeRun(32, { sigma: 0.4, speed: 3000, noise: 10, acc: 0.9 }),
    ]),
    800,
  );
  assert.doesNotMatch(bad, /steadier/);
  assert.match(bad, /2\.0× more from one update to the next with M = 32/);
  assert.match(bad, /fewer examples per second/);
  assert.match(bad, /M = 32 is beyond it; M = 1 \(pure SGD\) within it/);
});
