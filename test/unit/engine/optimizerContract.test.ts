// The optimizer's contract beyond the update formula (which optimizers.test.ts and the float64
// oracle check): each optimizer keeps only the state it needs, a backend's sgdStep touches exactly
// the n values it is given, and momentum without a velocity buffer is refused with a clear message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Trainer } from '../../../src/engine/trainer';
import { referenceBackend } from '../../../src/engine/reference';
import { dense, makeSpec, optimizer, randomDataset } from './helpers';
import type { OptimizerSpec } from '../../../src/model/spec';

function stateSizes(o: OptimizerSpec): { first: number; second: number | null; params: number } {
  const spec = makeSpec([dense(3, 'tanh'), dense(2)], { optimizer: o, batchSize: 2 });
  const t = new Trainer({ spec, train: randomDataset(5, 4, [4], 2), validation: null });
  t.trainStep();
  const s = t.optimizerState(0, 'weight');
  return { first: s.first.length, second: s.second ? s.second.length : null, params: t.parameter(0, 'weight').length };
}

test('plain SGD keeps no optimizer state, momentum a velocity per parameter, Adam both moments', () => {
  const plain = stateSizes(optimizer({ learningRate: 0.1 }));
  assert.deepEqual([plain.first, plain.second], [0, null], 'plain SGD: nothing per parameter');
  const momentum = stateSizes(optimizer({ learningRate: 0.1, momentum: 0.9 }));
  assert.deepEqual([momentum.first, momentum.second], [momentum.params, null], 'momentum: the velocity only');
  const nesterov = stateSizes(optimizer({ learningRate: 0.1, momentum: 0.5, nesterov: true }));
  assert.deepEqual([nesterov.first, nesterov.second], [nesterov.params, null], 'Nesterov: the velocity only');
  const adam = stateSizes(optimizer({ type: 'adam', learningRate: 0.01 }));
  assert.deepEqual([adam.first, adam.second], [adam.params, adam.params], 'Adam: m and v');
});

for (const dtype of ['float64', 'float32'] as const) {
  test(`${dtype} reference sgdStep updates exactly the first n values (hand-computed), the rest untouched`, () => {
    const be = referenceBackend(dtype);
    const r = (x: number) => (dtype === 'float32' ? Math.fround(x) : x);
    const close = (a: number, b: number, what: string) =>
      assert.ok(Math.abs(a - b) <= (dtype === 'float32' ? 1e-6 : 1e-15), `${what}: ${a} vs ${b}`);
    for (const [momentum, nesterov] of [
      [0, false],
      [0.5, false],
      [0.5, true],
    ] as const) {
      const value = be.alloc(3),
        grad = be.alloc(3),
        update = be.alloc(3),
        velocity = be.alloc(3);
      value.set([1, -2, 7]);
      grad.set([0.5, 1, 3]);
      update.set([0, 0, 42]);
      velocity.set([0.2, -0.4, 9]);
      be.sgdStep(2, 0.1, 0.01, momentum, nesterov, grad, value, momentum ? velocity : null, update);
      const theta = [1, -2],
        g0 = [0.5, 1],
        v0 = [0.2, -0.4];
      for (let i = 0; i < 2; i++) {
        const g = g0[i] + 0.01 * theta[i];
        const v = momentum * v0[i] + g;
        const step = momentum === 0 ? g : nesterov ? g + momentum * v : v;
        const at = `μ=${momentum} nesterov=${nesterov} [${i}]`;
        close(value[i], theta[i] - 0.1 * step, `${at} θ`);
        close(update[i], value[i] - r(theta[i]), `${at} Δθ`);
        if (momentum) close(velocity[i], v, `${at} velocity`);
      }
      assert.deepEqual([value[2], update[2], velocity[2], grad[2]], [7, 42, 9, 3], `entry n untouched (μ=${momentum})`);
    }
  });
}

test('sgdStep with momentum but no velocity buffer says so', () => {
  const be = referenceBackend('float64');
  const a = () => be.alloc(2);
  assert.throws(() => be.sgdStep(2, 0.1, 0, 0.9, false, a(), a(), null, a()), /momentum needs a velocity buffer/);
  // Without momentum no buffer is needed.
  assert.doesNotThrow(() => be.sgdStep(2, 0.1, 0, 0, false, a(), a(), null, a()));
});
