// Mutation-oriented oracles for src/engine/trainer.ts (issue 14), the parts no number of a step
// shows: what the trainer allocates (the evaluation network sized by the larger data set up to 256
// examples; conv columns per chunk), that what it hands out is a copy, and that a debugger stepping
// phase by phase sees a bad gradient at before-update already. Allocations are read from the WASM
// arena's own counter; the expectations are orderings and equalities that follow from the sizes.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Trainer } from '../../../src/engine/trainer';
import { referenceBackend } from '../../../src/engine/reference';
import type { Dataset } from '../../../src/data/dataset';
import { loadWasm, type WasmModule } from '../engine/wasmFixtures';
import { makeSpec, randomDataset } from '../engine/helpers';
import { mlpSpec, separable } from './reference';

let wasm: WasmModule;
before(async () => {
  wasm = await loadWasm();
});

/** Bytes the WASM arena holds once a trainer of this data (batches of 4) is built. */
function allocated(train: Dataset, validation: Dataset | null = null, chunk?: number, spec = mlpSpec({ batchSize: 4 })): number {
  const backend = wasm.createWasmBackendSync();
  const before = backend.memoryInfo().allocatedBytes;
  new Trainer({ spec: { ...spec, dtype: 'float32' }, train, validation, backend, chunk });
  return backend.memoryInfo().allocatedBytes - before;
}

test('the evaluation network holds the larger data set, up to 256 examples, and no more', () => {
  const small = allocated(separable(10, 4, 3, 1));
  const larger = allocated(separable(20, 4, 3, 1));
  assert.ok(larger > small, `20 training examples take more room than 10 (${larger} vs ${small} bytes)`);
  // the validation set counts when it is the larger one
  assert.equal(allocated(separable(10, 4, 3, 1), separable(20, 4, 3, 2)), larger);
  // from 256 examples on, evaluation runs in chunks of 256: the room stops growing
  const at256 = allocated(separable(256, 4, 3, 1));
  assert.ok(at256 > larger);
  assert.equal(allocated(separable(300, 4, 3, 1)), at256);
  assert.equal(allocated(separable(10, 4, 3, 1), separable(400, 4, 3, 2)), at256);
});

test('conv columns are kept for the chunk asked for: a smaller chunk takes less room', () => {
  const spec = makeSpec(
    [
      { type: 'conv2d', filters: 4, kernelSize: 3, stride: 1, padding: 'same', activation: 'relu' },
      { type: 'flatten' },
      { type: 'dense', units: 3, activation: 'linear' },
    ],
    { batchSize: 12 },
  );
  const data = randomDataset(2, 12, [1, 8, 8], 3);
  const whole = allocated(data, null, 12, spec);
  const chunked = allocated(data, null, 2, spec);
  assert.ok(chunked < whole, `chunks of 2 take less room than chunks of 12 (${chunked} vs ${whole} bytes)`);
  assert.equal(allocated(data, null, undefined, spec), allocated(data, null, 64, spec), 'no chunk given: the default');
});

test('the batch indices and the layer descriptions handed out are copies', () => {
  const t = new Trainer({ spec: mlpSpec({ batchSize: 4 }), train: separable(8, 4, 3, 3), validation: null });
  t.trainStep();
  const batch = t.currentBatch();
  const last = t.lastBatchInputs().indices;
  assert.deepEqual(batch, last);
  batch.fill(-1);
  last.fill(-1);
  assert.notDeepEqual(t.currentBatch(), batch, 'changing a handed-out batch does not change the trainer');
  assert.notDeepEqual(t.lastBatchInputs().indices, last);
  const net = (
    t as unknown as {
      net: { layers: { inputShape: number[]; outputShape: number[]; params: { info: { shape: number[] } }[] }[] };
    }
  ).net;
  t.layers.forEach((l, i) => {
    assert.notEqual(l.inputShape, net.layers[i].inputShape, `layers[${i}].inputShape is the network's own array`);
    assert.notEqual(l.outputShape, net.layers[i].outputShape, `layers[${i}].outputShape is the network's own array`);
    l.params.forEach((p, k) => assert.notEqual(p.shape, net.layers[i].params[k].info.shape, `layers[${i}] param ${k}`));
  });
  assert.deepEqual(t.layers[0].inputShape, [4]);
  assert.deepEqual(t.layers[0].outputShape, [6]);
});

test('stepped phase by phase, a gradient that overflows is already reported at before-update', () => {
  // the float32 overflow of nonFinite.test.ts: finite loss and deltas, aᵢ·δᵢ beyond float32
  const data = randomDataset(1, 6, [20], 3);
  for (let j = 0; j < 20; j++) data.x[4 * 20 + j] = 3.4e38;
  const spec = makeSpec([{ type: 'dense', units: 3, activation: 'linear' }], { batchSize: 6, dtype: 'float32', loss: 'mse' });
  const t = new Trainer({ spec, train: data, validation: null, backend: referenceBackend('float32') });
  t.parameter(0, 'weight').fill(1e-37);
  const phases = t.stepPhases();
  for (let r = phases.next(); !r.done; r = phases.next()) {
    if (r.value.kind !== 'before-update') continue;
    const pending = t.pendingStats();
    assert.ok(pending?.nonFinite, 'the debugger sees the bad gradient before the update runs');
    assert.equal(pending.nonFinite.where, 'gradient');
    assert.equal(pending.nonFinite.layer, 0);
    return;
  }
  assert.fail('no before-update stop');
});

test('the forward pass is searched only when a loss is not finite: a −∞ logit the softmax absorbs reports nothing', () => {
  // Class 0's logit is −∞ for every example (weights of −3e38 overflow float32) and no example is of
  // class 0, so p₀ = 0 exactly: every loss, δ, gradient and update stays finite and the step is sound.
  const data = randomDataset(4, 6, [20], 3);
  data.y.fill(1);
  for (let i = 0; i < data.x.length; i++) data.x[i] = 0.5;
  const spec = makeSpec([{ type: 'dense', units: 3, activation: 'linear' }], { batchSize: 6, dtype: 'float32' });
  const t = new Trainer({ spec, train: data, validation: null, backend: referenceBackend('float32') });
  t.parameter(0, 'weight').fill(0);
  for (let j = 0; j < 20; j++) t.parameter(0, 'weight')[j * 3] = -3e38;
  const s = t.trainStep();
  assert.equal(t.activation(0)[0], -Infinity, 'the set-up gives a −∞ logit');
  assert.ok(Number.isFinite(s.loss));
  assert.ok(t.gradient(0, 'weight').every(Number.isFinite));
  assert.equal(s.nonFinite, null);
});
