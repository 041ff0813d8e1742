// The "repeat one example" experiment (src/engine/repeat.ts, repeatOneExample) at the edges its
// earlier oracles left open, each against a value found another way: the repeated rate from the
// file's rate and batch size by hand (rounded to 3 significant digits), every loss against the
// float64 reference forward pass at weights stepped by the reference's own gradient, the sample of
// "other" examples against the first 200 indices written out, and the runs' backends by counting.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Trainer, referenceBackend } from '../../../src/engine';
import { concludeRepeat, repeatOneExample, type RepeatResult } from '../../../src/engine/repeat';
import { countingBackend } from '../engine/helpers';
import { batchGradients, close, exampleGradient, exampleInput, mlpSpec, optimizer, separable, type Weights } from './reference';
import type { ModelSpec } from '../../../src/model/spec';
import type { Dataset } from '../../../src/data/dataset';

const train = separable(12, 4, 3, 23);
const validation = separable(6, 4, 3, 89);

const lossAt = (spec: ModelSpec, w: Weights[], d: Dataset, k: number): number =>
  exampleGradient(spec, w, exampleInput(d, k), d.y[k]).loss;
const meanLoss = (spec: ModelSpec, w: Weights[], d: Dataset, idx: number[]): number =>
  batchGradients(spec, w, d, idx).reduce((s, e) => s + e.loss, 0) / idx.length;
/** One plain-SGD step of the reference on example k of d: θ − γ·∇Lₖ. */
const step = (spec: ModelSpec, w: Weights[], d: Dataset, k: number, rate: number): Weights[] => {
  const g = exampleGradient(spec, w, exampleInput(d, k), d.y[k]).grads;
  return w.map((t) => ({ ...t, value: t.value.map((v, i) => v - rate * g.get(t.name)![i]) }));
};
const initialWeights = (spec: ModelSpec, d: Dataset): Weights[] =>
  new Trainer({ spec, train: d, validation: null, backend: referenceBackend('float64') }).getWeights();

test('repeat: the repeated rate is γ/M rounded to 3 significant digits, and every repeated step uses it', () => {
  // 0.1 / 3 = 0.0333…: rounded to 3 significant digits, 0.0333 (not 0.03333…, not 0.1).
  const spec = mlpSpec({ seed: 5, batchSize: 3, optimizer: optimizer({ learningRate: 0.1 }) });
  const r = repeatOneExample({ spec, train, validation: null, example: 4, times: 3, untilFraction: 0 });
  assert.equal(r.learningRate, 0.0333);
  assert.deepEqual([r.baselineLearningRate, r.batchSize], [0.1, 3]);
  let w = initialWeights(spec, train);
  for (const [k, p] of r.series.entries()) {
    if (k > 0) w = step(spec, w, train, 4, 0.0333);
    close(p.exampleLoss, lossAt(spec, w, train, 4), 1e-10, `update ${k}: the example's loss at γ = 0.0333`);
  }
});

test('repeat: a batch size larger than the training set counts as the whole set (M = n)', () => {
  // 12 examples, batchSize 20: M = 12, γ/M = 0.6 / 12 = 0.05.
  const spec = mlpSpec({ seed: 3, batchSize: 20, optimizer: optimizer({ learningRate: 0.6 }) });
  const r = repeatOneExample({ spec, train, validation: null, example: 1, times: 2, untilFraction: 0 });
  assert.deepEqual([r.batchSize, r.learningRate], [12, 0.05]);
  assert.match(r.conclusion, /γ = 0\.05 \(the file's rate ÷ 12, one example's share\)/);
});

test('repeat: with the fraction never reached, exactly `times` updates on A, then on B, each step the reference’s', () => {
  // 12 examples in batches of 4 is 3 updates an epoch: 10 updates of normal training need 4 epochs,
  // so the baseline must be given at least that many (it refuses a step past its last epoch).
  const spec = mlpSpec({ seed: 3, batchSize: 4, optimizer: optimizer({ learningRate: 0.4 }) });
  const rate = 0.1;
  const a = 5;
  const r = repeatOneExample({ spec, train, validation, example: a, times: 10, untilFraction: 0 });
  assert.deepEqual([r.updates, r.series.length], [10, 11]);
  // Normal training, the same seeded schedule, stepped 10 times from the same initial weights.
  const baseline = new Trainer({ spec: { ...spec, epochs: 4 }, train, validation, backend: referenceBackend('float64') });
  for (let k = 0; k < 10; k++) baseline.trainStep();
  const b = baseline.getWeights();
  const allVal = Array.from({ length: validation.count }, (_, i) => i);
  close(r.series[10].baselineExampleLoss, lossAt(spec, b, train, a), 1e-10, "normal training's loss on A after 10 updates");
  close(r.baselineValidationLoss!, meanLoss(spec, b, validation, allVal), 1e-10, "normal training's validation loss");
  let w = initialWeights(spec, train);
  for (let k = 0; k < 10; k++) w = step(spec, w, train, a, rate);
  close(r.finalExampleLoss, lossAt(spec, w, train, a), 1e-10, 'A after 10 updates');
  const bIndex = Array.from({ length: train.count }, (_, i) => i).find((i) => train.y[i] !== train.y[a])!;
  const f = r.forgetting!;
  assert.equal(f.exampleB.index, bIndex);
  assert.deepEqual([f.updates, f.series.length], [10, 11], 'B is fitted `times` times too');
  for (const [j, p] of f.series.entries()) {
    if (j > 0) w = step(spec, w, train, bIndex, rate);
    assert.equal(p.update, j);
    close(p.lossA, lossAt(spec, w, train, a), 1e-10, `B update ${j}: A's loss`);
    close(p.lossB, lossAt(spec, w, train, bIndex), 1e-10, `B update ${j}: B's loss`);
  }
  close(f.lossAAfterB, lossAt(spec, w, train, a), 1e-10, 'A after B');
});

