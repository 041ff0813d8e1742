import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { repeatOneExample, concludeRepeat, type RepeatResult } from '../../../src/engine/repeat';
import { Trainer } from '../../../src/engine';
import { loadDataset } from '../../../src/data/load';
import { parseModel } from '../../../src/model';

const media = path.resolve(__dirname, '../../../media');
const spec = parseModel(`{
  "seed": 2, "data": { "source": "mnist", "limit": 300, "validationSplit": 0.25 },
  "layers": [ { "type": "dense", "units": 24, "activation": "relu" }, { "type": "dense", "units": 10 } ],
  "optimizer": { "learningRate": 0.1, "momentum": 0.9 }, "batchSize": 16, "epochs": 1 }`).spec!;

test('repeating one example drives its loss towards 0 while normal training generalises better', async () => {
  const { train, validation } = await loadDataset(spec.data, {
    dataPath: null,
    labelsPath: null,
    mediaDir: media,
    seed: spec.seed,
  });
  const r = repeatOneExample({ spec, train, validation, example: 7 });
  assert.equal(r.example.index, 7);
  assert.equal(r.example.label, train.y[7]);
  assert.equal(r.learningRate, 0.1 / 16);
  assert.ok(r.finalExampleLoss < 0.01 * r.initialExampleLoss, `${r.finalExampleLoss} vs ${r.initialExampleLoss}`);
  assert.ok(r.updates >= 1 && r.updates <= 200);
  assert.equal(r.series.length, r.updates + 1);
  // It stopped at the first update under 1 %: the one before was not.
  assert.ok(r.series[r.series.length - 2].exampleLoss >= 0.01 * r.initialExampleLoss);
  assert.ok(r.finalValidationLoss! > r.baselineValidationLoss!, `${r.finalValidationLoss} vs ${r.baselineValidationLoss}`);
  // The start is the file's own initial weights: a fresh trainer's loss on that example.
  const fresh = new Trainer({
    spec: { ...spec, batchSize: 1 },
    train: { ...train, count: 1, x: train.x.slice(7 * 784, 8 * 784), y: train.y.slice(7, 8) },
    validation,
  });
  const e = fresh.evaluate();
  assert.ok(Math.abs(e.trainLoss - r.initialExampleLoss) < 1e-6);
  assert.ok(Math.abs(e.validationLoss! - r.initialValidationLoss!) < 1e-6);
  // Forgetting: fitting another example undoes the first.
  assert.ok(r.forgetting);
  assert.notEqual(r.forgetting!.exampleB.label, r.example.label);
  assert.ok(r.forgetting!.lossAAfterB > 5 * r.forgetting!.lossAFitted);
  assert.match(r.conclusion, /the repeated example was learned, the task was not/);
  assert.match(r.conclusion, /raised #7's loss again/);
});

test('--times caps the updates; a bad example index is refused', async () => {
  const { train, validation } = await loadDataset(spec.data, {
    dataPath: null,
    labelsPath: null,
    mediaDir: media,
    seed: spec.seed,
  });
  const r = repeatOneExample({ spec, train, validation, example: 3, times: 2 });
  assert.equal(r.updates, 2);
  assert.throws(() => repeatOneExample({ spec, train, validation, example: train.count }), /not a training example/);
});

test('the conclusion follows the numbers', () => {
  const base: RepeatResult = {
    example: { index: 1, label: 3 },
    updates: 10,
    learningRate: 0.01,
    baselineLearningRate: 0.1,
    batchSize: 10,
    initialExampleLoss: 2,
    finalExampleLoss: 0.01,
    initialValidationLoss: 2.3,
    finalValidationLoss: 0.5,
    finalValidationAccuracy: 0.9,
    baselineValidationLoss: 1,
    baselineValidationAccuracy: 0.7,
    initialOtherExamplesLoss: 2.3,
    finalOtherExamplesLoss: 2.0,
    series: [],
    forgetting: { exampleB: { index: 2, label: 4 }, updates: 3, lossAFitted: 0.01, lossAAfterB: 0.005, series: [] },
    conclusion: '',
  };
  const c = concludeRepeat(base);
  assert.doesNotMatch(c, /the task was not/);
  assert.doesNotMatch(c, /pushed the others away/);
  assert.doesNotMatch(c, /raised/);
  assert.match(c, /0\.50 % of its start/);
});
