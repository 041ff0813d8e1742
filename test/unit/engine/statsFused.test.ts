// The fused statistics kernels against separate computations: the update that also returns
// [Σ grad², Σ θ_before², Σ Δθ²] (SGD with momentum, Nesterov and weight decay on both backends;
// Adam), and the dense per-example norms and dots through the Gram matrices (the WASM backend's
// zero-skipping and dense paths, a non-finite input, odd sizes) against float64 sums over the
// materialised gᵢ = aᵢ ⊗ δᵢ (+ δᵢ for the bias). Plain SIMD here; the relaxed-SIMD (fused
// multiply-add) kernels run this same file in a child process (GRADLENS_TEST_FMA=1).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/engine/random';
import type { Backend } from '../../../src/engine/backend';
import { referenceBackend } from '../../../src/engine/reference';
import { applyUpdate, createOptimizerState, sgdStep } from '../../../src/engine/optimizers';
import type { FloatArray } from '../../../src/engine/types';
import { Trainer } from '../../../src/engine/trainer';
import { assertFileWithFma, loadWasm } from './wasmFixtures';
import { dense, makeSpec, optimizer, randomDataset } from './helpers';

const FMA = process.env.GRADLENS_TEST_FMA === '1';
let wasm: Backend & { fma: boolean };
const rng = new Rng(917);

before(async () => {
  wasm = (await loadWasm()).createWasmBackendSync({ fma: FMA });
  assert.equal(wasm.fma, FMA);
});

test('the relaxed-SIMD (fused multiply-add) kernels pass this whole file too', { skip: FMA }, async () => {
  assertFileWithFma(__filename, (await loadWasm()).wasmFmaSupported());
});

const random = (x: FloatArray, scale = 1, zeros = 0) => {
  for (let i = 0; i < x.length; i++) x[i] = rng.next() < zeros ? 0 : (rng.next() * 2 - 1) * scale;
  return x;
};
const sumSq = (x: ArrayLike<number>) => Array.from(x).reduce((s, v) => s + v * v, 0);
const close = (got: number, want: number, tol: number, what: string) =>
  assert.ok(Math.abs(got - want) <= tol * Math.abs(want) + 1e-300, `${what}: ${got} vs ${want}`);

for (const [momentum, nesterov, wd] of [
  [0, false, 0],
  [0.9, false, 0.01],
  [0.9, true, 0.001],
] as const)
  test(`SGD with norms (μ ${momentum}, nesterov ${nesterov}, wd ${wd}): the same step as without, and the sums of a separate pass`, () => {
    // sizes around the kernel's 4-wide body, its 1024-value blocks and its scalar tail
    for (const n of [1, 7, 1024, 1031, 5000]) {
      for (const b of [wasm, referenceBackend('float32')]) {
        const grad = random(b.alloc(n), 0.3);
        const value = random(b.alloc(n));
        const velocity = random(b.alloc(n), 0.1);
        const [value2, velocity2] = [b.alloc(n), b.alloc(n)];
        value2.set(value);
        velocity2.set(velocity);
        const before = Float64Array.from(value);
        const [update, update2] = [b.alloc(n), b.alloc(n)];
        const norms = new Float64Array(3).fill(NaN);
        b.sgdStep(n, 0.05, wd, momentum, nesterov, grad, value, velocity, update, norms);
        b.sgdStep(n, 0.05, wd, momentum, nesterov, grad, value2, velocity2, update2);
        const what = `${b.name} n ${n}`;
        assert.deepEqual(Array.from(value), Array.from(value2), `${what}: θ`);
        assert.deepEqual(Array.from(update), Array.from(update2), `${what}: Δθ`);
        assert.deepEqual(Array.from(velocity), Array.from(velocity2), `${what}: velocity`);
        close(norms[0], sumSq(grad), 1e-6, `${what} Σ grad²`);
        close(norms[1], sumSq(before), 1e-6, `${what} Σ θ_before²`);
        close(norms[2], sumSq(update), 1e-6, `${what} Σ Δθ²`);
      }
    }
  });

test('SGD with norms on the WASM backend equals the float64 rule (optimizers.ts) on the same float32 values', () => {
  const n = 3001;
  const grad = random(wasm.alloc(n), 0.3),
    value = random(wasm.alloc(n)),
    velocity = random(wasm.alloc(n), 0.1);
  const [g64, v64, vel64] = [Float64Array.from(grad), Float64Array.from(value), Float64Array.from(velocity)];
  const norms = new Float64Array(3),
    norms64 = new Float64Array(3);
  sgdStep(n, 0.05, 0.01, 0.9, true, g64, v64, vel64, new Float64Array(n), norms64);
  wasm.sgdStep(n, 0.05, 0.01, 0.9, true, grad, value, velocity, wasm.alloc(n), norms);
  for (let j = 0; j < 2; j++) close(norms[j], norms64[j], 1e-6, `sum ${j}`);
  // Δθ is a difference of nearby float32 values: float32 rounding of θ shows in it
  close(norms[2], norms64[2], 1e-3, 'Σ Δθ²');
});

