// Mutation-oriented tests for src/engine/activations.ts (issue 14). The finite-difference test in
// engine/activations.test.ts skips |z| < 1e-3 and checks 1e-6 relative; here are the values it
// cannot see: the kinks (f′(0) as documented), the non-finite rules, the far tails where the
// formulas overflow, and GELU's derivative to 1e-13 against its closed form written out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACTIVATIONS } from '../../../src/model/fields';
import { ACTIVATION_MATH, GELU_CUBIC, GELU_SCALE, isReluLike } from '../../../src/engine/activations';

const { relu, sigmoid, gelu } = ACTIVATION_MATH;
const leaky = ACTIVATION_MATH['leaky-relu'];

test('relu and leaky ReLU at the kink: f(0) = 0, relu′(0) = 0, leaky′(0) = 0.01; either side', () => {
  assert.equal(relu.forward(0), 0);
  assert.equal(relu.forward(-2), 0);
  assert.equal(relu.forward(3), 3);
  assert.equal(relu.backward(0, 0, 5), 0);
  assert.equal(relu.backward(-1e-300, 0, 5), 0);
  assert.equal(relu.backward(1e-300, 1e-300, 5), 5);
  assert.equal(leaky.forward(0), 0);
  assert.equal(leaky.forward(-2), -0.02);
  assert.equal(leaky.forward(3), 3);
  assert.equal(leaky.backward(0, 0, 5), 0.05);
  assert.equal(leaky.backward(-3, -0.03, 5), 0.05);
  assert.equal(leaky.backward(1e-300, 1e-300, 5), 5);
});

test('non-finite values: a NaN input stays NaN forward; where f′ = 0 the gradient is exactly 0 even for a NaN g', () => {
  for (const a of ACTIVATIONS) assert.ok(Number.isNaN(ACTIVATION_MATH[a].forward(NaN)), a);
  assert.equal(relu.backward(-1, 0, NaN), 0);
  assert.equal(relu.backward(0, 0, Infinity), 0);
  assert.ok(Number.isNaN(relu.backward(1, 1, NaN)));
  assert.ok(Number.isNaN(leaky.backward(-1, -0.01, NaN)));
  assert.equal(ACTIVATION_MATH.linear.backward(2, 2, -7), -7);
});

test('sigmoid in its tails: σ(0) = 1/2, σ(800) = 1 (no ∞/∞), σ(−720) = e^−720 (no 1/(1 + ∞) = 0)', () => {
  assert.equal(sigmoid.forward(0), 0.5);
  assert.equal(sigmoid.forward(800), 1);
  // e^720 overflows, e^−720 ≈ 2.9e−313 is a subnormal: σ(−720) = e^−720/(1 + e^−720) = e^−720 in float64.
  assert.ok(Math.exp(-720) > 0);
  assert.equal(sigmoid.forward(-720), Math.exp(-720));
  assert.equal(sigmoid.forward(-800), 0);
  // σ′ = σ(1 − σ): at 0, 1/4 of g.
  assert.equal(sigmoid.backward(0, 0.5, 2), 0.5);
});

test('gelu′ against the closed form of the tanh approximation, to 1e-13', () => {
  // d/dz 0.5·z·(1 + tanh u) = 0.5·(1 + tanh u) + 0.5·z·(1 − tanh²u)·u′, u = c·(z + k·z³), u′ = c·(1 + 3k·z²)
  const c = Math.sqrt(2 / Math.PI),
    k = 0.044715;
  const want = (z: number) => {
    const t = Math.tanh(c * (z + k * z ** 3));
    return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * c * (1 + 3 * k * z * z);
  };
  for (const z of [-4, -2.5, -1, -0.3, 0, 0.7, 1, 2, 5]) {
    const got = gelu.backward(z, gelu.forward(z), 1.5);
    assert.ok(Math.abs(got - 1.5 * want(z)) < 1e-13, `gelu′(${z}): ${got / 1.5} vs ${want(z)}`);
  }
  assert.equal(gelu.backward(0, 0, 3), 1.5);
  assert.equal(GELU_SCALE, c);
  assert.equal(GELU_CUBIC, k);
});

test('gelu far left: e^−2u overflows, σ(2u) and its slope are 0, so g·0 = 0 (also for g = 0)', () => {
  for (const g of [1, -2, 0]) assert.ok(gelu.backward(-1000, 0, g) === 0, `g = ${g}`);
  assert.equal(gelu.forward(-1000), -0);
});

test('isReluLike: exactly relu and leaky-relu of the activations', () => {
  assert.deepEqual(
    ACTIVATIONS.filter((a) => isReluLike(a)),
    ['relu', 'leaky-relu'],
  );
  assert.equal(isReluLike('dense'), false);
});

test('the formulas as documented', () => {
  assert.deepEqual(Object.fromEntries(ACTIVATIONS.map((a) => [a, ACTIVATION_MATH[a].formula])), {
    linear: 'z',
    relu: 'max(0, z)',
    'leaky-relu': 'z for z > 0, 0.01·z otherwise',
    tanh: 'tanh(z)',
    sigmoid: '1 / (1 + e^−z)',
    gelu: '0.5·z·(1 + tanh(√(2/π)·(z + 0.044715·z³))), the tanh approximation',
  });
});
