// The WASM gemm's zero-skipping path (kernels/sparse.wat): on a sparse A (an MNIST-like input
// batch) A·B and Aᵀ·B must give the same bits as the dense kernels whenever both use the same tile
// (the skipped products are exact zeros), stay within the float32 bound of the float64 reference on
// every shape, keep NaN/∞ of A, and fall back to the dense kernels when B is not all finite (0·∞ is
// NaN). A whole training run must be the same with and without it. The plain SIMD kernels run here;
// the relaxed-SIMD (fused multiply-add) ones run this file again in a child process.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/engine/random';
import { Trainer } from '../../../src/engine';
import type { WasmBackend } from '../../../src/engine/wasm/backend';
import type { FloatArray } from '../../../src/engine/types';
import type { ModelSpec } from '../../../src/model/spec';
import { assertClose, assertFileWithFma, fill, loadWasm, refGemm, type WasmModule } from './wasmFixtures';

const FMA = process.env.GRADLENS_TEST_FMA === '1';
let wasm: WasmModule;
let skip: WasmBackend;
let dense: WasmBackend;
const rng = new Rng(777);

before(async () => {
  wasm = await loadWasm();
  skip = wasm.createWasmBackendSync({ initialBytes: 32 << 20, fma: FMA });
  dense = wasm.createWasmBackendSync({ initialBytes: 32 << 20, fma: FMA, zeros: 'dense' });
  assert.equal(skip.zeros, 'skip');
  assert.equal(dense.zeros, 'dense');
});

test(
  'the zero-skipping gemm passes this whole file with the relaxed-SIMD (fused multiply-add) kernels too',
  { skip: FMA },
  () => {
    assertFileWithFma(__filename, wasm.wasmFmaSupported());
  },
);

/** `density` of the entries random, the rest exact zeros (as an MNIST batch: ~20 % nonzero). */
function sparse(x: FloatArray, density: number): FloatArray {
  fill(x);
  for (let i = 0; i < x.length; i++) if (rng.next() >= density) x[i] = 0;
  return x;
}

/** The same operands in both backends; returns both results. */
function both(transA: boolean, m: number, n: number, k: number, alpha: number, a: FloatArray, b: FloatArray) {
  const out = [skip, dense].map((be) => {
    const pa = be.alloc(m * k),
      pb = be.alloc(k * n),
      pc = fill(be.alloc(m * n)); // beta = 0 must ignore what C held
    pa.set(a);
    pb.set(b);
    const before = be.sparseProducts;
    be.gemm(transA, false, m, n, k, alpha, pa, pb, 0, pc);
    return { c: pc, sparse: be.sparseProducts - before };
  });
  return { skipped: out[0], dense: out[1] };
}

const bitsEqual = (x: FloatArray, y: FloatArray) => x.length === y.length && x.every((v, i) => Object.is(v, y[i]));

test('A·B and Aᵀ·B on a sparse A: the zero-skipping path runs and matches the reference on every tail shape', () => {
  // m: blocks of 4 rows and leftover rows; n: 8-, 4- and 1-wide column blocks; k: odd
  const shapes: [number, number, number][] = [
    [32, 128, 784],
    [784, 128, 32],
    [33, 26, 65],
    [5, 7, 600],
    [63, 13, 129],
    [4, 4, 1025],
  ];
  for (const [m, n, k] of shapes)
    for (const transA of [false, true])
      for (const alpha of [1, 1 / 32, -0.7]) {
        const a = sparse(new Float32Array(m * k), 0.2),
          b = fill(new Float32Array(k * n));
        const { skipped, dense: d } = both(transA, m, n, k, alpha, a, b);
        const what = `${transA ? 'Aᵀ' : 'A'}·B ${m}×${n}×${k} α=${alpha}`;
        // a long Aᵀ·B (a weight gradient over a large batch) stays on the dense kernels in slices
        const long = transA && k > 128;
        assert.equal(skipped.sparse, long ? 0 : 1, `${what}: the zero-skipping path ${long ? 'ran' : 'did not run'}`);
        assert.equal(d.sparse, 0, `${what}: zeros 'dense' must never skip`);
        const ref = refGemm(transA, false, m, n, k, alpha, a, b, 0, new Float32Array(m * n));
        assertClose(skipped.c, ref.value, ref.magnitude, k, what);
        // full 4×8 tiles and one pass over k (the dense Aᵀ·B goes in slices of 128 rows of B past
        // that): the dense path sums the same products in the same order
        if (m % 4 === 0 && n % 8 === 0 && !(transA && k > 128))
          assert.ok(bitsEqual(skipped.c, d.c), `${what}: not bit-identical to the dense kernels`);
      }
});

