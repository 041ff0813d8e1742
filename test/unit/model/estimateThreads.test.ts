// The memory estimate against every float the WASM backend really allocates, on one thread and on
// two: the layers' buffers, the statistics' scratch, and with two threads the helper's call list and
// scratch (wasm/split.ts) and the deferred Gram statistics' scratch (wasm/deferredStats.ts, ~300 KB
// on the digits MLP), which the estimate used to leave out, while it counted maxpool argmax indices
// that no layer keeps and a second conv column-gradient block on one thread. Counted at the arena
// (every alloc, the backend's internal ones included), after full-statistics steps.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Trainer } from '../../../src/engine';
import { Arena } from '../../../src/engine/wasm/arena';
import { createWasmBackend } from '../../../src/engine/wasm/backend';
import { nodeSpawnHelper } from '../../../src/engine-host/spawnHelper';
import { EVAL_CHUNK, estimateRun, memoryRefusal } from '../../../src/model/estimate';
import type { LayerSpec, ModelSpec } from '../../../src/model/spec';
import { makeSpec, optimizer, randomDataset } from '../engine/helpers';

/** Floats requested from every arena while fn runs (alignment aside: that is the arena's, not the model's). */
async function arenaFloats(fn: () => Promise<void>): Promise<number> {
  const alloc = Arena.prototype.alloc;
  let floats = 0;
  Arena.prototype.alloc = function (this: Arena, length: number) {
    floats += length;
    return alloc.call(this, length);
  };
  try {
    await fn();
  } finally {
    Arena.prototype.alloc = alloc;
  }
  return floats;
}

const digits: LayerSpec[] = [
  { type: 'dense', units: 128, activation: 'relu' },
  { type: 'dense', units: 64, activation: 'relu' },
  { type: 'dense', units: 10, activation: 'linear' },
];
const cnn: LayerSpec[] = [
  { type: 'conv2d', filters: 4, kernelSize: 3, stride: 1, padding: 'same', activation: 'relu' },
  { type: 'maxpool2d', poolSize: 2, stride: 2 },
  { type: 'conv2d', filters: 6, kernelSize: 3, stride: 1, padding: 'same', activation: 'relu' },
  { type: 'flatten' },
  { type: 'dense', units: 10, activation: 'linear' },
];
const models: [string, ModelSpec, number[]][] = [
  ['the digits MLP', makeSpec(digits, { batchSize: 32, dtype: 'float32', optimizer: optimizer({ momentum: 0.9 }) }), [784]],
  ['a CNN with pooling', makeSpec(cnn, { batchSize: 8, dtype: 'float32' }), [1, 12, 12]],
];
const COUNT = 800;
const VALIDATION = 200;

for (const [name, spec, inputShape] of models)
  for (const threads of [1, 2] as const)
    test(`${name} on ${threads} thread${threads > 1 ? 's' : ''}: the estimate is every float the backend allocates, plus the outputs' JS arrays`, async () => {
      const train = randomDataset(1, COUNT, inputShape, 10);
      let deferred = 0;
      const floats = await arenaFloats(async () => {
        const backend = await createWasmBackend(threads === 2 ? { spawnHelper: nodeSpawnHelper } : {});
        try {
          assert.equal(await backend.helperStarted(0), threads === 2);
          const t = new Trainer({ spec, train, validation: null, backend });
          for (let s = 0; s < 3; s++) t.trainStep();
          deferred = backend.deferredGramStats;
        } finally {
          backend.close();
        }
      });
      // the MLP's first two layers' Gram statistics ran on the helper (so their scratch exists)
      if (threads === 2 && name.includes('MLP')) assert.equal(deferred, 2 * 3);
      const e = estimateRun({ spec, inputShape, numClasses: 10, trainCount: COUNT, evalCount: VALIDATION, threads })!;
      // labels and predictions (int32) and the loss (float64) per example of each network, in JS
      const js = 16 * (e.batch + Math.min(EVAL_CHUNK, COUNT));
      assert.equal(e.runBytes - js, 4 * floats);
    });

test('the two-thread extras are what split.ts and deferredStats.ts allocate for the digits MLP: 600,808 bytes', () => {
  const [, spec, inputShape] = models[0];
  const at = (threads: 1 | 2) => estimateRun({ spec, inputShape, numClasses: 10, trainCount: COUNT, threads })!.runBytes;
  // by hand: split's list 2·4096 + scratch 65536 floats; the Gram scratch of 784→128 and 128→64 at
  // m = 32 (m² + 4m + m4² + m4·p + (m4/4)(p+1) + m·max(p,q) + m·q + 20): 62748 and 13468; their
  // list 2·64·2 + 2 = 258 floats (64→10 goes the direct way: 32·74 ≥ 2·640)
  assert.equal(at(2) - at(1), 4 * (8192 + 65536 + 62748 + 13468 + 258));
});

test('a refusal before the threads are known counts two (the upper bound); given one, one', () => {
  const [, spec, inputShape] = models[0];
  const one = estimateRun({ spec, inputShape, numClasses: 10, trainCount: COUNT, threads: 1 })!.runBytes;
  const two = estimateRun({ spec, inputShape, numClasses: 10, trainCount: COUNT, threads: 2 })!.runBytes;
  const check = (limit: number, threads?: 1 | 2) =>
    memoryRefusal({ spec, inputShape, numClasses: 10, trainCount: COUNT, limit, ...(threads ? { threads } : {}) });
  assert.equal(check(two), null);
  assert.ok(check(two - 1), 'one byte less than two threads need is refused');
  assert.equal(check(one, 1), null);
  assert.ok(check(one - 1, 1));
});
