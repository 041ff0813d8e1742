// The WASM backend's dense Gram statistics (src/engine/wasm/statsKernels.ts) and their deferred
// form on the helper thread (src/engine/wasm/deferredStats.ts), against the contract written out in
// float64 here: dots[i] = (1/m)·Σⱼ KΔ[i,j]·(KA[i,j] + b), squaredNorms[i] = KΔ[i,i]·(KA[i,i] + b),
// KA = A·Aᵀ, KΔ = Δ·Δᵀ. Dense and sparse A (the zero-skipping KA), a NaN the skipped zeros would
// hide, operands outside the memory, and the deferred list replayed or re-recorded.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createWasmBackend, createWasmBackendSync } from '../../../src/engine/wasm/backend';
import { nodeSpawnHelper } from '../../../src/engine-host/spawnHelper';
import type { DenseGramJob } from '../../../src/engine/backend';
import type { FloatArray } from '../../../src/engine/types';
import { Rng } from '../../../src/engine/random';
import { gramReference, checkGram as check } from './reference';
import { idleHelper as idle } from './wasmCounting';

const rng = new Rng(20261204);
const be = createWasmBackendSync({ initialBytes: 8 << 20 });
const closing: { close(): void }[] = [];
after(() => closing.forEach((b) => b.close()));