test('Adam with norms: the same step as without, and the sums of a separate pass', () => {
  const spec = optimizer({ type: 'adam', learningRate: 0.01, weightDecay: 0.01 });
  const n = 257;
  const grad = random(new Float64Array(n), 0.3);
  const value = random(new Float64Array(n));
  const value2 = Float64Array.from(value);
  const [s1, s2] = [
    createOptimizerState(spec, referenceBackend('float64'), n),
    createOptimizerState(spec, referenceBackend('float64'), n),
  ];
  const [u1, u2] = [new Float64Array(n), new Float64Array(n)];
  for (let t = 1; t <= 3; t++) {
    const before = Float64Array.from(value);
    const norms = new Float64Array(3);
    applyUpdate(spec, s1, t, true, value, grad, u1, norms);
    applyUpdate(spec, s2, t, true, value2, grad, u2);
    assert.deepEqual(Array.from(value), Array.from(value2));
    close(norms[0], sumSq(grad), 1e-12, 'Σ grad²');
    close(norms[1], sumSq(before), 1e-12, 'Σ θ_before²');
    close(norms[2], sumSq(u1), 1e-12, 'Σ Δθ²');
  }
});

/** ‖gᵢ‖² and gᵢ·G in float64 from the materialised gᵢ = (aᵢ ⊗ δᵢ, δᵢ). */
function materialisedDenseStats(m: number, p: number, q: number, a: ArrayLike<number>, d: ArrayLike<number>) {
  const g = Array.from({ length: m }, (_, i) => {
    const v = new Float64Array(p * q + q);
    for (let r = 0; r < p; r++) for (let s = 0; s < q; s++) v[r * q + s] = a[i * p + r] * d[i * q + s];
    for (let s = 0; s < q; s++) v[p * q + s] = d[i * q + s];
    return v;
  });
  const G = new Float64Array(p * q + q);
  for (const v of g) for (let j = 0; j < G.length; j++) G[j] += v[j] / m;
  return {
    squaredNorms: g.map((v) => sumSq(v)),
    dots: g.map((v) => v.reduce((s, x, j) => s + x * G[j], 0)),
  };
}

for (const c of [
  { what: 'sparse input, 32 examples (two blocks)', m: 32, p: 100, q: 12, zeros: 0.85 },
  { what: 'sparse input, 21 examples (blocks not a multiple of 4)', m: 21, p: 37, q: 5, zeros: 0.8 },
  { what: 'sparse input, 6 examples (one block)', m: 6, p: 50, q: 9, zeros: 0.9 },
  { what: 'dense input', m: 19, p: 40, q: 7, zeros: 0 },
  { what: 'dense input, 37 examples (4-wide and scalar edges of the upper triangle)', m: 37, p: 23, q: 10, zeros: 0 },
  { what: 'sparse input, 37 examples', m: 37, p: 90, q: 6, zeros: 0.85 },
  { what: 'dense input, long rows (dot products)', m: 17, p: 300, q: 3, zeros: 0 },
  { what: 'one example', m: 1, p: 9, q: 3, zeros: 0.5 },
])
  test(`dense Gram statistics (${c.what}): ‖gᵢ‖² and gᵢ·G of the materialised gᵢ, on both backends`, () => {
    const { m, p, q } = c;
    const want = (a: FloatArray, d: FloatArray) => materialisedDenseStats(m, p, q, a, d);
    for (const b of [wasm, referenceBackend('float64')]) {
      const a = random(b.alloc(m * p), 1, c.zeros),
        d = random(b.alloc(m * q), 0.5);
      const dots = new Float64Array(m),
        sq = new Float64Array(m);
      b.denseGramStats(m, p, q, true, a, d, dots, sq);
      const w = want(a, d);
      const tol = b.dtype === 'float32' ? 2e-5 : 1e-12;
      const dotScale = Math.max(...w.dots.map(Math.abs));
      for (let i = 0; i < m; i++) {
        close(sq[i], w.squaredNorms[i], tol, `${b.name} ‖g${i}‖²`);
        assert.ok(Math.abs(dots[i] - w.dots[i]) <= tol * dotScale, `${b.name} g${i}·G: ${dots[i]} vs ${w.dots[i]}`);
      }
    }
  });

