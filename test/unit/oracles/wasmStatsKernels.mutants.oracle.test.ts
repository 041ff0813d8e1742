// The WASM backend's dense Gram statistics wrapper (src/engine/wasm/statsKernels.ts) over the real
// kernels with their calls recorded (wasmCounting.ts): when A's zeros are skipped (judged on the
// first 8 rows, from 4 rows, at most 30 % nonzero), the dense retry when a skipped zero hid a NaN or
// ∞ (and only then), operands outside the memory, no scratch left, and the planner's scratch
// reservations against twoThreadSizes' bound. Values: the contract in float64 written here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gramPlanner, statsKernels } from '../../../src/engine/wasm/statsKernels';
import { gramScratchFloats } from '../../../src/engine/wasm/twoThreadSizes';
import { PAGE_BYTES } from '../../../src/engine/wasm/arena';
import type { FloatArray } from '../../../src/engine/types';
import { countingContext } from './wasmCounting';

const DENSE = ['transpose', 'gram_upper', 'transpose', 'gram_upper', 'gram_combine'];
const SPARSE = ['gram_upper_sparse', 'transpose', 'gram_upper', 'gram_combine'];

/** dots[i] = (1/m)·Σⱼ KΔ[i,j](KA[i,j] + b), sq[i] = KΔ[i,i](KA[i,i] + b), in float64. */
function reference(m: number, p: number, q: number, withBias: boolean, a: FloatArray, delta: FloatArray) {
  const dot = (x: FloatArray, n: number, i: number, j: number) => {
    let s = 0;
    for (let t = 0; t < n; t++) s += x[i * n + t] * x[j * n + t];
    return s;
  };
  const b = withBias ? 1 : 0;
  const dots = new Float64Array(m),
    sq = new Float64Array(m);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < m; j++) {
      const v = dot(delta, q, i, j) * (dot(a, p, i, j) + b);
      dots[i] += v / m;
      if (i === j) sq[i] = v;
    }
  return { dots, sq };
}

function close(actual: Float64Array, expected: Float64Array, what: string) {
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    if (!Number.isFinite(e)) {
      if (!Object.is(actual[i], e)) assert.fail(`${what}[${i}]: ${actual[i]}, expected ${e}`);
    } else if (!(Math.abs(actual[i] - e) <= 1e-5 * Math.abs(e) + 1e-6)) assert.fail(`${what}[${i}]: ${actual[i]}, expected ${e}`);
  }
}

/** Values i·0.37 mod 1.9 − 0.9 (never zero) at the positions `nonzero(index)` says, zero elsewhere. */
function pattern(x: FloatArray, nonzero: (t: number) => boolean): FloatArray {
  for (let t = 0; t < x.length; t++) x[t] = nonzero(t) ? ((t * 0.37) % 1.9) - 0.85 : 0;
  return x;
}

function runStats(
  ctx: ReturnType<typeof countingContext>,
  m: number,
  p: number,
  q: number,
  nonzero: (t: number) => boolean,
  opts: { withBias?: boolean; inside?: boolean; poison?: [number, number]; scratch?: number } = {},
) {
  const { withBias = true, inside = true } = opts;
  const make = (n: number) => (inside ? ctx.arena.alloc(n) : new Float32Array(n));
  const a = pattern(make(m * p), nonzero),
    delta = pattern(make(m * q), () => true);
  if (opts.poison) a[opts.poison[0]] = opts.poison[1];
  const dots = new Float64Array(m),
    sq = new Float64Array(m);
  const expected = reference(m, p, q, withBias, a, delta);
  // what earlier calls left above the allocations (the next call's scratch)
  if (opts.scratch !== undefined) ctx.arena.f32.fill(opts.scratch, ctx.arena.memoryInfo().allocatedBytes / 4);
  ctx.calls.length = 0;
  statsKernels(ctx).denseGramStats(m, p, q, withBias, a, delta, dots, sq);
  const what = `${m}×${p}×${q}`;
  close(dots, expected.dots, `${what} dots`);
  close(sq, expected.sq, `${what} squaredNorms`);
  return { calls: [...ctx.calls], dots, sq };
}

