// Memory that grows with the model: the WASM memory grows (in place: earlier buffers stay valid)
// instead of failing when a model outgrows it, long weight-gradient products are summed in slices,
// and conv columns are kept for one chunk of examples; each gives the numbers of the unchunked
// reference computation.
import { test, before } from 'node:test';
import { loadEngine, withoutShared, type EngineModule, type WasmModule } from './wasmFixtures';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/engine/random';
import type { Backend } from '../../../src/engine/backend';
import type { FloatArray } from '../../../src/engine/types';
import { conv, dense, makeSpec, maxRelDiff, randomDataset } from './helpers';

let engine: EngineModule;
let wasm: WasmModule;
before(async () => ({ engine, wasm } = await loadEngine()));

const CNN = [
  conv(6, 3, 1, 'same', 'relu'),
  { type: 'maxpool2d' as const, poolSize: 1, stride: 1 },
  conv(8, 3, 1, 'same', 'relu'),
];
const cnnSpec = (batchSize: number) =>
  makeSpec([...CNN, { type: 'flatten' }, dense(10)], {
    dtype: 'float32',
    batchSize,
    epochs: 3,
    optimizer: { ...makeSpec([]).optimizer, momentum: 0.9 },
  });

function weightsOf(t: InstanceType<EngineModule['Trainer']>): number[] {
  return t.getWeights().flatMap((w) => w.value);
}

test('the WASM memory grows for a model bigger than it (buffers stay valid) and trains like the reference', () => {
  // 1 MiB to start; this model's buffers need about 9 MiB
  const fast = wasm.createWasmBackendSync({ initialBytes: 1 << 20 });
  const data = randomDataset(3, 48, [1, 20, 20], 10);
  const s = cnnSpec(16);
  const a = new engine.Trainer({ spec: s, train: data, validation: null, backend: engine.referenceBackend('float32') });
  const b = new engine.Trainer({ spec: s, train: data, validation: null, backend: fast });
  const info = fast.memoryInfo();
  assert.ok(info.shared, 'Node has shared WebAssembly memories');
  assert.ok(
    info.grows > 0 && info.reservedBytes > 1 << 20,
    `the memory grew (${info.grows} times to ${info.reservedBytes} bytes)`,
  );
  assert.equal(info.outsideAllocs, 0, 'every buffer is inside the memory');
  for (let step = 0; step < 3; step++) {
    const x = a.trainStep(),
      y = b.trainStep();
    assert.ok(Math.abs(x.loss - y.loss) <= 1e-5 * Math.max(1, x.loss), `step ${step + 1} loss ${x.loss} vs ${y.loss}`);
    for (const layer of [0, 2, 4]) {
      const d = maxRelDiff(a.perExampleGradients(layer, 'weight'), b.perExampleGradients(layer, 'weight'));
      assert.ok(d < 1e-4, `step ${step + 1} layers[${layer}] per-example gradients differ by ${d}`);
    }
  }
  assert.ok(maxRelDiff(weightsOf(a), weightsOf(b)) < 1e-4);
});

test('a memory that cannot grow further says so (and how to fix it) instead of failing obscurely', () => {
  const small = wasm.createWasmBackendSync({ initialBytes: 65536, maximumBytes: 65536 });
  const big = new Float32Array(40000); // outside the memory, and larger than it
  assert.throws(() => small.columnSums(1, big.length, 1, 0, big, new Float32Array(big.length)), /maximum of 0\.0625 MiB/);
});