test('dense Gram statistics: a NaN or ∞ in a sparse input still reaches every example it meets', () => {
  const m = 24,
    p = 60,
    q = 4;
  for (const bad of [NaN, Infinity]) {
    const a = random(wasm.alloc(m * p), 1, 0.9),
      d = random(wasm.alloc(m * q), 0.5);
    a[17 * p + 5] = bad; // example 17, in the second block
    const dots = new Float64Array(m),
      sq = new Float64Array(m);
    wasm.denseGramStats(m, p, q, true, a, d, dots, sq);
    const ref = new Float64Array(m),
      refSq = new Float64Array(m);
    referenceBackend('float64').denseGramStats(m, p, q, true, Float64Array.from(a), Float64Array.from(d), ref, refSq);
    // every gᵢ·G includes (aᵢ·a₁₇)(δᵢ·δ₁₇): NaN (0·∞ or NaN) for each i, as in float64
    for (let i = 0; i < m; i++) {
      assert.equal(Number.isNaN(dots[i]), Number.isNaN(ref[i]), `g${i}·G with ${bad}: ${dots[i]} vs ${ref[i]}`);
      assert.equal(Number.isFinite(sq[i]), Number.isFinite(refSq[i]), `‖g${i}‖² with ${bad}: ${sq[i]} vs ${refSq[i]}`);
    }
    assert.ok(ref.some((v) => Number.isNaN(v)));
  }
});

test('the statistics asked for before the update (a debugger stopped there) equal those the update fills in', () => {
  for (const opt of [optimizer({ momentum: 0.9, weightDecay: 0.01 }), optimizer({ type: 'adam', learningRate: 0.01 })]) {
    const spec = makeSpec([dense(12, 'relu'), dense(3)], { batchSize: 8, epochs: 3, optimizer: opt });
    const make = () => new Trainer({ spec, train: randomDataset(5, 16, [6], 3), validation: null, stats: 'full' });
    const early = make(),
      late = make();
    for (let step = 0; step < 3; step++) {
      const phases = early.stepPhases();
      let r = phases.next();
      while (!r.done && r.value.kind !== 'before-update') r = phases.next();
      const pending = early.pendingStats()!;
      const gradNorms = pending.layers.map((l) => l.gradNorm);
      assert.ok(gradNorms.every((g) => g > 0));
      assert.ok(pending.layers.every((l) => Number.isNaN(l.updateRatio)));
      while (!r.done) r = phases.next();
      const a = r.value,
        b = late.trainStep();
      assert.deepEqual(
        a.layers.map((l) => l.gradNorm),
        gradNorms,
        'the update keeps the norms it found computed',
      );
      a.layers.forEach((l, k) => {
        const o = b.layers[k];
        for (const key of ['gradNorm', 'weightNorm', 'updateRatio', 'noiseScale'] as const)
          close(l[key], o[key], 1e-12, `step ${step} layer ${l.layer} ${key}`);
        l.cosineToMean.forEach((v, i) => assert.ok(Math.abs(v - o.cosineToMean[i]) <= 1e-12, `cos ${i}`));
      });
      close(a.noiseScale, b.noiseScale, 1e-12, 'model-wide noise scale');
    }
  }
});

test('weightNorm and updateRatio are ‖θ_before‖ and ‖Δθ‖/‖θ_before‖ of the parameters themselves', () => {
  const spec = makeSpec([dense(10, 'tanh'), dense(3)], {
    batchSize: 6,
    epochs: 3,
    optimizer: optimizer({ momentum: 0.5, weightDecay: 0.1 }),
  });
  const t = new Trainer({ spec, train: randomDataset(8, 12, [5], 3), validation: null, stats: 'full' });
  for (let step = 0; step < 3; step++) {
    const before = t.layers
      .filter((l) => l.params.length)
      .map((l) => [...t.parameter(l.index, 'weight'), ...t.parameter(l.index, 'bias')]);
    const s = t.trainStep();
    s.layers.forEach((l, k) => {
      const du = [...t.lastUpdate(l.layer, 'weight'), ...t.lastUpdate(l.layer, 'bias')];
      const grad = [...t.gradient(l.layer, 'weight'), ...t.gradient(l.layer, 'bias')];
      close(l.weightNorm, Math.sqrt(sumSq(before[k])), 1e-12, 'weightNorm');
      close(l.updateRatio, Math.sqrt(sumSq(du)) / Math.sqrt(sumSq(before[k])), 1e-12, 'updateRatio');
      close(l.gradNorm, Math.sqrt(sumSq(grad)), 1e-12, 'gradNorm');
    });
  }
});
