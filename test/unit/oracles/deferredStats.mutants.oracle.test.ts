// The deferred Gram statistics of the WASM backend (src/engine/wasm/deferredStats.ts, through
// Backend.denseGramStatsLater on two threads), against the float64 contract (reference.ts's
// gramReference): when the call list must be recorded again (any of a layer's shape, bias flag or
// buffers changed, the same count of layers or not) and when it may be posted as it is (no new
// buffers then: memoryInfo's allocated bytes stay put); when nothing may be deferred (a helper that
// has not started, any operand of any layer outside the memory, no examples), which shows as
// results already there before the wait, nothing counted and nothing posted (splitProducts).
// The idle helper never takes a job, so a deferred list runs only when the caller waits: whether
// the results are there before the wait tells deferred from run at once, without any clock.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createWasmBackend, createWasmBackendSync, type WasmBackend } from '../../../src/engine/wasm/backend';
import type { DenseGramJob } from '../../../src/engine/backend';
import type { FloatArray } from '../../../src/engine/types';
import { Rng } from '../../../src/engine/random';
import { gramReference, checkGram } from './reference';
import { idleHelper } from './wasmCounting';

const rng = new Rng(20261206);
const closing: WasmBackend[] = [];
after(() => closing.forEach((b) => b.close()));

async function twoThreads(): Promise<WasmBackend> {
  const two = await createWasmBackend({ spawnHelper: idleHelper, initialBytes: 8 << 20 });
  closing.push(two);
  assert.equal(await two.helperStarted(), true);
  return two;
}

/** x filled with values in [-1, 1), each nonzero with probability density. */
function fill(x: FloatArray, density: number): FloatArray {
  for (let i = 0; i < x.length; i++) x[i] = rng.next() < density ? rng.next() * 2 - 1 : 0;
  return x;
}

/** A layer's job; where: which operands live in the backend's memory (the others outside it). */
function job(
  be: WasmBackend,
  [m, p, q]: [number, number, number],
  density: number,
  withBias: boolean,
  where: { a: boolean; delta: boolean } = { a: true, delta: true },
): DenseGramJob {
  const make = (n: number, inside: boolean) => (inside ? be.alloc(n) : new Float32Array(n));
  return {
    m,
    p,
    q,
    withBias,
    a: fill(make(m * p, where.a), density),
    delta: fill(make(m * q, where.delta), 1),
    dots: new Float64Array(m).fill(7),
    squaredNorms: new Float64Array(m).fill(7),
  };
}

/** Every job's statistics against the float64 contract. */
function checkJobs(jobs: DenseGramJob[], what: string) {
  for (const [i, j] of jobs.entries()) {
    const ref = gramReference(j.m, j.p, j.q, j.withBias, j.a, j.delta);
    checkGram(j.dots, ref.dots, ref.dotsMag, `${what}: job ${i} dots`);
    checkGram(j.squaredNorms, ref.sq, ref.sqMag, `${what}: job ${i} squaredNorms`);
  }
}

/** Whether no job has results yet (dots and norms still the 7s they were filled with). */
const pending = (jobs: DenseGramJob[]) => jobs.every((j) => j.dots.every((v) => v === 7) && j.squaredNorms.every((v) => v === 7));
const refill = (jobs: DenseGramJob[]) =>
  jobs.forEach((j) => {
    j.dots.fill(7);
    j.squaredNorms.fill(7);
  });

test('the same layers on the same buffers again: the list is posted as it is, no buffer made again', async () => {
  const two = await twoThreads();
  const jobs = [job(two, [9, 50, 6], 0.1, true), job(two, [6, 20, 4], 1, false)];
  two.denseGramStatsLater!(jobs)();
  checkJobs(jobs, 'first');
  const bytes = two.memoryInfo().allocatedBytes;
  for (let step = 0; step < 3; step++) {
    for (const j of jobs) {
      fill(j.a, j.p === 50 ? 0.1 : 1);
      fill(j.delta, 1);
    }
    refill(jobs);
    const wait = two.denseGramStatsLater!(jobs);
    assert.ok(pending(jobs), `step ${step}: deferred (the idle helper runs nothing before the wait)`);
    wait();
    checkJobs(jobs, `step ${step}`);
    assert.equal(two.memoryInfo().allocatedBytes, bytes, `step ${step}: no new list or scratch block`);
  }
  // fewer layers of those: still no new buffer
  two.denseGramStatsLater!([jobs[1]])();
  checkJobs([jobs[1]], 'one layer of the two');
  assert.equal(two.memoryInfo().allocatedBytes, bytes);
  assert.equal(two.deferredGramStats, 2 * 4 + 1);
});

