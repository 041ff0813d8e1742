import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradientCheck } from '../../../src/engine/gradcheck';
import { referenceBackend } from '../../../src/engine/reference';
import type { Backend } from '../../../src/engine/backend';
import { conv, dense, makeSpec, randomDataset } from './helpers';

const spec = makeSpec(
  [conv(3, 3, 1, 'same', 'relu'), { type: 'maxpool2d', poolSize: 2, stride: 2 }, { type: 'flatten' }, dense(5, 'tanh'), dense(3)],
  { dtype: 'float32' },
);
const data = randomDataset(6, 20, [1, 7, 7], 3);

test('gradientCheck passes on a small conv + dense network (in float64 even for a float32 spec)', () => {
  const r = gradientCheck(spec, data);
  assert.equal(r.tolerance, 1e-5);
  assert.deepEqual(
    r.layers.map((l) => l.layer),
    [0, 3, 4],
  );
  for (const l of r.layers) {
    assert.ok(l.passed, `${l.name}: ${l.maxRelativeError}`);
    assert.equal(
      l.checked,
      Math.min(12, l.layer === 0 ? 27 : l.layer === 3 ? 45 * 5 : 15) + (l.layer === 0 ? 3 : l.layer === 3 ? 5 : 3),
    );
  }
  assert.ok(r.passed);
});

test('gradientCheck fails when the backward pass is wrong', () => {
  // A backend whose Aᵀ·B (used only by backward: dense weight gradients) is 1% off.
  const ref = referenceBackend('float64');
  const broken: Backend = {
    ...ref,
    name: 'broken',
    gemm(tA, tB, m, n, k, alpha, a, b, beta, c) {
      ref.gemm(tA, tB, m, n, k, tA && !tB ? alpha * 1.01 : alpha, a, b, beta, c);
    },
  };
  const r = gradientCheck(spec, data, { backend: broken });
  assert.equal(r.passed, false);
  const failed = r.layers.filter((l) => !l.passed).map((l) => l.layer);
  assert.deepEqual(failed, [3, 4]);
  assert.ok(r.layers.find((l) => l.layer === 3)!.maxRelativeError > 1e-3);
});

test('gradientCheck handles ReLU kinks at exactly 0 (blank image borders with zero biases)', () => {
  // Like MNIST: a zero background makes conv pre-activations exactly 0 (= the zero bias), where
  // ReLU has no derivative; a plain central difference there disagrees with backprop by up to 100%.
  const images = randomDataset(6, 8, [1, 8, 8], 3);
  for (let i = 0; i < 8; i++)
    for (let r = 0; r < 8; r++)
      for (let c = 0; c < 8; c++) {
        if (r < 3 || c < 3) images.x[i * 64 + r * 8 + c] = 0;
      }
  const kinky = makeSpec([
    conv(3, 3, 1, 'same', 'relu'),
    { type: 'maxpool2d', poolSize: 2, stride: 2 },
    conv(2, 3, 1, 'same', 'relu'),
    { type: 'flatten' },
    dense(3),
  ]);
  // 5e-7, not the default 1e-5: the one-sided second-order difference is that exact here (its
  // 3-point formula rounds to about 1e-7), so a first-order or wrong-sided difference fails.
  const r = gradientCheck(kinky, images, { samples: 40, tolerance: 5e-7 });
  for (const l of r.layers) assert.ok(l.passed && l.checked > 0, `${l.name}: ${l.maxRelativeError} over ${l.checked}`);
});