test('NaN and ±∞ in A are never skipped; a non-finite B falls back to the dense kernels (0·∞ = NaN)', () => {
  const [m, n, k] = [32, 128, 300];
  const a = sparse(new Float32Array(m * k), 0.2),
    b = fill(new Float32Array(k * n));
  a[3 * k + 10] = NaN;
  a[7 * k + 20] = Infinity;
  const r1 = both(false, m, n, k, 1, a, b);
  assert.equal(r1.skipped.sparse, 1);
  assert.ok(bitsEqual(r1.skipped.c, r1.dense.c));
  assert.ok(Number.isNaN(r1.skipped.c[3 * n]), 'a NaN of A reaches its row');
  // B infinite in a row p that some rows of A have a zero at: the dense product gives NaN there
  a.fill(0);
  a[0] = 1; // row 0 of A is nonzero at p = 0 only
  b[5 * n] = Infinity; // B[5][0]: 0·∞ for every row
  const r2 = both(false, m, n, k, 1, a, b);
  assert.equal(r2.skipped.sparse, 0, 'a non-finite B must not take the zero-skipping path');
  assert.ok(Number.isNaN(r2.skipped.c[0]), 'Σ_p A[0][p]·B[p][0] includes 0·∞ = NaN');
  assert.ok(bitsEqual(r2.skipped.c, r2.dense.c));
});

test('a dense A (above 30 % nonzero) and small products keep the dense kernels', () => {
  const a = sparse(new Float32Array(32 * 200), 0.6),
    b = fill(new Float32Array(200 * 64));
  assert.equal(both(false, 32, 64, 200, 1, a, b).skipped.sparse, 0);
  const small = sparse(new Float32Array(4 * 16), 0.1);
  assert.equal(both(false, 4, 8, 16, 1, small, fill(new Float32Array(16 * 8))).skipped.sparse, 0);
});

test('training on sparse inputs: the same losses and weights, bit for bit, with and without skipping zeros', () => {
  const count = 96,
    features = 64;
  const x = new Float32Array(count * features);
  sparse(x, 0.2);
  for (let i = 0; i < x.length; i++) x[i] = Math.abs(x[i]);
  const y = Int32Array.from({ length: count }, (_, i) => i % 5);
  const spec: ModelSpec = {
    name: 'sparse',
    seed: 5,
    dtype: 'float32',
    data: { source: 'mnist', limit: count, validationSplit: 0 },
    layers: [
      { type: 'dense', units: 32, activation: 'relu' },
      { type: 'dense', units: 5, activation: 'linear' },
    ],
    loss: 'cross-entropy',
    optimizer: {
      type: 'sgd',
      learningRate: 0.1,
      momentum: 0.9,
      nesterov: false,
      weightDecay: 0,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
    },
    batchSize: 16,
    epochs: 2,
  };
  const run = (zeros: 'skip' | 'dense') => {
    const backend = wasm.createWasmBackendSync({ initialBytes: 16 << 20, fma: FMA, zeros });
    const train = { name: 'sparse', inputShape: [features], numClasses: 5, count, x, y };
    const t = new Trainer({ spec, train, validation: null, backend, stats: 'none' });
    const losses: number[] = [];
    while (!t.done()) losses.push(t.trainStep().loss);
    return { losses, weights: t.getWeights(), sparse: backend.sparseProducts };
  };
  const s = run('skip'),
    d = run('dense');
  assert.ok(s.sparse > 0, 'the first layer skipped zeros');
  assert.equal(d.sparse, 0);
  assert.deepEqual(s.losses, d.losses);
  assert.deepEqual(s.weights, d.weights);
});