test('A’s zeros are skipped from 4 rows at ≤ 30 % nonzero, judged on the first 8 rows: the counted calls', () => {
  const ctx = countingContext();
  const count = ['nonzero_count'];
  // 4 rows, 10 columns: 12 of 40 nonzero (30 %) skip, 13 do not; 3 rows never
  assert.deepEqual(runStats(ctx, 4, 10, 3, (t) => t < 12).calls, [...count, ...SPARSE]);
  assert.deepEqual(runStats(ctx, 4, 10, 3, (t) => t < 13).calls, [...count, ...DENSE]);
  assert.deepEqual(runStats(ctx, 3, 10, 3, (t) => t < 2).calls, [...DENSE]);
  // 12 rows: the first 8 sparse (10 %), the last 4 dense: skipped
  assert.deepEqual(runStats(ctx, 12, 20, 3, (t) => (t < 160 ? t % 10 === 0 : true)).calls, [...count, ...SPARSE]);
  // 12 rows: the first 8 dense, the last 4 all zero (12 % of all): not skipped
  assert.deepEqual(runStats(ctx, 12, 20, 3, (t) => t < 160 && t % 10 < 4).calls, [...count, ...DENSE]);
  // no columns at all (p = 0): KA = 0, nothing to count
  const empty = runStats(ctx, 5, 0, 2, () => true);
  assert.deepEqual(empty.calls, DENSE);
  // without bias, a sparse A
  assert.deepEqual(runStats(ctx, 6, 30, 4, (t) => t % 7 === 0, { withBias: false }).calls, [...count, ...SPARSE]);
});

test('a NaN or ∞ among the skipped zeros’ rows: the same layer again with the zeros multiplied, results as float64 says', () => {
  const ctx = countingContext();
  for (const bad of [NaN, Infinity, -Infinity]) {
    // (scratch zeroed first: only the diagonal, not what an earlier call left, may reveal the NaN)
    const r = runStats(ctx, 8, 40, 3, (t) => t % 8 === 0, { poison: [3 * 40 + 5, bad], scratch: 0 });
    assert.deepEqual(r.calls, ['nonzero_count', ...SPARSE, ...DENSE], `${bad}`);
    assert.ok(r.dots.every(Number.isNaN), `${bad}: every dot meets it`);
  }
  // the last row poisoned (the diagonal's last entry: stride m4 + 1 = 9 floats apart)
  const last = runStats(ctx, 7, 40, 3, (t) => t % 9 === 0, { poison: [6 * 40 + 1, Infinity], scratch: 0 });
  assert.deepEqual(last.calls, ['nonzero_count', ...SPARSE, ...DENSE]);
  assert.equal(last.sq[6], Infinity);
  // finite and sparse: no retry, whatever earlier calls left in the scratch (KA's padding and lower triangle)
  for (const m of [7, 8, 12])
    for (const scratch of [NaN, Infinity, 0])
      assert.deepEqual(
        runStats(ctx, m, 40, 3, (t) => t % 8 === 0, { scratch }).calls,
        ['nonzero_count', ...SPARSE],
        `m ${m} scratch ${scratch}`,
      );
});

test('operands outside the memory are copied in (once each); an empty batch calls nothing', () => {
  const ctx = countingContext();
  const before = ctx.arena.memoryInfo().copyCalls;
  assert.deepEqual(runStats(ctx, 6, 30, 4, (t) => t % 5 === 0, { inside: false }).calls, ['nonzero_count', ...SPARSE]);
  assert.equal(ctx.arena.memoryInfo().copyCalls - before, 2);
  ctx.calls.length = 0;
  const dots = new Float64Array(1).fill(5);
  statsKernels(ctx).denseGramStats(0, 3, 2, true, new Float32Array(0), new Float32Array(0), dots, dots);
  assert.deepEqual([ctx.calls, [...dots]], [[], [5]]);
});

