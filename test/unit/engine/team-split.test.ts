// Splitting a conv layer's examples between two threads (wasm/split.ts): one handoff per layer and
// pass, the helper running a recorded list of kernel calls. The result must be bit-identical to one
// thread, every operand must stay in place (no copy in or out), and a part must not be handed a
// buffer the helper cannot see.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../../src/engine/backend';
import { Trainer } from '../../../src/engine/trainer';
import { nodeSpawnHelper } from '../../../src/engine-host/spawnHelper';
import { conv, dense, makeSpec, randomDataset } from './helpers';
import { loadWasm, type WasmModule } from './wasmFixtures';

let wasm: WasmModule;

before(async () => {
  wasm = await loadWasm();
});

test('a CNN trained with its conv and pooling layers split across two threads is bit-identical to one thread, with no more copies', async () => {
  const spec = makeSpec(
    [
      conv(8, 3, 1, 'same', 'relu'),
      { type: 'maxpool2d', poolSize: 2, stride: 2 },
      conv(16, 3, 1, 'same', 'relu'),
      { type: 'maxpool2d', poolSize: 2, stride: 2 },
      { type: 'flatten' },
      dense(26),
    ],
    { dtype: 'float32', batchSize: 32, epochs: 2 },
  );
  // 26 classes: the dense layer's three products (32×26×784) are large enough to split by rows too
  const data = randomDataset(7, 100, [1, 28, 28], 26);
  // Default sizes, so both memories grow while the trainers are built: a shared memory that has been
  // posted to a worker gets a new buffer object when a memory grows, which used to leave the
  // two-thread backend copying every operand in and out (arena.ts).
  const oneBackend = wasm.createWasmBackendSync();
  const twoBackend = await wasm.createWasmBackend({ spawnHelper: nodeSpawnHelper, fma: oneBackend.fma });
  try {
    const one = new Trainer({ spec, train: data, validation: null, backend: oneBackend });
    const two = new Trainer({ spec, train: data, validation: null, backend: twoBackend });
    two.setWeights(one.getWeights());
    // 8 steps cross the epoch's last, smaller batch (100 = 3·32 + 4)
    for (let s = 0; s < 8; s++) assert.ok(Object.is(two.trainStep().loss, one.trainStep().loss), `loss of step ${s + 1}`);
    for (const layer of [0, 2, 5])
      for (const kind of ['weight', 'bias'] as const) {
        const [a, b] = [two.parameter(layer, kind), one.parameter(layer, kind)];
        for (let i = 0; i < a.length; i++)
          if (!Object.is(a[i], b[i])) assert.fail(`layers[${layer}].${kind}[${i}]: ${a[i]} on two threads, ${b[i]} on one`);
      }
    // (two conv + two pooling layers) × (forward + backward) × 8 steps handed to the helper, and the
    // dense layer's three products in the 6 full batches (the 4-example one is below the split size)
    assert.ok(twoBackend.splitProducts >= 64 + 18, `handoffs: ${twoBackend.splitProducts}`);
    // the same few copies as on one thread (one a step, outside the layers), not one per operand
    assert.equal(twoBackend.memoryInfo().copyCalls, oneBackend.memoryInfo().copyCalls, 'operands copied in or out');
  } finally {
    twoBackend.close();
  }
});

test('conv layers with the activations computed in JS (tanh, sigmoid) run them outside the split parts, still bit-identical to one thread', async () => {
  // tanh and sigmoid run in JS on the WASM backend, which a recorded part cannot hold: these layers
  // activate the whole batch after the parts (the others activate each example inside its part)
  const spec = makeSpec(
    [
      conv(4, 3, 1, 'same', 'tanh'),
      conv(6, 3, 1, 'valid', 'sigmoid'),
      conv(5, 3, 1, 'same', 'leaky-relu'),
      { type: 'flatten' },
      dense(3),
    ],
    { dtype: 'float32', batchSize: 12, epochs: 2 },
  );
  const data = randomDataset(11, 30, [2, 9, 9], 3);
  const oneBackend = wasm.createWasmBackendSync();
  const twoBackend = await wasm.createWasmBackend({ spawnHelper: nodeSpawnHelper, fma: oneBackend.fma });
  try {
    const one = new Trainer({ spec, train: data, validation: null, backend: oneBackend });
    const two = new Trainer({ spec, train: data, validation: null, backend: twoBackend });
    two.setWeights(one.getWeights());
    for (let s = 0; s < 4; s++) assert.ok(Object.is(two.trainStep().loss, one.trainStep().loss), `loss of step ${s + 1}`);
    for (const layer of [0, 1, 2, 4]) {
      const [a, b] = [two.parameter(layer, 'weight'), one.parameter(layer, 'weight')];
      for (let i = 0; i < a.length; i++)
        if (!Object.is(a[i], b[i])) assert.fail(`layers[${layer}].weight[${i}]: ${a[i]} on two threads, ${b[i]} on one`);
    }
    assert.ok(twoBackend.splitProducts >= 24, `handoffs: ${twoBackend.splitProducts}`);
  } finally {
    twoBackend.close();
  }
});