test('recorded again when only the bias flag, only the buffers, or every key of a layer changes', async () => {
  const two = await twoThreads();
  const first = job(two, [9, 50, 6], 0.1, true);
  two.denseGramStatsLater!([first])();
  checkJobs([first], 'first');
  // the same buffers, the bias flag flipped (KA + 1 → KA)
  const noBias = { ...first, withBias: false, dots: new Float64Array(9), squaredNorms: new Float64Array(9) };
  two.denseGramStatsLater!([noBias])();
  checkJobs([noBias], 'bias flag flipped');
  // the same shapes, flag and sparsity on other buffers
  const moved = job(two, [9, 50, 6], 0.1, false);
  two.denseGramStatsLater!([moved])();
  checkJobs([moved], 'other buffers');
  // every entry of the key differs: shape, bias flag, buffers and dense A
  const other = job(two, [6, 20, 4], 1, true);
  two.denseGramStatsLater!([other])();
  checkJobs([other], 'everything else');
  assert.equal(two.deferredGramStats, 4);
});

test('a helper that has not started: everything at once on this thread, nothing posted', () => {
  // a spawn that never runs anything: the team never sees the helper start
  const never = createWasmBackendSync({ spawnHelper: () => ({ terminate() {} }), initialBytes: 4 << 20 });
  closing.push(never);
  const jobs = [job(never, [9, 50, 6], 0.1, true), job(never, [5, 8, 3], 1, false)];
  const wait = never.denseGramStatsLater!(jobs);
  checkJobs(jobs, 'before the wait');
  wait();
  assert.deepEqual([never.deferredGramStats, never.splitProducts], [0, 0]);
});

test('any operand of any layer outside the memory: every layer at once on this thread', async () => {
  const two = await twoThreads();
  const cases: [string, { a: boolean; delta: boolean }[]][] = [
    ['delta outside', [{ a: true, delta: false }]],
    ['a outside', [{ a: false, delta: true }]],
    [
      'a second layer with delta outside',
      [
        { a: true, delta: true },
        { a: true, delta: false },
      ],
    ],
    [
      'a first layer with a outside',
      [
        { a: false, delta: true },
        { a: true, delta: true },
      ],
    ],
  ];
  for (const [what, where] of cases) {
    const jobs = where.map((w, i) => job(two, i === 0 ? [9, 50, 6] : [6, 20, 4], i === 0 ? 0.1 : 1, true, w));
    const wait = two.denseGramStatsLater!(jobs);
    checkJobs(jobs, `${what}: before the wait`);
    wait();
    checkJobs(jobs, what);
  }
  assert.deepEqual([two.deferredGramStats, two.splitProducts], [0, 0]);
});

test('layers with no examples only: nothing posted, no list or scratch made', async () => {
  const two = await twoThreads();
  const bytes = two.memoryInfo().allocatedBytes;
  const empty = [job(two, [0, 5, 3], 1, true), job(two, [0, 4, 2], 1, false)];
  two.denseGramStatsLater!(empty)();
  assert.deepEqual([two.deferredGramStats, two.splitProducts, two.memoryInfo().allocatedBytes], [0, 0, bytes]);
  // with a layer that has examples: only that one is deferred
  const jobs = [...empty, job(two, [5, 8, 3], 1, true)];
  two.denseGramStatsLater!(jobs)();
  checkJobs(jobs, 'one layer with examples');
  assert.deepEqual([two.deferredGramStats, two.splitProducts], [1, 1]);
});

test('a deferred step uses only its private block (the memory full to its end does not grow) unless a sparse A hid a NaN', async () => {
  const two = await createWasmBackend({ spawnHelper: idleHelper, initialBytes: 1 << 20 });
  closing.push(two);
  assert.equal(await two.helperStarted(), true);
  const jobs = [job(two, [32, 64, 16], 1, true), job(two, [16, 40, 8], 0.1, false)];
  two.denseGramStatsLater!(jobs)();
  checkJobs(jobs, 'first');
  // every byte left up to the memory's end allocated: any scratch of this thread would grow it
  const info = two.memoryInfo();
  two.alloc((info.reservedBytes - info.allocatedBytes) / 4);
  const grows = two.memoryInfo().grows;
  refill(jobs);
  two.denseGramStatsLater!(jobs)();
  checkJobs(jobs, 'again, the memory full');
  assert.equal(two.memoryInfo().grows, grows, 'no growth: the one-thread statistics did not run');
  // a NaN in the dense A reaches the dots by itself: nothing is run again, no growth
  jobs[0].a[5] = NaN;
  two.denseGramStatsLater!(jobs)();
  checkJobs(jobs, 'NaN in the dense A');
  assert.ok(jobs[0].dots.every(Number.isNaN));
  assert.equal(two.memoryInfo().grows, grows, 'a NaN in the dense A: not run again');
  // a NaN in the sparse A, which the skipped zeros would hide: that layer again on this thread (its
  // scratch grows the memory), the NaN in every dot
  jobs[1].a[3] = NaN;
  two.denseGramStatsLater!(jobs)();
  checkJobs(jobs, 'NaN in the sparse A');
  assert.ok(jobs[1].dots.every(Number.isNaN));
  assert.ok(two.memoryInfo().grows > grows, 'a NaN in the sparse A: run again on this thread');
});