test('no scratch left for the Gram matrices: the clear error', () => {
  const ctx = countingContext(1, 1);
  const [m, p, q] = [40, 40, 4];
  const a = pattern(ctx.arena.alloc(m * p), () => true),
    delta = pattern(ctx.arena.alloc(m * q), () => true);
  // leave less than the dense path needs (KΔ m², out 4m, KA m², Aᵀ mp, Δᵀ mq floats)
  ctx.arena.alloc((PAGE_BYTES - ctx.arena.memoryInfo().allocatedBytes) / 4 - 2 * m * m);
  assert.throws(() => statsKernels(ctx).denseGramStats(m, p, q, true, a, delta, new Float64Array(m), new Float64Array(m)), {
    message: 'WASM backend: no scratch space left for the Gram matrices',
  });
});

test('the planner: calls() within gramScratchFloats of scratch, null once it has no room; read() copies only m results', () => {
  /** Floats of one reservation (16-byte blocks). */
  const r = (floats: number) => Math.ceil(floats / 4) * 4;
  for (const [m, p, q, dense] of [
    [5, 30, 4, true],
    [5, 30, 4, false],
    [9, 12, 20, false],
    [9, 12, 20, true],
    [9, 2, 2, true],
    [2, 0, 0, true],
    [6, 3, 1, false],
  ] as const) {
    const ctx = countingContext();
    const planner = gramPlanner(ctx);
    const a = pattern(ctx.arena.alloc(m * p), (t) => t % 6 === 0),
      delta = pattern(ctx.arena.alloc(m * q), () => true);
    ctx.arena.begin();
    const start = ctx.arena.reserve(0)!;
    const c = planner.calls(m, p, q, true, a.byteOffset, delta.byteOffset, dense)!;
    assert.notEqual(c, null);
    const used = (ctx.arena.reserve(0)! - start) / 4;
    // KΔ, the 2m float64 results, KA (m4×m4 when sparse, with its panels and lists), Aᵀ when dense, Δᵀ
    const m4 = (m + 3) & ~3;
    const ka = dense ? r(m * m) + r(p * m) : r(m4 * m4) + r(m4 * p) + r((m4 / 4) * (p + 1));
    assert.equal(used, r(m * m) + r(4 * m) + ka + r(q * m), `${m}×${p}×${q} dense ${dense}: floats reserved`);
    assert.ok(used <= gramScratchFloats(m, p, q), `${m}×${p}×${q} dense ${dense}: ${used} floats`);
    assert.equal(c.m, m);
    assert.equal(c.sparseKa === null, dense);
    if (c.sparseKa) assert.equal(c.sparseKa.stride, (m + 3) & ~3);
    const dots = new Float64Array(m + 1).fill(8),
      sq = new Float64Array(m + 1).fill(8);
    assert.equal(planner.read(c, dots, sq), true);
    const expected = reference(m, p, q, true, a, delta);
    close(dots.subarray(0, m), expected.dots, 'dots');
    close(sq.subarray(0, m), expected.sq, 'squaredNorms');
    assert.deepEqual([dots[m], sq[m]], [8, 8]);
    // every reservation needed: one float less than used at any point is null
    for (let room = 0; room < used; room += 4) {
      const tight = countingContext(1, 1);
      const tp = gramPlanner(tight);
      const ta = tight.arena.alloc(m * p),
        td = tight.arena.alloc(m * q);
      ta.set(a);
      td.set(delta);
      tight.arena.alloc((PAGE_BYTES - tight.arena.memoryInfo().allocatedBytes) / 4 - room);
      tight.arena.begin();
      assert.equal(tp.calls(m, p, q, true, ta.byteOffset, td.byteOffset, dense), null, `room ${room} of ${used}`);
    }
  }
});