test('splitExamples covers the batch in two parts and refuses a buffer outside WASM memory', async () => {
  const be = await wasm.createWasmBackend({ spawnHelper: nodeSpawnHelper });
  try {
    assert.ok(be.splitExamples, 'a two-thread backend splits examples');
    const parts: [number, number, number][] = [];
    be.splitExamples(9, (_b, start, end, part) => void parts.push([start, end, part]));
    assert.deepEqual(
      parts.sort((a, b) => a[2] - b[2]),
      [
        [0, 5, 0],
        [5, 9, 1],
      ],
    );
    // a few examples stay on this thread, in one part
    const small: [number, number][] = [];
    be.splitExamples(2, (_b, start, end) => void small.push([start, end]));
    assert.deepEqual(small, [[0, 2]]);
    // the helper's part runs the recorded kernels: its row sums arrive, this thread's too
    const x = be.alloc(8 * 4).fill(1),
      out = be.alloc(8).fill(NaN);
    be.splitExamples(8, (part: Backend, start, end) =>
      part.rowSums(end - start, 4, 0.5, x.subarray(start * 4), out.subarray(start)),
    );
    assert.deepEqual(Array.from(out), [2, 2, 2, 2, 2, 2, 2, 2]);
    const outside = new Float32Array(16);
    assert.throws(
      () => be.splitExamples!(8, (part, start) => start > 0 && part.rowSums(4, 4, 1, outside, out.subarray(start))),
      /outside WASM memory/,
    );
  } finally {
    be.close();
  }
});

test('a helper that starts but never takes work leaves every product, SGD step and conv part to the caller: same bits, no wait', async () => {
  // The caller never waits for the helper: what it has not claimed, the caller does (team.ts).
  const idle: typeof nodeSpawnHelper = (_source, init) =>
    nodeSpawnHelper('function (init) { Atomics.store(new Int32Array(init.memory.buffer, init.control, 4), 1, 1); }', init);
  const spec = makeSpec(
    [
      conv(8, 3, 1, 'same', 'relu'),
      { type: 'maxpool2d', poolSize: 2, stride: 2 },
      { type: 'flatten' },
      dense(256, 'relu'),
      dense(10),
    ],
    { dtype: 'float32', batchSize: 32, epochs: 2 },
  );
  const data = randomDataset(9, 70, [1, 28, 28], 10);
  const oneBackend = wasm.createWasmBackendSync();
  const twoBackend = await wasm.createWasmBackend({ spawnHelper: idle, fma: oneBackend.fma });
  try {
    const one = new Trainer({ spec, train: data, validation: null, backend: oneBackend });
    const two = new Trainer({ spec, train: data, validation: null, backend: twoBackend });
    two.setWeights(one.getWeights());
    for (let s = 0; s < 4; s++) assert.ok(Object.is(two.trainStep().loss, one.trainStep().loss), `loss of step ${s + 1}`);
    for (const layer of [0, 3, 4]) {
      const [a, b] = [two.parameter(layer, 'weight'), one.parameter(layer, 'weight')];
      for (let i = 0; i < a.length; i++)
        if (!Object.is(a[i], b[i])) assert.fail(`layers[${layer}].weight[${i}]: ${a[i]} on two threads, ${b[i]} on one`);
    }
    // each step hands out the conv layer's two parts, and the full batches the 32×256×1568
    // products and the 401 408-weight SGD step too
    assert.ok(twoBackend.splitProducts >= 16, `handoffs: ${twoBackend.splitProducts}`);
    assert.equal(twoBackend.helperChunks, 0);
  } finally {
    twoBackend.close();
  }
});