/** m×n values; density: the share of nonzeros. */
function values(n: number, density: number, inside = true): FloatArray {
  const x = inside ? be.alloc(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.next() < density ? rng.next() * 2 - 1 : 0;
  return x;
}

const SHAPES: [m: number, p: number, q: number, density: number][] = [
  [1, 5, 3, 1],
  [3, 7, 2, 1],
  [4, 40, 5, 0.15],
  [6, 33, 4, 0.2],
  [9, 50, 6, 0.1],
  [9, 50, 6, 0.9],
  [12, 20, 3, 0.3],
  [5, 20, 3, 0.35],
];

test('denseGramStats (dense and zero-skipping KA, with and without bias) equals the float64 contract', () => {
  for (const inside of [true, false])
    for (const [m, p, q, density] of SHAPES)
      for (const withBias of [false, true]) {
        const a = values(m * p, density, inside),
          delta = values(m * q, 1, inside);
        const dots = new Float64Array(m + 1).fill(7),
          sq = new Float64Array(m + 1).fill(7);
        const before = be.sparseProducts;
        be.denseGramStats(m, p, q, withBias, a, delta, dots, sq);
        assert.equal(be.sparseProducts, before, 'the statistics are not counted as products');
        const ref = gramReference(m, p, q, withBias, a, delta);
        const what = `m ${m} p ${p} q ${q} density ${density} bias ${withBias} inside ${inside}`;
        check(dots, ref.dots, ref.dotsMag, `dots ${what}`);
        check(sq, ref.sq, ref.sqMag, `squaredNorms ${what}`);
        assert.deepEqual([dots[m], sq[m]], [7, 7], 'nothing past m written');
      }
});

test('a NaN in a sparse A reaches every dot (the skipped zeros would hide it) but only its own norm', () => {
  const [m, p, q] = [8, 60, 4];
  const a = values(m * p, 0.1),
    delta = values(m * q, 1);
  a[2 * p + 17] = NaN;
  const dots = new Float64Array(m),
    sq = new Float64Array(m);
  be.denseGramStats(m, p, q, true, a, delta, dots, sq);
  const ref = gramReference(m, p, q, true, a, delta);
  assert.ok(ref.dots.every(Number.isNaN));
  check(dots, ref.dots, ref.dotsMag, 'dots');
  check(sq, ref.sq, ref.sqMag, 'squaredNorms');
  assert.ok(Number.isNaN(sq[2]) && Number.isFinite(sq[1]));
});

test('denseGramStats: an empty batch writes nothing; short arrays are named', () => {
  const dots = new Float64Array(2).fill(3);
  be.denseGramStats(0, 4, 2, true, be.alloc(0), be.alloc(0), dots, dots);
  assert.deepEqual([...dots], [3, 3]);
  assert.throws(() => be.denseGramStats(2, 3, 2, true, be.alloc(5), be.alloc(4), dots, dots), {
    message: 'denseGramStats a: needs 6 elements, the array has 5',
  });
  assert.throws(() => be.denseGramStats(2, 3, 2, true, be.alloc(6), be.alloc(3), dots, dots), {
    message: 'denseGramStats delta: needs 4 elements, the array has 3',
  });
  for (const [d, s] of [
    [1, 2],
    [2, 1],
  ])
    assert.throws(() => be.denseGramStats(2, 3, 2, true, be.alloc(6), be.alloc(4), new Float64Array(d), new Float64Array(s)), {
      message: 'denseGramStats: dots and squaredNorms need 2 elements',
    });
});

function job(b: typeof be, m: number, p: number, q: number, density: number, withBias: boolean): DenseGramJob {
  const a = b.alloc(m * p),
    delta = b.alloc(m * q);
  a.set(values(m * p, density, false));
  delta.set(values(m * q, 1, false));
  return { m, p, q, withBias, a, delta, dots: new Float64Array(m), squaredNorms: new Float64Array(m) };
}

function checkJobs(jobs: DenseGramJob[], what: string) {
  for (const [i, j] of jobs.entries()) {
    const ref = gramReference(j.m, j.p, j.q, j.withBias, j.a, j.delta);
    check(j.dots, ref.dots, ref.dotsMag, `${what}: job ${i} dots`);
    check(j.squaredNorms, ref.sq, ref.sqMag, `${what}: job ${i} squaredNorms`);
  }
}

for (const [helper, spawn] of [
  ['an idle helper (this thread runs the list)', idle],
  ['a real helper', nodeSpawnHelper],
] as const)
  test(`denseGramStatsLater with ${helper}: every layer deferred, the list replayed for the same buffers and re-recorded for others`, async () => {
    const two = await createWasmBackend({ spawnHelper: spawn, initialBytes: 8 << 20 });
    closing.push(two);
    assert.equal(await two.helperStarted(), true);
    const jobs = [job(two, 9, 50, 6, 0.1, true), job(two, 6, 20, 4, 1, false), job(two, 0, 5, 3, 1, true)];
    two.denseGramStatsLater!(jobs)();
    assert.equal(two.deferredGramStats, 2, 'the two layers with examples');
    checkJobs(jobs, 'first');
    // new values in the same buffers: the same list runs again on them
    for (const j of jobs) {
      j.a.set(values(j.m * j.p, j.p === 50 ? 0.1 : 1, false));
      j.delta.set(values(j.m * j.q, 1, false));
    }
    two.denseGramStatsLater!(jobs)();
    checkJobs(jobs, 'replayed');
    // A now dense (another KA path), and then a larger batch (more scratch and a longer list)
    jobs[0].a.set(values(9 * 50, 1, false));
    two.denseGramStatsLater!(jobs)();
    checkJobs(jobs, 'A dense now');
    const more = [job(two, 16, 64, 8, 0.1, true), job(two, 12, 30, 5, 1, true), job(two, 7, 10, 10, 1, false), jobs[1]];
    two.denseGramStatsLater!(more)();
    checkJobs(more, 'more layers');
    assert.equal(two.deferredGramStats, 2 + 2 + 2 + 4);
    // a NaN in a sparse A: that layer again on this thread, with the zeros multiplied
    more[0].a[3 * 64 + 5] = NaN;
    two.denseGramStatsLater!(more)();
    checkJobs(more, 'NaN');
    assert.ok(Number.isNaN(more[0].dots[0]));
  });

test('denseGramStatsLater runs at once, on this thread, for operands outside the memory or no examples at all', async () => {
  const two = await createWasmBackend({ spawnHelper: idle, initialBytes: 8 << 20 });
  closing.push(two);
  assert.equal(await two.helperStarted(), true);
  const j = job(two, 5, 8, 3, 1, true);
  const outside: DenseGramJob = { ...j, a: Float32Array.from(j.a), dots: new Float64Array(5), squaredNorms: new Float64Array(5) };
  const wait = two.denseGramStatsLater!([outside]);
  checkJobs([outside], 'before waiting: already done');
  wait();
  const empty = job(two, 0, 4, 2, 1, true);
  two.denseGramStatsLater!([empty])();
  assert.equal(two.deferredGramStats, 0);
  assert.throws(() => two.denseGramStatsLater!([{ ...j, a: two.alloc(39) }]), {
    message: 'denseGramStatsLater a: needs 40 elements, the array has 39',
  });
  assert.throws(() => two.denseGramStatsLater!([{ ...j, delta: two.alloc(14) }]), {
    message: 'denseGramStatsLater delta: needs 15 elements, the array has 14',
  });
  for (const short of [{ dots: new Float64Array(4) }, { squaredNorms: new Float64Array(4) }])
    assert.throws(() => two.denseGramStatsLater!([{ ...j, ...short }]), {
      message: 'denseGramStatsLater: dots and squaredNorms need 5 elements',
    });
});

test('without deferStats (or on one thread) the backend has no denseGramStatsLater', async () => {
  assert.equal(be.denseGramStatsLater, undefined);
  const two = await createWasmBackend({ spawnHelper: idle, deferStats: false, initialBytes: 1 << 20 });
  closing.push(two);
  assert.equal(two.denseGramStatsLater, undefined);
});
