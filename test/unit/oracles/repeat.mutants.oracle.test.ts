// The "repeat one example" experiment against values found another way: every loss of its series
// against the float64 reference forward pass at weights stepped by the reference's own gradient
// (plain SGD, so one step is θ − γ·g), the stopping rule and the forgetting example against their
// definitions, and the conclusion's words against sentences written out by hand for chosen numbers.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Trainer, referenceBackend } from '../../../src/engine';
import { concludeRepeat, repeatOneExample, type RepeatResult } from '../../../src/engine/repeat';
import { batchGradients, close, exampleGradient, exampleInput, mlpSpec, optimizer, separable, type Weights } from './reference';

const train = separable(12, 4, 3, 23);
const validation = separable(6, 4, 3, 89);
const spec = mlpSpec({ seed: 3, batchSize: 4, optimizer: optimizer({ learningRate: 0.4 }) });
const rate = Number((0.4 / 4).toPrecision(3));

const lossAt = (w: Weights[], k: number): number => exampleGradient(spec, w, exampleInput(train, k), train.y[k]).loss;
const meanLoss = (w: Weights[], d: typeof train, idx: number[]): number =>
  batchGradients(spec, w, d, idx).reduce((s, e) => s + e.loss, 0) / idx.length;
const step = (w: Weights[], k: number): Weights[] => {
  const g = exampleGradient(spec, w, exampleInput(train, k), train.y[k]).grads;
  return w.map((t) => ({ ...t, value: t.value.map((v, i) => v - rate * g.get(t.name)![i]) }));
};

test('repeat: every point of the series against the reference, from the seed’s initial weights', () => {
  const a = 5;
  const r = repeatOneExample({ spec, train, validation, example: a, times: 4, untilFraction: 0 });
  assert.equal(r.learningRate, rate);
  assert.deepEqual([r.baselineLearningRate, r.batchSize, r.updates, r.series.length], [0.4, 4, 4, 5]);
  assert.deepEqual(r.example, { index: a, label: train.y[a] });
  const initial = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64') }).getWeights();
  const baseline = new Trainer({ spec: { ...spec, epochs: 5 }, train, validation: null, backend: referenceBackend('float64') });
  const others = Array.from({ length: train.count }, (_, i) => i).filter((i) => i !== a);
  const allVal = Array.from({ length: validation.count }, (_, i) => i);
  let w = initial;
  for (const [k, p] of r.series.entries()) {
    if (k > 0) {
      w = step(w, a);
      baseline.trainStep();
    }
    assert.equal(p.update, k);
    close(p.exampleLoss, lossAt(w, a), 1e-10, `update ${k}: the example's loss`);
    close(p.otherExamplesLoss, meanLoss(w, train, others), 1e-10, `update ${k}: the other examples' loss`);
    close(p.validationLoss!, meanLoss(w, validation, allVal), 1e-10, `update ${k}: validation loss`);
    const acc = batchGradients(spec, w, validation, allVal).filter((e, i) => e.prediction === validation.y[i]).length / 6;
    assert.equal(p.validationAccuracy, acc, `update ${k}: validation accuracy`);
    const b = baseline.getWeights();
    close(p.baselineExampleLoss, lossAt(b, a), 1e-10, `update ${k}: the example's loss under normal training`);
    close(p.baselineValidationLoss!, meanLoss(b, validation, allVal), 1e-10, `update ${k}: normal training's validation loss`);
  }
  const last = r.series[4];
  assert.deepEqual(
    [r.initialExampleLoss, r.finalExampleLoss, r.initialValidationLoss, r.finalValidationLoss, r.finalValidationAccuracy],
    [r.series[0].exampleLoss, last.exampleLoss, r.series[0].validationLoss, last.validationLoss, last.validationAccuracy],
  );
  assert.deepEqual(
    [r.baselineValidationLoss, r.baselineValidationAccuracy, r.initialOtherExamplesLoss, r.finalOtherExamplesLoss],
    [last.baselineValidationLoss, last.baselineValidationAccuracy, r.series[0].otherExamplesLoss, last.otherExamplesLoss],
  );
});

test('repeat stops at the first update under the fraction, and forgetting fits the first example of another label', () => {
  const a = 0;
  const r = repeatOneExample({ spec, train, validation: null, example: a, times: 50, untilFraction: 0.5 });
  const losses = r.series.map((p) => p.exampleLoss);
  assert.ok(losses[losses.length - 1] < 0.5 * losses[0], 'stopped under half');
  assert.ok(
    losses.slice(0, -1).every((l) => l >= 0.5 * losses[0]),
    'and not before',
  );
  assert.equal(r.finalValidationLoss, null);
  const b = Array.from({ length: train.count }, (_, i) => i).find((i) => i !== a && train.y[i] !== train.y[a])!;
  const f = r.forgetting!;
  assert.deepEqual(f.exampleB, { index: b, label: train.y[b] });
  // From the weights that fit A, B is fitted by the same reference steps; A's loss is followed.
  const initial = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64') }).getWeights();
  let w = initial;
  for (let k = 0; k < r.updates; k++) w = step(w, a);
  close(f.lossAFitted, lossAt(w, a), 1e-10, 'A fitted');
  const lossB0 = lossAt(w, b);
  assert.equal(f.series.length, f.updates + 1);
  for (const [j, p] of f.series.entries()) {
    if (j > 0) w = step(w, b);
    assert.equal(p.update, j);
    close(p.lossA, lossAt(w, a), 1e-10, `B update ${j}: A's loss`);
    close(p.lossB, lossAt(w, b), 1e-10, `B update ${j}: B's loss`);
  }
  assert.ok(f.series[f.series.length - 1].lossB < 0.5 * lossB0);
  assert.ok(f.series.slice(0, -1).every((p) => p.lossB >= 0.5 * lossB0));
  assert.equal(f.lossAAfterB, f.series[f.series.length - 1].lossA);
});

