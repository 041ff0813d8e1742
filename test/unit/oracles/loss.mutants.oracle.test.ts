// Hand-computed cases for computeLoss (src/engine/loss.ts) that the loss tests did not pin: ties
// and neighbouring rows in the argmax, a run without a seed, more classes than the exponential
// scratch row first holds, and cross-entropy counting correct predictions over several examples.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { computeLoss } from '../../../src/engine/loss';

const close = (a: number, b: number, tol = 1e-14): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('the prediction is the FIRST largest output, and only its own row is read', () => {
  // row 0: a tie (1, 1, 0) → class 0; row 1: (0, 2, 2) → class 1; row 2: (0, 0.5, 0.25) → 1,
  // although the next row starts with 9 (a scan past the row would pick class 3 of row 2 = row 3's 0)
  const out = Float64Array.of(1, 1, 0, 0, 2, 2, 0, 0.5, 0.25, 9, 0, 0);
  const per = new Float64Array(4),
    pred = new Int32Array(4),
    seed = new Float64Array(12);
  const r = computeLoss('mse', out, Int32Array.of(0, 1, 1, 0), 4, 3, per, pred, seed);
  assert.deepEqual(Array.from(pred), [0, 1, 1, 0]);
  assert.equal(r.correct, 4);
  // mse by hand: ½(0 + 1 + 0) = 0.5; ½(0 + 1 + 4) = 2.5; ½(0 + 0.25 + 0.0625) = 0.15625; ½(64 + 0 + 0) = 32
  assert.deepEqual(Array.from(per), [0.5, 2.5, 0.15625, 32]);
  close(r.loss, (0.5 + 2.5 + 0.15625 + 32) / 4);
});

test('cross-entropy over 3 examples: losses, seeds, and the correct count (hand-computed)', () => {
  // row 0: (0, ln 3), label 1 → softmax (¼, ¾), L = ln 4 − ln 3, correct
  // row 1: (ln 2, 0), label 1 → softmax (⅔, ⅓), L = ln 3, wrong
  // row 2: (5, 5),    label 0 → softmax (½, ½), L = ln 2, correct (the tie goes to class 0)
  const out = Float64Array.of(0, Math.log(3), Math.log(2), 0, 5, 5);
  const per = new Float64Array(3),
    pred = new Int32Array(3),
    seed = new Float64Array(6);
  const r = computeLoss('cross-entropy', out, Int32Array.of(1, 1, 0), 3, 2, per, pred, seed);
  close(per[0], Math.log(4 / 3));
  close(per[1], Math.log(3));
  close(per[2], Math.log(2));
  close(r.loss, (Math.log(4 / 3) + Math.log(3) + Math.log(2)) / 3);
  assert.deepEqual(Array.from(pred), [1, 0, 0]);
  assert.equal(r.correct, 2);
  const want = [0.25, 0.75 - 1, 2 / 3, 1 / 3 - 1, 0.5 - 1, 0.5];
  want.forEach((w, k) => close(seed[k], w));
});

test('without a seed buffer only the losses are computed (mse and cross-entropy)', () => {
  for (const kind of ['mse', 'cross-entropy'] as const) {
    const per = new Float64Array(1),
      pred = new Int32Array(1);
    const r = computeLoss(kind, Float64Array.of(0, Math.log(3)), Int32Array.of(0), 1, 2, per, pred, null);
    close(r.loss, kind === 'mse' ? 0.5 * (1 + Math.log(3) ** 2) : Math.log(4));
    assert.equal(pred[0], 1);
  }
});

test('cross-entropy with 100 classes (more than the first scratch row): uniform logits give ln 100', () => {
  const classes = 100;
  const out = new Float64Array(classes); // all 0 → softmax 1/100 each
  const per = new Float64Array(1),
    pred = new Int32Array(1),
    seed = new Float64Array(classes);
  const r = computeLoss('cross-entropy', out, Int32Array.of(70), 1, classes, per, pred, seed);
  close(r.loss, Math.log(100));
  for (let j = 0; j < classes; j++) close(seed[j], 0.01 - (j === 70 ? 1 : 0), 1e-15);
  assert.equal(pred[0], 0);
  assert.equal(r.correct, 0);
});

test('the seed is written for the m examples only: a longer reused buffer keeps its tail', () => {
  const seed = Float64Array.of(0, 0, 0, 0, 7, 7);
  const r = computeLoss(
    'cross-entropy',
    Float64Array.of(0, Math.log(3), 0, 0, 0, 0),
    Int32Array.of(0, 0, 0),
    2,
    2,
    new Float64Array(3),
    new Int32Array(3),
    seed,
  );
  close(r.loss, (Math.log(4) + Math.log(2)) / 2);
  assert.deepEqual(Array.from(seed.subarray(4)), [7, 7]);
});
