// The update phase (src/engine/update.ts) beyond the formula the float64 oracle checks: an SGD step
// runs on the backend's own sgdStep (the WASM SIMD kernel on float32, where the TypeScript rule
// would give the same numbers only slower), once per parameter tensor, with each tensor's sizes.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Trainer } from '../../../src/engine/trainer';
import { referenceBackend } from '../../../src/engine/reference';
import type { Backend } from '../../../src/engine/backend';
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
