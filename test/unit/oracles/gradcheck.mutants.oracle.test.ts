// Mutation-oriented tests for src/engine/gradcheck.ts (issue 14). The oracle is the accuracy of
// the finite-difference formula itself, known by hand: with a correct float64 backward pass the
// central difference (L(θ+ε) − L(θ−ε))/2ε and the second-order one-sided difference
// ±(3L(θ) − 4L(θ∓ε) + L(θ∓2ε))/2ε both err by O(ε²) ≈ 1e-12 relative (plus rounding ≈ 1e-10·|L|/|g|),
// while any first-order or wrongly signed variant errs by O(ε) ≈ 1e-6 or by 100 %. A tolerance of
// 1e-7 therefore passes only the stated formulas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradientCheck } from '../../../src/engine/gradcheck';
import { Network } from '../../../src/engine/network';
import { referenceBackend } from '../../../src/engine/reference';
import type { Backend } from '../../../src/engine/backend';
import type { Dataset } from '../../../src/data/dataset';
import type { ModelSpec } from '../../../src/model/spec';
import { dense, makeSpec, randomDataset } from '../engine/helpers';

test('gradcheck: smooth network, central difference, passes a 1e-7 tolerance on every layer', () => {
  const spec = makeSpec([{ type: 'flatten' }, dense(4, 'tanh'), dense(3)]);
  const data = randomDataset(3, 10, [1, 2, 3], 3);
  const r = gradientCheck(spec, data, { tolerance: 1e-7, samples: 30 });
  for (const l of r.layers) assert.ok(l.passed && l.checked > 0, `${l.name}: ${l.maxRelativeError} over ${l.checked}`);
  // All entries of each tensor: 6·4 + 4 and 4·3 + 3.
  assert.deepEqual(
    r.layers.map((l) => l.checked),
    [28, 15],
  );
  assert.ok(r.passed);
});

// Kinks placed by hand. One scalar input x, layers[0] = dense 1→1 (weight w, bias b = 0 at init),
// layers[1] = dense 1→10, so z = w·x per example and a bias perturbation ±ε moves z by exactly ±ε
// (ε = 1e-6, gradcheck's step). With x = 0, z = 0: the +ε side crosses the kink, −ε and −2ε do not.
// With z = ε/2: −ε crosses, +ε and +2ε do not. With z = 1.5ε: ±ε stay, −2ε crosses. Which probes
// stay on the unperturbed side is therefore known by hand, and so is what the check must do with
// the bias entry: a one-sided difference on the side that stays, or skip it (it is then not counted
// in `checked`). The weight entry never crosses (it moves z by ε·x ≤ 1e-12) and is always checked.
const EPS = 1e-6;
const CLASSES = 10;
const model = (activation: 'relu' | 'leaky-relu'): ModelSpec => makeSpec([dense(1, activation), dense(CLASSES)]);
/** The initial w of layers[0] (the setup reads it to place z; gradcheck builds its own network). */
function initialWeight(spec: ModelSpec): number {
  const w = new Network(spec, [1], referenceBackend('float64'), 1).paramLayers[0].params[0].value[0];
  assert.ok(Math.abs(w) > 0.1, `w = ${w}`);
  return w;
}
function scalarData(xs: number[]): Dataset {
  const y = Int32Array.from(xs, (_, i) => i % 2);
  return { name: 'kinks', inputShape: [1], numClasses: CLASSES, count: xs.length, x: Float32Array.from(xs), y };
}
/** The reference backend with the bias gradients (columnSums, dense backward's only use) changed. */
function biasGradBackend(change: (v: number) => number): Backend {
  const ref = referenceBackend('float64');
  return {
    ...ref,
    name: 'bias-changed',
    columnSums(m, n, alpha, beta, x, out) {
      ref.columnSums(m, n, alpha, beta, x, out);
      for (let j = 0; j < n; j++) out[j] = change(out[j]);
    },
  };
}
const counts = (r: { layers: { checked: number }[] }) => r.layers.map((l) => l.checked);

test('gradcheck kinks by hand: z = 0 exactly (leaky ReLU), the −ε side stays, the left one-sided difference is used', () => {
  // Left slope 0.01 (= backprop's f′(0)), right slope 1: the wrong side errs by 0.99/1.01 ≈ 0.98.
  const r = gradientCheck(model('leaky-relu'), scalarData([0, 0]), { tolerance: 1e-6, samples: 50 });
  assert.deepEqual(counts(r), [2, 2 * CLASSES]);
  for (const l of r.layers) assert.ok(l.maxRelativeError < 1e-6, `${l.name}: ${l.maxRelativeError}`);
  assert.ok(r.passed);
});

