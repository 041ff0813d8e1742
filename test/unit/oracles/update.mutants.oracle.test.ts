// The update phase (src/engine/update.ts) beyond the formula the float64 oracle checks: an SGD step
// runs on the backend's own sgdStep (the WASM SIMD kernel on float32, where the TypeScript rule
// would give the same numbers only slower), once per parameter tensor, with each tensor's sizes.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Trainer } from '../../../src/engine/trainer';
import { referenceBackend } from '../../../src/engine/reference';
import type { Backend } from '../../../src/engine/backend';
import { Network } from '../../../src/engine/network';
import { applyUpdates, trainedParams } from '../../../src/engine/update';
import { dense, makeSpec, optimizer, randomDataset } from '../engine/helpers';

test("every SGD step goes through the backend's sgdStep, once per parameter tensor (plain, momentum, Nesterov)", () => {
  for (const o of [
    optimizer({ learningRate: 0.1 }),
    optimizer({ learningRate: 0.1, momentum: 0.9 }),
    optimizer({ learningRate: 0.1, momentum: 0.5, nesterov: true, weightDecay: 0.01 }),
  ]) {
    const inner = referenceBackend('float64');
    const calls: { n: number; wd: number; velocity: boolean }[] = [];
    const backend: Backend = {
      ...inner,
      sgdStep: (n, lr, wd, momentum, nesterov, grad, value, velocity, update, norms) => {
        calls.push({ n, wd, velocity: velocity !== null });
        return inner.sgdStep(n, lr, wd, momentum, nesterov, grad, value, velocity, update, norms);
      },
    };
    const spec = makeSpec([dense(3, 'tanh'), dense(2)], { optimizer: o, batchSize: 2, dtype: 'float64' });
    const t = new Trainer({ spec, train: randomDataset(5, 4, [4], 2), validation: null, backend });
    t.trainStep();
    // weight then bias of each dense layer: 4×3, 3, 3×2, 2; weight decay on the weights only
    assert.deepEqual(
      calls.map((c) => [c.n, c.wd]),
      [
        [12, o.weightDecay],
        [3, 0],
        [6, o.weightDecay],
        [2, 0],
      ],
    );
    assert.ok(calls.every((c) => c.velocity === (o.momentum !== 0)));
  }
});

test('Adam does not go through sgdStep', () => {
  const inner = referenceBackend('float64');
  let calls = 0;
  const backend: Backend = {
    ...inner,
    sgdStep: (...args) => {
      calls++;
      return inner.sgdStep(...args);
    },
  };
  const spec = makeSpec([dense(2)], {
    optimizer: optimizer({ type: 'adam', learningRate: 0.01 }),
    batchSize: 2,
    dtype: 'float64',
  });
  new Trainer({ spec, train: randomDataset(6, 4, [4], 2), validation: null, backend }).trainStep();
  assert.equal(calls, 0);
});

// What applyUpdates returns decides whether the trainer skips the non-finite checks of every
// gradient and weight (trainer.ts): true must mean every tensor's sgdStep saw only finite values.
function updateOf(o: ReturnType<typeof optimizer>) {
  const backend = referenceBackend('float64');
  const spec = makeSpec([dense(3, 'tanh'), dense(2)], { optimizer: o, batchSize: 2, dtype: 'float64' });
  const params = trainedParams(new Network(spec, [4], backend, 2), o, backend);
  params.forEach((p, j) => p.tensor.grad.fill(0.1 * (j + 1)));
  return { backend, params };
}

test('applyUpdates says true for a clean SGD step and false as soon as one tensor has a non-finite gradient', () => {
  for (const o of [optimizer({ learningRate: 0.1 }), optimizer({ learningRate: 0.1, momentum: 0.9 })]) {
    for (const norms of [null, new Float64Array(12)]) {
      const clean = updateOf(o);
      assert.equal(applyUpdates(clean.params, o, clean.backend, 1, norms), true, `clean, momentum ${o.momentum}`);
      // each of the four tensors (the first, the middle ones, the last) non-finite on its own
      for (let bad = 0; bad < 4; bad++) {
        for (const x of [NaN, Infinity]) {
          const { backend, params } = updateOf(o);
          params[bad].tensor.grad[1] = x;
          assert.equal(applyUpdates(params, o, backend, 1, norms), false, `tensor ${bad} grad ${x}, momentum ${o.momentum}`);
        }
      }
    }
  }
});

test('applyUpdates says false for Adam, whose update checks nothing (so the trainer checks)', () => {
  const o = optimizer({ type: 'adam', learningRate: 0.01 });
  const { backend, params } = updateOf(o);
  assert.equal(applyUpdates(params, o, backend, 1), false);
});
