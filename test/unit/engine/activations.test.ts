// Every activation of the model format has math, and its backward is the derivative of its forward
// (float64 central differences); GELU in particular, alone and inside a network's gradient check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACTIVATIONS } from '../../../src/model/fields';
import { ACTIVATION_MATH } from '../../../src/engine/activations';
import { gradientCheck } from '../../../src/engine/gradcheck';
import { Rng } from '../../../src/engine/random';
import { conv, dense, makeSpec, randomDataset } from './helpers';

test('every activation of the model format: backward = finite difference of forward (float64)', () => {
  const rng = new Rng(11);
  for (const a of ACTIVATIONS) {
    const { forward, backward } = ACTIVATION_MATH[a];
    for (let t = 0; t < 200; t++) {
      const z = (rng.next() * 2 - 1) * 6;
      if (Math.abs(z) < 1e-3) continue; // relu and leaky-relu have their kink at 0
      const h = 1e-6;
      const fd = (forward(z + h) - forward(z - h)) / (2 * h);
      const g = rng.next() * 2 - 1;
      const got = backward(z, forward(z), g);
      assert.ok(Math.abs(got - g * fd) <= 1e-7 + 1e-6 * Math.abs(g * fd), `${a}'(${z}): ${got / g} vs finite difference ${fd}`);
    }
  }
});

test('gelu is the tanh approximation: known values, NaN stays NaN', () => {
  const { forward } = ACTIVATION_MATH.gelu;
  // 0.5·z·(1 + tanh(√(2/π)·(z + 0.044715·z³))), evaluated independently
  const want = (z: number) => 0.5 * z * (1 + Math.tanh(0.7978845608028654 * (z + 0.044715 * z ** 3)));
  for (const z of [-3, -1, -0.5, 0, 0.5, 1, 3]) assert.ok(Math.abs(forward(z) - want(z)) < 1e-14, `gelu(${z})`);
  assert.ok(Math.abs(forward(1) - 0.8411919906082768) < 1e-12);
  assert.equal(forward(0), 0);
  assert.ok(Number.isNaN(forward(NaN)));
  // far left, where 1 + tanh u would cancel to nothing: z·σ(2u) keeps its digits
  const z = -7.2,
    u = 0.7978845608028654 * (z + 0.044715 * z ** 3);
  assert.ok(Math.abs(forward(z) / (z / (1 + Math.exp(-2 * u))) - 1) < 1e-12);
  assert.equal(ACTIVATION_MATH.gelu.backward(-1000, 0, 1), 0);
});

test('gradientCheck passes with gelu as a fused activation and as a layer of its own', () => {
  const spec = makeSpec([conv(3, 3, 1, 'same', 'gelu'), { type: 'flatten' }, dense(6, 'gelu'), { type: 'gelu' }, dense(3)]);
  const r = gradientCheck(spec, randomDataset(5, 12, [1, 5, 5], 3));
  for (const l of r.layers) assert.ok(l.passed, `${l.name}: ${l.maxRelativeError}`);
  assert.ok(r.passed);
});
