import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeLoss } from '../../../src/engine/loss';

test('mse is the mean over examples of ½‖f(x) − onehot(y)‖², seed f − y (hand-computed, 2 examples)', () => {
  // Example 0: out (0.5, −1, 2), label 2 → diff (0.5, −1, 1) → ½(0.25 + 1 + 1) = 1.125
  // Example 1: out (1, 0, 0),    label 0 → diff (0, 0, 0)   → 0
  const out = Float64Array.of(0.5, -1, 2, 1, 0, 0);
  const per = new Float64Array(2),
    pred = new Int32Array(2),
    seed = new Float64Array(6);
  const r = computeLoss('mse', out, Int32Array.of(2, 0), 2, 3, per, pred, seed);
  assert.deepEqual(Array.from(per), [1.125, 0]);
  assert.equal(r.loss, 0.5625);
  assert.deepEqual(Array.from(seed), [0.5, -1, 1, 0, 0, 0]);
  assert.deepEqual(Array.from(pred), [2, 0]);
  assert.equal(r.correct, 2);
});

test('cross-entropy: log-softmax NLL with softmax − onehot seed (hand-computed)', () => {
  const out = Float64Array.of(0, Math.log(3)); // softmax (1/4, 3/4)
  const per = new Float64Array(1),
    pred = new Int32Array(1),
    seed = new Float64Array(2);
  const r = computeLoss('cross-entropy', out, Int32Array.of(0), 1, 2, per, pred, seed);
  assert.ok(Math.abs(r.loss - Math.log(4)) < 1e-15);
  assert.ok(Math.abs(seed[0] - (0.25 - 1)) < 1e-15 && Math.abs(seed[1] - 0.75) < 1e-15);
  assert.equal(r.correct, 0);
});

test('cross-entropy stays finite and exact with huge logits, float64 and float32', () => {
  for (const make of [(a: number[]) => Float64Array.from(a), (a: number[]) => Float32Array.from(a)]) {
    const out = make([1e4, -1e4, 0, 3e4, 3e4 - 2, -5e4]);
    const per = new Float64Array(2),
      pred = new Int32Array(2),
      seed = make([0, 0, 0, 0, 0, 0]);
    const r = computeLoss('cross-entropy', out, Int32Array.of(1, 1), 2, 3, per, pred, seed);
    assert.equal(per[0], 2e4); // logsumexp = 1e4 (others underflow), minus z₁ = −1e4
    assert.ok(Math.abs(per[1] - (2 + Math.log1p(Math.exp(-2)))) < 1e-9);
    assert.ok(Number.isFinite(r.loss));
    assert.ok(Array.from(seed).every(Number.isFinite));
    assert.ok(Math.abs(seed[0] - 1) < 1e-12 && Math.abs(seed[1] + 1) < 1e-12);
  }
});