test('repeat: example 0 by default, at least one update, and the refusals', () => {
  const r = repeatOneExample({ spec, train, validation: null, times: 0 });
  assert.equal(r.example.index, 0);
  assert.equal(r.updates, 1, 'times below 1 still makes one update');
  for (const bad of [-1, 1.5, 12])
    assert.throws(() => repeatOneExample({ spec, train, validation: null, example: bad }), {
      name: 'RangeError',
      message: `example ${bad} is not a training example: choose 0 to 11`,
    });
  const one = { ...train, count: 1, x: train.x.slice(0, 4), y: train.y.slice(0, 1) };
  const lone = repeatOneExample({ spec, train: one, validation: null, times: 2 });
  assert.equal(lone.forgetting, null, 'no example of another label');
  // With no other example, the "others" are the example itself.
  assert.equal(lone.series[0].otherExamplesLoss, lone.series[0].exampleLoss);
});

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
const LAST =
  'That is why training does not repeat an example until it is right: each example is back-propagated once per pass, and each update follows the mean gradient of a batch of many.';

test('the conclusion, word for word, when repeating did no harm', () => {
  assert.equal(
    concludeRepeat(base),
    [
      "Updating on example #1 (label 3) alone, 10 times with γ = 0.01 (the file's rate ÷ 10, one example's share), took its loss from 2.00 to 0.0100 (0.50 % of its start).",
      'Over those updates the validation loss went from 2.30 to 0.500 (accuracy 90.0 %), while normal shuffled training with batches of 10 made the same 10 updates and reached 1.00 (accuracy 70.0 %): here repeating one example did not generalise worse than normal training.',
      'The mean loss of the other training examples went from 2.30 to 2.00.',
      "Then fitting example #2 (label 4) the same way left #1's loss at 0.00500 (from 0.0100).",
      LAST,
    ].join(' '),
  );
});

test('the conclusion, word for word, when it did harm, with tiny losses and no accuracy', () => {
  const worse: RepeatResult = {
    ...base,
    finalExampleLoss: 0.0004,
    finalValidationLoss: 1.5,
    finalValidationAccuracy: null,
    finalOtherExamplesLoss: 2.5,
    forgetting: { ...base.forgetting!, lossAAfterB: 0.8 },
  };
  assert.equal(
    concludeRepeat(worse),
    [
      "Updating on example #1 (label 3) alone, 10 times with γ = 0.01 (the file's rate ÷ 10, one example's share), took its loss from 2.00 to 4.0e-4 (0.02 % of its start).",
      'Over those updates the validation loss went from 2.30 to 1.50 (accuracy n/a), while normal shuffled training with batches of 10 made the same 10 updates and reached 1.00 (accuracy 70.0 %): the repeated example was learned, the task was not.',
      'The mean loss of the other training examples went from 2.30 to 2.50, up: fitting one example pushed the others away.',
      "Then fitting example #2 (label 4) the same way raised #1's loss again, from 0.0100 to 0.800: what one example taught, the next undid.",
      LAST,
    ].join(' '),
  );
  // A share of 1 % or more has one decimal; no validation and no forgetting leave their sentences out.
  const plain = concludeRepeat({ ...base, finalExampleLoss: 0.5, finalValidationLoss: null, forgetting: null });
  assert.equal(
    plain,
    [
      "Updating on example #1 (label 3) alone, 10 times with γ = 0.01 (the file's rate ÷ 10, one example's share), took its loss from 2.00 to 0.500 (25.0 % of its start).",
      'The mean loss of the other training examples went from 2.30 to 2.00.',
      LAST,
    ].join(' '),
  );
  assert.match(concludeRepeat({ ...base, finalExampleLoss: 0.02 }), /\(1\.0 % of its start\)/, 'exactly 1 % has one decimal');
  for (const missing of ['baselineValidationLoss', 'initialValidationLoss'] as const)
    assert.doesNotMatch(concludeRepeat({ ...base, [missing]: null }), /validation loss went/, missing);
});

test('an untilFraction of 1 makes exactly one update on A and one on B (each lowers its own loss)', () => {
  const r = repeatOneExample({ spec, train, validation: null, example: 2, times: 10, untilFraction: 1 });
  assert.equal(r.updates, 1);
  assert.ok(r.finalExampleLoss < r.initialExampleLoss);
  assert.equal(r.forgetting!.updates, 1);
  assert.ok(r.forgetting!.series[1].lossB < r.forgetting!.series[0].lossB);
});

test('the conclusion at equal numbers: no "worse", no "up", no "raised" when nothing rose', () => {
  const even: RepeatResult = {
    ...base,
    finalValidationLoss: 1,
    finalOtherExamplesLoss: 2.3,
    forgetting: { ...base.forgetting!, lossAAfterB: 0.01 },
  };
  assert.equal(
    concludeRepeat(even),
    [
      "Updating on example #1 (label 3) alone, 10 times with γ = 0.01 (the file's rate ÷ 10, one example's share), took its loss from 2.00 to 0.0100 (0.50 % of its start).",
      'Over those updates the validation loss went from 2.30 to 1.00 (accuracy 90.0 %), while normal shuffled training with batches of 10 made the same 10 updates and reached 1.00 (accuracy 70.0 %): here repeating one example did not generalise worse than normal training.',
      'The mean loss of the other training examples went from 2.30 to 2.30.',
      "Then fitting example #2 (label 4) the same way left #1's loss at 0.0100 (from 0.0100).",
      LAST,
    ].join(' '),
  );
});