test('repeat: the "other examples" are a fixed sample of the first 200 indices other than A', () => {
  // 203 examples, A = 1: the others are 0, 2, 3, …, 200 (200 of them); 201 and 202 are left out.
  const big = separable(203, 4, 3, 41);
  const spec = mlpSpec({ seed: 9, batchSize: 8, optimizer: optimizer({ learningRate: 0.8 }) });
  const r = repeatOneExample({ spec, train: big, validation: null, example: 1, times: 1, untilFraction: 0 });
  const others = [0, ...Array.from({ length: 199 }, (_, i) => i + 2)];
  assert.equal(others.length, 200);
  const w0 = initialWeights(spec, big);
  const w1 = step(spec, w0, big, 1, 0.1);
  close(r.initialOtherExamplesLoss, meanLoss(spec, w0, big, others), 1e-10, 'the others at the start');
  close(r.finalOtherExamplesLoss, meanLoss(spec, w1, big, others), 1e-10, 'the others after one update');
  const all = Array.from({ length: 203 }, (_, i) => i).filter((i) => i !== 1);
  assert.ok(
    Math.abs(meanLoss(spec, w0, big, all) - meanLoss(spec, w0, big, others)) > 1e-6,
    'the sample must differ from all 202 others for this test to tell them apart',
  );
});

test('repeat: an empty validation set is no validation set', () => {
  const spec = mlpSpec({ seed: 3, batchSize: 4, optimizer: optimizer({ learningRate: 0.4 }) });
  const empty: Dataset = { ...validation, count: 0, x: new Float32Array(0), y: new Int32Array(0) };
  const r = repeatOneExample({ spec, train, validation: empty, example: 0, times: 2, untilFraction: 0 });
  for (const p of r.series)
    assert.deepEqual(
      [p.validationLoss, p.validationAccuracy, p.baselineValidationLoss, p.baselineValidationAccuracy],
      [null, null, null, null],
    );
  assert.doesNotMatch(r.conclusion, /validation loss/);
  // Not handed on either: an empty set of another example shape (which a trainer would refuse as a
  // validation set) is left out, not checked against the training set.
  const otherShape: Dataset = { ...empty, inputShape: [2] };
  const s = repeatOneExample({ spec, train, validation: otherShape, example: 0, times: 1, untilFraction: 0 });
  assert.deepEqual([s.initialValidationLoss, s.finalValidationLoss, s.baselineValidationLoss], [null, null, null]);
});

test('repeat: every run is made on the backends the factory gives', () => {
  const spec = mlpSpec({ seed: 3, batchSize: 4, optimizer: optimizer({ learningRate: 0.4 }) });
  const made: ReturnType<typeof countingBackend>[] = [];
  repeatOneExample({
    spec,
    train,
    validation,
    example: 0,
    times: 2,
    untilFraction: 0,
    backendFactory: (sp) => {
      const b = countingBackend(sp.dtype);
      made.push(b);
      return b.backend;
    },
  });
  // normal training, the repeated run, the others' and the example's evaluators, the fit of B
  assert.equal(made.length, 5);
  for (const [i, b] of made.entries()) assert.ok(b.elements() > 0, `backend ${i} allocated nothing: another one was used`);
});

test('the conclusion shows a loss of exactly 1e-3 to 3 digits, and one just under it in exponent form', () => {
  const r: RepeatResult = {
    example: { index: 0, label: 2 },
    updates: 3,
    learningRate: 0.05,
    baselineLearningRate: 0.2,
    batchSize: 4,
    initialExampleLoss: 0.5,
    finalExampleLoss: 0.001,
    initialValidationLoss: null,
    finalValidationLoss: null,
    finalValidationAccuracy: null,
    baselineValidationLoss: null,
    baselineValidationAccuracy: null,
    initialOtherExamplesLoss: 0.001,
    finalOtherExamplesLoss: 0.0009999,
    series: [],
    forgetting: null,
    conclusion: '',
  };
  assert.equal(
    concludeRepeat(r),
    [
      "Updating on example #0 (label 2) alone, 3 times with γ = 0.05 (the file's rate ÷ 4, one example's share), took its loss from 0.500 to 0.00100 (0.20 % of its start).",
      'The mean loss of the other training examples went from 0.00100 to 1.0e-3.',
      'That is why training does not repeat an example until it is right: each example is back-propagated once per pass, and each update follows the mean gradient of a batch of many.',
    ].join(' '),
  );
});
