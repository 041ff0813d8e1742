// The comparison of batch sizes (src/engine/compare.ts) is fair only if every run starts from the
// same initial weights and draws its batches from the same seeded order. Each run's first losses
// are checked against losses computed independently: the float64 reference forward pass at the
// weights the model's seed gives, over the first batch the seed's schedule gives for that size.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Trainer, referenceBackend } from '../../../src/engine';
import { BatchSchedule } from '../../../src/engine/batching';
import { compareBatchSizes } from '../../../src/engine/compare';
import type { ModelSpec } from '../../../src/model/spec';
import { batchGradients, close, meanGradient, mlpSpec, optimizer, separable, type Weights } from './reference';

const meanLoss = (spec: ModelSpec, w: Weights[], train: ReturnType<typeof separable>, indices: number[]): number =>
  batchGradients(spec, w, train, indices).reduce((s, e) => s + e.loss, 0) / indices.length;

/** The variance of the step-to-step change of the loss, written out again (unbiased, n − 1). */
function changeVariance(losses: number[]): number {
  const d: number[] = [];
  for (let i = 1; i < losses.length; i++) d.push(losses[i] - losses[i - 1]);
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  return d.reduce((a, b) => a + (b - mean) * (b - mean), 0) / (d.length - 1);
}

test('comparison: every batch size starts at the same seeded weights and batch order (first two losses vs an independent reference)', () => {
  const spec = mlpSpec({ seed: 5, optimizer: optimizer({ learningRate: 0.3 }) });
  const train = separable(24, 4, 3, 61);
  const sizes = [1, 4, 10, 'full'] as const;
  // The file's rate for every size, so one reference SGD step can be written out (the sweep's rates are checked in test/unit/engine/compare.test.ts).
  const result = compareBatchSizes({ spec, train, batchSizes: [...sizes], examples: 48, now: () => 0, rateMode: 'file' });
  assert.deepEqual(
    result.runs.map((r) => r.batchSize),
    [1, 4, 10, 24],
  );
  // The initial weights are a function of the seed alone: one network built from the spec gives them.
  const initial = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64') }).getWeights();
  const firstLosses = new Set<number>();
  for (const run of result.runs) {
    const m = run.batchSize;
    const order = Array.from(new BatchSchedule(spec.seed, train.count, m).permutation(1));
    const first = order.slice(0, m);
    close(run.points[0].loss, meanLoss(spec, initial, train, first), 1e-10, `M = ${m}: first-batch loss`);
    firstLosses.add(run.points[0].loss);
    // One plain SGD step by the reference, then the second batch's loss at those weights.
    const ref = batchGradients(spec, initial, train, first);
    const stepped = initial.map((w) => ({
      ...w,
      value: w.value.map((v, i) => v - spec.optimizer.learningRate * meanGradient(ref, w.name)[i]),
    }));
    const second =
      m < train.count ? order.slice(m, 2 * m) : Array.from(new BatchSchedule(spec.seed, train.count, m).permutation(2));
    close(
      run.points[1].loss,
      meanLoss(spec, stepped, train, second),
      1e-9,
      `M = ${m}: second-batch loss after one reference step`,
    );
  }
  assert.ok(firstLosses.size > 1, 'different batch sizes see different first batches, so the check can tell sizes apart');
});

test('comparison: every run sees the same number of examples, and its statistics follow from its own losses', () => {
  const spec = mlpSpec({ seed: 9, optimizer: optimizer({ learningRate: 0.2, momentum: 0.5 }) });
  const train = separable(30, 4, 3, 71);
  const examples = 90;
  const result = compareBatchSizes({ spec, train, batchSizes: [1, 6, 'full', 6], examples, now: () => 0, rateMode: 'file' });
  assert.deepEqual(
    result.runs.map((r) => r.batchSize),
    [1, 6, 30],
    'duplicates are dropped, full is N',
  );
  for (const run of result.runs) {
    const m = run.batchSize;
    assert.equal(run.steps, examples / m, `M = ${m}: ${examples} examples in steps of ${m}`);
    assert.equal(run.points.length, run.steps, 'short runs keep every point');
    assert.deepEqual(
      run.points.map((p) => p.examplesSeen),
      Array.from({ length: run.steps }, (_, i) => (i + 1) * m),
    );
    // The same spec and seed trained on its own, step by step: the same losses and noise scales.
    const solo = new Trainer({
      spec: { ...spec, batchSize: m, epochs: examples / train.count },
      train,
      validation: null,
      backend: referenceBackend('float64'),
      stats: 'norms',
    });
    const losses: number[] = [];
    const noise: number[] = [];
    while (!solo.done()) {
      const s = solo.trainStep();
      losses.push(s.loss);
      if (Number.isFinite(s.noiseScale)) noise.push(s.noiseScale);
    }
    run.points.forEach((p, i) => close(p.loss, losses[i], 1e-12, `M = ${m} step ${i + 1} loss`));
    close(run.stepLossSigma!, Math.sqrt(changeVariance(losses)), 1e-9, `M = ${m} step-to-step σ`);
    if (m === 1) assert.equal(run.noiseScale, null, 'M = 1 has no noise scale');
    else close(run.noiseScale!, noise.reduce((a, b) => a + b, 0) / noise.length, 1e-9, `M = ${m} mean noise scale`);
  }
});

test('comparison summary: its words carry the numbers of the runs (σ ratio, noise scale), recomputed here', () => {
  const spec = mlpSpec({ seed: 4, optimizer: optimizer({ learningRate: 0.2 }) });
  const train = separable(40, 4, 3, 181);
  const result = compareBatchSizes({ spec, train, batchSizes: [8, 1, 'full'], examples: 200, now: () => 0, rateMode: 'file' });
  const [m8, m1] = [result.runs.find((r) => r.batchSize === 8)!, result.runs.find((r) => r.batchSize === 1)!];
  // The smallest batch against the next one that is not the full batch.
  const ratio = m1.stepLossSigma! / m8.stepLossSigma!;
  const fx = (x: number): string => (x >= 10 ? String(Math.round(x)) : x.toFixed(1));
  assert.ok(
    result.summary.includes(
      ratio >= 1
        ? `the loss moved ${fx(ratio)}× less from one update to the next than with M = 1 (pure SGD)`
        : `the loss moved ${fx(1 / ratio)}× more from one update to the next with M = 8 than with M = 1 (pure SGD)`,
    ),
    result.summary,
  );
  assert.equal(m1.noiseScale, null, 'M = 1 has no noise scale');
  assert.ok(
    result.summary.includes(`B_simple measured ${Number(m8.noiseScale!.toPrecision(3))} in the M = 8 run`),
    result.summary,
  );
  assert.ok(result.summary.includes('after the same 200 examples seen'), result.summary);
  const one = compareBatchSizes({ spec, train, batchSizes: [4], examples: 20, now: () => 0 });
  assert.equal(one.summary, 'Choose at least two batch sizes to compare.');
});