test('conv columns kept per chunk give bit-identical steps to the whole batch at once (reference and WASM)', () => {
  const data = randomDataset(5, 40, [1, 12, 12], 10);
  const s = cnnSpec(20);
  for (const make of [() => engine.referenceBackend('float32'), () => wasm.createWasmBackendSync()] as (() => Backend)[]) {
    const whole = new engine.Trainer({ spec: s, train: data, validation: null, backend: make(), chunk: 64 });
    const chunked = new engine.Trainer({ spec: s, train: data, validation: null, backend: make(), chunk: 3 });
    for (let step = 0; step < 3; step++) {
      const x = whole.trainStep(),
        y = chunked.trainStep();
      assert.equal(y.loss, x.loss);
      assert.deepEqual(y.layers, x.layers);
      for (const layer of [0, 2])
        for (const kind of ['weight', 'bias'] as const) {
          assert.deepEqual(chunked.perExampleGradients(layer, kind), whole.perExampleGradients(layer, kind));
          assert.deepEqual(chunked.gradient(layer, kind), whole.gradient(layer, kind));
        }
    }
    assert.deepEqual(weightsOf(chunked), weightsOf(whole));
  }
});

test('a per-example gradient is still ∇Lᵢ and the batch gradient their mean when the batch is chunked', () => {
  const data = randomDataset(9, 10, [1, 8, 8], 10);
  const t = new engine.Trainer({ spec: cnnSpec(10), train: data, validation: null, chunk: 4 });
  t.trainStep();
  for (const layer of [0, 2]) {
    const all = t.perExampleGradients(layer, 'weight');
    const g = t.gradient(layer, 'weight');
    const mean = new Float64Array(g.length);
    for (let i = 0; i < 10; i++) for (let j = 0; j < g.length; j++) mean[j] += all[i * g.length + j] / 10;
    assert.ok(maxRelDiff(mean, g) < 1e-6, `layers[${layer}]: the batch gradient is the mean of the gᵢ`);
  }
});

/** float64 C = alpha·op(A)·op(B) for the slice test. */
function gemm64(transA: boolean, m: number, n: number, k: number, a: FloatArray, b: FloatArray): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (transA ? a[p * m + i] : a[i * k + p]) * b[p * n + j];
      c[i * n + j] = s;
    }
  return c;
}

test('Aᵀ·B over a long k (a weight gradient of a big batch) is summed in slices and equals the float64 product', () => {
  const rng = new Rng(11);
  const be = wasm.createWasmBackendSync();
  for (const [m, n, k] of [
    [13, 21, 1000],
    [8, 8, 129],
    [5, 3, 128],
  ]) {
    const a = be.alloc(k * m).map(() => rng.next() * 2 - 1),
      b = be.alloc(k * n).map(() => rng.next() * 2 - 1);
    for (const beta of [0, 1]) {
      const c = be.alloc(m * n).fill(beta === 0 ? NaN : 0.5);
      be.gemm(true, false, m, n, k, 0.25, a, b, beta, c);
      const ref = gemm64(true, m, n, k, a, b).map((v) => 0.25 * v + (beta === 0 ? 0 : 0.5));
      assert.ok(maxRelDiff(c, ref) < 1e-5, `Aᵀ·B ${m}×${n}×${k} beta ${beta}: ${maxRelDiff(c, ref)}`);
    }
  }
});

test('without shared memories (a page that is not cross-origin isolated) the memory grows only before its first buffer', () => {
  // The runtime as such a page has it: WebAssembly.Memory refuses `shared`.
  const be = withoutShared(() => wasm.createWasmBackendSync({ initialBytes: 65536 }));
  assert.equal(be.memoryInfo().shared, false);
  const first = be.alloc(100_000); // 400 KB: the memory grows for it
  assert.equal(be.memoryInfo().outsideAllocs, 0);
  assert.ok(be.memoryInfo().grows > 0);
  first[5] = 3;
  const later = be.alloc(1_000_000); // growing now would detach `first`: an ordinary array instead
  assert.equal(be.memoryInfo().outsideAllocs, 1);
  assert.equal(first.length, 100_000, 'the first buffer is not detached');
  assert.equal(first[5], 3);
  later.fill(1);
  const out = be.alloc(1);
  be.rowSumSquares(1, 1000, later, out); // the copy path still computes
  assert.equal(out[0], 1000);
});