test('gradcheck kinks by hand: z = ε/2 (ReLU), the −ε side crosses, the right one-sided difference is used', () => {
  const spec = model('relu');
  const w = initialWeight(spec);
  const r = gradientCheck(spec, scalarData([(0.5 * EPS) / w]), { samples: 50 });
  assert.deepEqual(counts(r), [2, 2 * CLASSES]);
  // The weight's gradient x·δ ≈ 3e-7 sits under the floor: its error is the difference's rounding
  // (≈1e-10) over the floor (1e-4·ln 10), about 1e-6. A wrong side errs by 1 (slopes 1 and 0).
  for (const l of r.layers) assert.ok(l.maxRelativeError < 1e-5, `${l.name}: ${l.maxRelativeError}`);
  assert.ok(r.passed);
});

test('gradcheck kinks by hand: z = 0 in one example and ε/2 in the other: both sides cross, the bias is skipped', () => {
  const spec = model('relu');
  const w = initialWeight(spec);
  const data = scalarData([0, (0.5 * EPS) / w]);
  const r = gradientCheck(spec, data, { samples: 50 });
  assert.deepEqual(counts(r), [1, 2 * CLASSES]);
  for (const l of r.layers) assert.ok(l.maxRelativeError < 1e-5, `${l.name}: ${l.maxRelativeError}`);
  assert.ok(r.passed);
  // A batch of 50 is clamped to the 2 examples (one example alone would leave one side smooth: 2 checked).
  assert.deepEqual(counts(gradientCheck(spec, data, { samples: 50, batch: 50 })), [1, 2 * CLASSES]);
  assert.deepEqual(counts(gradientCheck(spec, data, { samples: 50, batch: 1 })), [2, 2 * CLASSES]);
});

test('gradcheck kinks by hand: z = 0 and z = 1.5ε: −ε stays but −2ε crosses, so no one-sided difference: skipped', () => {
  // (The 3-point formula across the second kink would give 0.625·g against backprop's 0.5·g.)
  const spec = model('relu');
  const w = initialWeight(spec);
  const r = gradientCheck(spec, scalarData([0, (1.5 * EPS) / w]), { samples: 50 });
  assert.deepEqual(counts(r), [1, 2 * CLASSES]);
  for (const l of r.layers) assert.ok(l.maxRelativeError < 1e-5, `${l.name}: ${l.maxRelativeError}`);
});

test('gradcheck error measure below the floor: |a − n| / (1e-4·max(1, |L|)), with L = ln 10 by hand', () => {
  // x = 0: every logit is 0, so L = ln 10 exactly, and the true bias gradient of layers[0] is 0
  // (ReLU′(0) = 0; the left one-sided difference of a flat loss is 0 up to one rounding). A backward
  // that adds 1e-6 to every bias gradient then errs there by 1e-6 / (1e-4·ln 10); the weight's
  // error is exactly 0 (x = 0 on both sides of the difference).
  const r = gradientCheck(model('relu'), scalarData([0, 0]), { samples: 50, backend: biasGradBackend((v) => v + 1e-6) });
  const expected = 1e-6 / (1e-4 * Math.log(10));
  const got = r.layers[0].maxRelativeError;
  assert.ok(Math.abs(got - expected) < 1e-4 * expected, `${got} vs ${expected}`);
  assert.equal(r.layers[0].passed, false);
});

test('gradcheck error measure above the floor: analytic 0 against a nonzero numeric is exactly 1, and 1 ≤ tolerance 1 passes', () => {
  // x = 0, labels 0 and 1: the bias gradients of layers[1] are 1/10 − (share of the class) ∈
  // {−0.4, 0.1}, all above the floor; a backward that zeroes them errs by |0 − n| / |n| = 1 exactly.
  // Every weight gradient of both layers is exactly 0 both ways (x = 0, ReLU(0) = 0): error 0.
  const data = scalarData([0, 0]);
  const zeroBias = biasGradBackend(() => 0);
  const at1 = gradientCheck(model('relu'), data, { samples: 50, tolerance: 1, backend: zeroBias });
  assert.equal(at1.layers[1].maxRelativeError, 1);
  assert.equal(at1.layers[1].passed, true);
  const below = gradientCheck(model('relu'), data, { samples: 50, tolerance: 1 - 1e-12, backend: zeroBias });
  assert.equal(below.layers[1].passed, false);
  assert.equal(below.passed, false);
});

test('gradcheck: a NaN gradient makes its layer fail with a NaN error, whatever the order of the entries', () => {
  const r = gradientCheck(model('relu'), scalarData([0.5, -0.25, 1]), { samples: 50, backend: biasGradBackend(() => NaN) });
  for (const l of r.layers) {
    assert.ok(Number.isNaN(l.maxRelativeError), `${l.name}: ${l.maxRelativeError}`);
    assert.equal(l.passed, false);
  }
  assert.equal(r.passed, false);
});

test('gradcheck: a layer with no entry checked (samples 0) does not pass; layer names', () => {
  const r = gradientCheck(model('relu'), scalarData([0.5, -0.25]), { samples: 0 });
  assert.deepEqual(
    r.layers.map((l) => [l.layer, l.name, l.checked, l.passed]),
    [
      [0, 'layers[0] dense 1→1 relu', 0, false],
      [1, 'layers[1] dense 1→10', 0, false],
    ],
  );
  assert.equal(r.passed, false);
});
