import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyUpdate, createOptimizerState } from '../../../src/engine/optimizers';
import { referenceBackend } from '../../../src/engine/reference';
import { optimizer } from './helpers';

const backend = referenceBackend('float64');
function run(over: Parameters<typeof optimizer>[0], theta: number[], grads: number[][], isWeight = true): number[] {
  const spec = optimizer(over);
  const state = createOptimizerState(spec, backend, theta.length);
  const value = Float64Array.from(theta),
    update = new Float64Array(theta.length);
  grads.forEach((g, t) => applyUpdate(spec, state, t + 1, isWeight, value, Float64Array.from(g), update));
  return Array.from(value);
}
const close = (a: number[], b: number[]) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-14, `${v} vs ${b[i]}`));

test('plain SGD: θ − γ·g; weight decay adds wd·θ for weights only', () => {
  close(run({ learningRate: 0.1 }, [1, -2], [[0.5, 1]]), [1 - 0.05, -2 - 0.1]);
  close(run({ learningRate: 0.1, weightDecay: 0.01 }, [1, -2], [[0.5, 1]]), [1 - 0.1 * (0.5 + 0.01), -2 - 0.1 * (1 - 0.02)]);
  close(run({ learningRate: 0.1, weightDecay: 0.01 }, [1, -2], [[0.5, 1]], false), [1 - 0.05, -2 - 0.1]);
});

test('momentum and Nesterov over two steps', () => {
  const g1 = 0.5,
    g2 = -0.2,
    lr = 0.1,
    mu = 0.9;
  // momentum: v1 = g1, θ1 = θ0 − lr·v1; v2 = μv1 + g2, θ2 = θ1 − lr·v2
  const v1 = g1,
    v2 = mu * v1 + g2;
  close(run({ learningRate: lr, momentum: mu }, [1], [[g1], [g2]]), [1 - lr * v1 - lr * v2]);
  // Nesterov: step = g + μ·v
  close(run({ learningRate: lr, momentum: mu, nesterov: true }, [1], [[g1], [g2]]), [
    1 - lr * (g1 + mu * v1) - lr * (g2 + mu * v2),
  ]);
});

test('Adam with bias correction over two steps', () => {
  const lr = 0.01,
    b1 = 0.9,
    b2 = 0.999,
    eps = 1e-8,
    g = [0.3, -0.1];
  let m = 0,
    v = 0,
    theta = 2;
  g.forEach((gt, i) => {
    const t = i + 1;
    m = b1 * m + (1 - b1) * gt;
    v = b2 * v + (1 - b2) * gt * gt;
    theta -= (lr * (m / (1 - b1 ** t))) / (Math.sqrt(v / (1 - b2 ** t)) + eps);
  });
  close(
    run(
      { type: 'adam', learningRate: lr },
      [2],
      g.map((x) => [x]),
    ),
    [theta],
  );
  // The first Adam step moves every coordinate by about lr, whatever the gradient's scale.
  const first = run({ type: 'adam', learningRate: lr }, [0, 0], [[1e-3, -50]]);
  close(
    first.map((x) => Math.round(x * 1e6) / 1e6),
    [-lr, lr],
  );
});
