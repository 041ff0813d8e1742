// The WASM backend's gemm wrappers (src/engine/wasm/gemm.ts): which kernel each transpose form and
// shape takes (counted on the real kernels through a recording wrapper of their exports), the
// zero-skipping path's conditions and its counter, Aᵀ·B's slices over a long k, k = 0, empty
// products, operands outside a memory too small for them (the plain TS fallback) and every message.
// Every expected number is the product written out in float64 in this file.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { PAGE_BYTES } from '../../../src/engine/wasm/arena';
import { wasmGemm, wasmGemmEach, type GemmCounters } from '../../../src/engine/wasm/gemm';
import { GemmTeam } from '../../../src/engine/wasm/team';
import { createWasmBackend } from '../../../src/engine/wasm/backend';
import { nodeSpawnHelper } from '../../../src/engine-host/spawnHelper';
import type { FloatArray } from '../../../src/engine/types';
import { Rng } from '../../../src/engine/random';
import { countingContext } from './wasmCounting';
import { textbookGemm } from './reference';

const rng = new Rng(20261203);
const context = countingContext;
const closing: { close(): void }[] = [];
after(() => closing.forEach((b) => b.close()));

function close(actual: FloatArray, expected: { value: Float64Array; mag: Float64Array }, what: string) {
  assert.equal(actual.length >= expected.value.length, true);
  for (let i = 0; i < expected.value.length; i++) {
    const e = expected.value[i];
    if (!Number.isFinite(e)) {
      if (!Object.is(actual[i], e)) assert.fail(`${what}[${i}]: ${actual[i]}, expected ${e}`);
    } else if (!(Math.abs(actual[i] - e) <= 2e-6 * expected.mag[i] + 1e-30))
      assert.fail(`${what}[${i}]: ${actual[i]}, expected ${e} (Σ|terms| ${expected.mag[i]})`);
  }
}

/** n values in (−1, 1), `density` of them nonzero, into x. */
function fill(x: FloatArray, density = 1): FloatArray {
  for (let i = 0; i < x.length; i++) x[i] = rng.next() < density ? rng.next() * 2 - 1 : 0;
  return x;
}

/** Exactly `nonzeros` of the first n entries nonzero (the first ones), the rest zero. */
function withNonzeros(x: FloatArray, nonzeros: number): FloatArray {
  x.fill(0);
  for (let i = 0; i < nonzeros; i++) x[i] = 0.25 + ((i * 7) % 13) / 16;
  return x;
}

type Ctx = ReturnType<typeof context>;

/** One gemm on fresh operands in ctx's memory; returns the kernels it called. */
function run(
  ctx: Ctx,
  gemm: ReturnType<typeof wasmGemm>,
  tA: boolean,
  tB: boolean,
  m: number,
  n: number,
  k: number,
  opts: { alpha?: number; beta?: number; a?: FloatArray; b?: FloatArray; c?: FloatArray } = {},
) {
  const { alpha = 1, beta = 0 } = opts;
  const a = opts.a ?? fill(ctx.arena.alloc(m * k)),
    b = opts.b ?? fill(ctx.arena.alloc(k * n)),
    c = opts.c ?? fill(ctx.arena.alloc(m * n));
  const expected = textbookGemm(tA, tB, m, n, k, alpha, a, b, beta, c);
  ctx.calls.length = 0;
  gemm(tA, tB, m, n, k, alpha, a, b, beta, c);
  close(c, expected, `${tA ? 'Aᵀ' : 'A'}·${tB ? 'Bᵀ' : 'B'} ${m}×${n}×${k} α ${alpha} β ${beta}`);
  return [...ctx.calls];
}

function oneThread(zeros: 'skip' | 'dense' = 'skip') {
  const ctx = context();
  const counters: GemmCounters = { sparse: 0 };
  return { ctx, counters, gemm: wasmGemm(ctx, null, zeros, counters) };
}

test('A·Bᵀ: dot products below 8 rows or above k 256; else B transposed, or A and the result when that moves fewer floats', () => {
  const { ctx, gemm } = oneThread();
  assert.deepEqual(run(ctx, gemm, false, true, 7, 20, 30), ['gemm_nt']);
  // 8 rows, k 256: packed; n·k = 16·256 < m·k + m·n = 8·256 + 8·16? no: 4096 > 2176, so A and C transposed
  assert.deepEqual(run(ctx, gemm, false, true, 8, 16, 256), ['transpose', 'gemm_bn', 'transpose']);
  assert.deepEqual(run(ctx, gemm, false, true, 8, 16, 257), ['gemm_nt']);
  // m·k + m·n = n·k (8·16 + 8·16 = 16·16): B transposed
  assert.deepEqual(run(ctx, gemm, false, true, 8, 16, 16), ['transpose', 'gemm_bn']);
  // one less on the right (8·15 + 8·16 = 248 > 16·15 = 240): B transposed; one more (17): A and C
  assert.deepEqual(run(ctx, gemm, false, true, 8, 16, 15), ['transpose', 'gemm_bn']);
  assert.deepEqual(run(ctx, gemm, false, true, 8, 16, 17), ['transpose', 'gemm_bn', 'transpose']);
  // beta ≠ 0 never transposes the result (C must be read): B transposed
  assert.deepEqual(run(ctx, gemm, false, true, 8, 40, 30, { beta: 0.5, alpha: -1.25 }), ['transpose', 'gemm_bn']);
  assert.deepEqual(run(ctx, gemm, false, true, 8, 40, 30, { beta: 0 }), ['transpose', 'gemm_bn', 'transpose']);
  // Aᵀ·Bᵀ: the strided scalar kernel
  assert.deepEqual(run(ctx, gemm, true, true, 9, 11, 13, { beta: 1, alpha: 0.5 }), ['gemm_scalar']);
});

/** An 8×32×32 A·Bᵀ in a one-page memory filled up to `spare` floats (operands alloc'd; scratch starts above them). */
function packedNtOperands(spare: number) {
  const ctx = context(1, 1);
  const gemm = wasmGemm(ctx, null, 'skip', { sparse: 0 });
  const used = ctx.arena.memoryInfo().allocatedBytes / 4;
  const [m, n, k] = [8, 32, 32];
  const a = fill(ctx.arena.alloc(m * k)),
    b = fill(ctx.arena.alloc(n * k)),
    c = fill(ctx.arena.alloc(m * n));
  ctx.arena.alloc(PAGE_BYTES / 4 - used - m * k - n * k - m * n - spare);
  return { ctx, gemm, m, n, k, a, b, c };
}

test('A·Bᵀ packed: no room for the transposed copy or the transposed result falls back to dot products', () => {
  // 8×32×32: viaAT (8·32 + 8·32 = 512 < 1024) needs 256 + 256 floats of scratch after the operands
  for (const [spare, expected] of [
    [0, ['gemm_nt']],
    [256, ['gemm_nt']],
    [512, ['transpose', 'gemm_bn', 'transpose']],
  ] as const) {
    const { ctx, gemm, m, n, k, a, b, c } = packedNtOperands(spare);
    assert.equal(ctx.arena.memoryInfo().allocatedBytes, PAGE_BYTES - 4 * spare);
    assert.deepEqual(run(ctx, gemm, false, true, m, n, k, { a, b, c }), expected, `spare ${spare}`);
  }
});

test('A·Bᵀ packed: a reservation short by one 16-byte block falls back to dot products (no write past it)', () => {
  // 8×32×32: beta 0 packs A and the result (256 + 256 floats), beta 0.5 packs B (1024 floats). With 4
  // floats fewer than that left, the last reservation fails: gemm_nt, and nothing written past memory
  for (const [beta, need, expected] of [
    [0, 512, ['transpose', 'gemm_bn', 'transpose']],
    [0.5, 1024, ['transpose', 'gemm_bn']],
  ] as const)
    for (const spare of [need - 4, need]) {
      const { ctx, gemm, m, n, k, a, b, c } = packedNtOperands(spare);
      assert.deepEqual(
        run(ctx, gemm, false, true, m, n, k, { a, b, c, beta }),
        spare === need ? expected : ['gemm_nt'],
        `beta ${beta} spare ${spare}`,
      );
    }
});

test('A·B and Aᵀ·B: the dense 4×8 tile; Aᵀ·B over k > 128 in slices of 128 rows, beta applied once', () => {
  const { ctx, gemm } = oneThread('dense');
  assert.deepEqual(run(ctx, gemm, false, false, 5, 6, 300, { beta: 0.5 }), ['gemm_bn']);
  assert.deepEqual(run(ctx, gemm, true, false, 5, 6, 128, { beta: 0.5 }), ['gemm_bn']);
  assert.deepEqual(run(ctx, gemm, true, false, 5, 6, 129, { beta: 0.5 }), ['gemm_bn', 'gemm_bn']);
  assert.deepEqual(run(ctx, gemm, true, false, 7, 9, 300, { beta: -2, alpha: 0.75 }), ['gemm_bn', 'gemm_bn', 'gemm_bn']);
  assert.deepEqual(run(ctx, gemm, true, false, 7, 9, 300, { beta: 0 }), ['gemm_bn', 'gemm_bn', 'gemm_bn']);
});

test('k = 0: C = beta·C (beta 0: zeros, even over NaN); m = 0 or n = 0: nothing called, nothing written', () => {
  const { ctx, gemm } = oneThread();
  for (const [tA, tB] of [
    [false, false],
    [true, false],
  ] as const) {
    const c = ctx.arena.alloc(6);
    c.set([1, -2, 3, NaN, 5, 6]);
    ctx.calls.length = 0;
    gemm(tA, tB, 2, 3, 0, 1, ctx.arena.alloc(0), ctx.arena.alloc(0), 0.5, c);
    assert.deepEqual([...c], [0.5, -1, 1.5, NaN, 2.5, 3]);
    assert.deepEqual(ctx.calls, ['gemm_bn']);
    gemm(tA, tB, 2, 3, 0, 1, ctx.arena.alloc(0), ctx.arena.alloc(0), 0, c);
    assert.deepEqual([...c], [0, 0, 0, 0, 0, 0]);
  }
  for (const [m, n] of [
    [0, 3],
    [3, 0],
  ]) {
    const c = new Float32Array(4).fill(9);
    ctx.calls.length = 0;
    gemm(false, false, m, n, 2, 1, new Float32Array(6), new Float32Array(6), 0, c);
    assert.deepEqual([ctx.calls, [...c]], [[], [9, 9, 9, 9]]);
  }
});

test('A·B skips A’s zeros from 2¹⁴ multiply-adds, 4 columns and at most 30 % nonzeros of A, B finite, beta 0', () => {
  const { ctx, counters, gemm } = oneThread();
  const SKIP = ['nonzero_count', 'all_finite', 'gemm_sparse_a'];
  const sparseA = (m: number, k: number, nonzeros: number) => withNonzeros(ctx.arena.alloc(m * k), nonzeros);
  // 16×16×64 = 2¹⁴ multiply-adds, 30 % of 1024 = 307.2: 307 nonzeros skip, 308 do not
  assert.deepEqual(run(ctx, gemm, false, false, 16, 16, 64, { a: sparseA(16, 64, 307) }), SKIP);
  assert.equal(counters.sparse, 1);
  assert.deepEqual(run(ctx, gemm, false, false, 16, 16, 64, { a: sparseA(16, 64, 308) }), ['nonzero_count', 'gemm_bn']);
  assert.equal(counters.sparse, 1);
  // one multiply-add fewer than 2¹⁴ (16×16×63 = 16 128): dense without counting
  assert.deepEqual(run(ctx, gemm, false, false, 16, 16, 63, { a: sparseA(16, 63, 10) }), ['gemm_bn']);
  // 4 columns skip, 3 do not (16×4×256 = 2¹⁴; 16×3×512 > 2¹⁴)
  assert.deepEqual(run(ctx, gemm, false, false, 16, 4, 256, { a: sparseA(16, 256, 100) }), SKIP);
  assert.deepEqual(run(ctx, gemm, false, false, 16, 3, 512, { a: sparseA(16, 512, 100) }), ['gemm_bn']);
  assert.equal(counters.sparse, 2);
  // beta ≠ 0: dense (the zero-skipping kernel overwrites C)
  assert.deepEqual(run(ctx, gemm, false, false, 16, 16, 64, { a: sparseA(16, 64, 10), beta: 0.5 }), ['gemm_bn']);
  // Aᵀ·B with k ≤ 128 skips too (A stored k×m); above 128 it goes in dense slices
  assert.deepEqual(run(ctx, gemm, true, false, 16, 16, 128, { a: sparseA(16, 128, 50), alpha: -0.5 }), SKIP);
  assert.deepEqual(run(ctx, gemm, true, false, 16, 16, 129, { a: sparseA(16, 129, 50) }), ['gemm_bn', 'gemm_bn']);
  assert.equal(counters.sparse, 3);
  // an infinite B: dense, and the NaN of 0·∞ reaches C as the reference computes it
  const b = fill(ctx.arena.alloc(64 * 16));
  b[5 * 16 + 2] = Infinity;
  assert.deepEqual(run(ctx, gemm, false, false, 16, 16, 64, { a: sparseA(16, 64, 100), b }), [
    'nonzero_count',
    'all_finite',
    'gemm_bn',
  ]);
  assert.equal(counters.sparse, 3);
  // zeros: 'dense' never counts A's zeros
  const dense = oneThread('dense');
  assert.deepEqual(run(dense.ctx, dense.gemm, false, false, 16, 16, 64, { a: withNonzeros(dense.ctx.arena.alloc(1024), 10) }), [
    'gemm_bn',
  ]);
  assert.equal(dense.counters.sparse, 0);
});

test('the zero-skipping list needs 5k + 5 words of scratch: without them the dense kernel runs', () => {
  // 16×16×64 sparse: the list takes align16(4·(5·64 + 5)) = 1312 bytes after the operands (outside: copied)
  for (const [spareBytes, expected] of [
    [1296, ['nonzero_count', 'all_finite', 'gemm_bn']],
    [1312, ['nonzero_count', 'all_finite', 'gemm_sparse_a']],
  ] as const) {
    const ctx = context(1, 1);
    const counters = { sparse: 0 };
    const gemm = wasmGemm(ctx, null, 'skip', counters);
    const [m, n, k] = [16, 16, 64];
    const a = withNonzeros(ctx.arena.alloc(m * k), 40),
      b = fill(ctx.arena.alloc(k * n)),
      c = ctx.arena.alloc(m * n);
    ctx.arena.alloc((PAGE_BYTES - ctx.arena.memoryInfo().allocatedBytes - spareBytes) / 4);
    assert.deepEqual(run(ctx, gemm, false, false, m, n, k, { a, b, c }), expected, `spare ${spareBytes} bytes`);
    assert.equal(counters.sparse, expected[2] === 'gemm_sparse_a' ? 1 : 0);
  }
});

test('with a team: its list2 is a second 5k + 5 words (no room for both: dense), products through the team', () => {
  for (const [spareBytes, last] of [
    [2608, 'gemm_bn'],
    [2624, 'gemm_sparse_a'],
  ] as const) {
    const ctx = context(1, 1);
    // a team whose helper cannot start: it runs every product on this thread through the same kernels
    const team = new GemmTeam(ctx.memory, ctx.k, () => {
      throw new Error('no thread here');
    });
    const counters = { sparse: 0 };
    const gemm = wasmGemm(ctx, team, 'skip', counters);
    const [m, n, k] = [16, 16, 64];
    const a = withNonzeros(ctx.arena.alloc(m * k), 40),
      b = fill(ctx.arena.alloc(k * n)),
      c = ctx.arena.alloc(m * n);
    ctx.arena.alloc((PAGE_BYTES - ctx.arena.memoryInfo().allocatedBytes - spareBytes) / 4);
    assert.deepEqual(run(ctx, gemm, false, false, m, n, k, { a, b, c }), ['nonzero_count', 'all_finite', last]);
    assert.equal(counters.sparse, last === 'gemm_sparse_a' ? 1 : 0);
  }
});

test('operands outside a memory too small for them: the plain TS product, no kernel, C outside written', () => {
  const ctx = context(1, 1);
  const counters = { sparse: 0 };
  const gemm = wasmGemm(ctx, null, 'skip', counters);
  // 100×100 floats each: 40 000 bytes; A fits in the one 64 KiB page, B then does not
  const [m, n, k] = [100, 100, 100];
  for (const [tA, tB] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const)
    for (const beta of [0, 0.5]) {
      const a = fill(new Float32Array(m * k), 0.2),
        b = fill(new Float32Array(k * n)),
        c = fill(new Float32Array(m * n));
      if (beta === 0) c[7] = NaN;
      assert.deepEqual(run(ctx, gemm, tA, tB, m, n, k, { a, b, c, beta }), []);
    }
  assert.equal(counters.sparse, 0);
  // outside but fitting: copied in and C copied back
  const small = oneThread();
  const c = fill(new Float64Array(12));
  assert.deepEqual(
    run(small.ctx, small.gemm, false, false, 3, 4, 5, {
      a: fill(new Float64Array(15)),
      b: fill(new Float32Array(20)),
      c,
      beta: 1,
    }),
    ['gemm_bn'],
  );
  assert.equal(small.ctx.arena.memoryInfo().copyCalls, 3);
});

test('gemm and gemmEach name a short operand', () => {
  const { ctx, gemm } = oneThread();
  const each = wasmGemmEach(ctx, gemm);
  const f = (n: number) => new Float32Array(n);
  assert.throws(() => gemm(false, false, 2, 3, 4, 1, f(7), f(12), 0, f(6)), {
    message: 'gemm A: needs 8 elements, the array has 7',
  });
  assert.throws(() => gemm(false, false, 2, 3, 4, 1, f(8), f(11), 0, f(6)), {
    message: 'gemm B: needs 12 elements, the array has 11',
  });
  assert.throws(() => gemm(false, false, 2, 3, 4, 1, f(8), f(12), 0, f(5)), {
    message: 'gemm C: needs 6 elements, the array has 5',
  });
  assert.throws(() => each(2, 2, 3, 4, f(7), f(24), f(12)), { message: 'gemmEach A: needs 8 elements, the array has 7' });
  assert.throws(() => each(2, 2, 3, 4, f(8), f(23), f(12)), { message: 'gemmEach B: needs 24 elements, the array has 23' });
  assert.throws(() => each(2, 2, 3, 4, f(8), f(24), f(11)), { message: 'gemmEach C: needs 12 elements, the array has 11' });
});

test('gemmEach: one gemm_bn_each for every product; outside and too large: one gemm each; empty: nothing', () => {
  const ctx = context();
  const gemm = wasmGemm(ctx, null, 'dense', { sparse: 0 });
  const each = wasmGemmEach(ctx, gemm);
  const [count, m, n, k] = [3, 5, 6, 7];
  const check = (a: FloatArray, b: FloatArray, c: FloatArray, what: string) => {
    const expected = Array.from({ length: count }, (_, e) =>
      textbookGemm(false, false, m, n, k, 1, a, b.subarray(e * k * n, (e + 1) * k * n), 0, c),
    );
    ctx.calls.length = 0;
    each(count, m, n, k, a, b, c);
    for (let e = 0; e < count; e++) close(c.subarray(e * m * n, (e + 1) * m * n), expected[e], `${what} product ${e}`);
    return [...ctx.calls];
  };
  assert.deepEqual(
    check(fill(ctx.arena.alloc(m * k)), fill(ctx.arena.alloc(count * k * n)), fill(ctx.arena.alloc(count * m * n)), 'inside'),
    ['gemm_bn_each'],
  );
  const outside = check(
    fill(new Float32Array(m * k)),
    fill(new Float32Array(count * k * n)),
    fill(new Float32Array(count * m * n)),
    'outside',
  );
  assert.deepEqual(outside, ['gemm_bn_each']);
  for (const [cnt, mm, nn] of [
    [0, 2, 2],
    [2, 0, 2],
    [2, 2, 0],
  ]) {
    const c = new Float32Array(8).fill(4);
    ctx.calls.length = 0;
    each(cnt, mm, nn, 2, new Float32Array(8), new Float32Array(8), c);
    assert.deepEqual([ctx.calls, [...c]], [[], [4, 4, 4, 4, 4, 4, 4, 4]]);
  }
  // a memory of one page: A and the three B (4 × 16 KiB) from outside do not fit, so one gemm each
  // (whose A, B and C, 3 × 16 KiB, do)
  const tiny = context(1, 1);
  const tinyEach = wasmGemmEach(tiny, wasmGemm(tiny, null, 'dense', { sparse: 0 }));
  const [M, N, K] = [64, 64, 64];
  const a = fill(new Float32Array(M * K)),
    b = fill(new Float32Array(count * K * N)),
    c = new Float32Array(count * M * N).fill(NaN);
  const expected = Array.from({ length: count }, (_, e) =>
    textbookGemm(false, false, M, N, K, 1, a, b.subarray(e * K * N, (e + 1) * K * N), 0, c),
  );
  tinyEach(count, M, N, K, a, b, c);
  for (let e = 0; e < count; e++) close(c.subarray(e * M * N, (e + 1) * M * N), expected[e], `tiny product ${e}`);
  assert.deepEqual(tiny.calls, ['gemm_bn', 'gemm_bn', 'gemm_bn']);
});

test('two threads: a large A·B and a large sparse A·B split with the helper, the same numbers as the float64 product', async () => {
  const be = await createWasmBackend({ spawnHelper: nodeSpawnHelper, initialBytes: 16 << 20 });
  closing.push(be);
  assert.equal(await be.helperStarted(), true);
  const [m, n, k] = [128, 64, 128];
  for (const density of [1, 0.1]) {
    const a = fill(be.alloc(m * k), density),
      b = fill(be.alloc(k * n)),
      c = be.alloc(m * n);
    const expected = textbookGemm(false, false, m, n, k, 1, a, b, 0, c);
    // Which chunks the helper claims depends on when the machine schedules it (on a loaded machine
    // this thread can claim them all), so the product is repeated until the helper did take part,
    // each time against the float64 product.
    const helperBefore = be.helperChunks;
    for (let tries = 0; tries < 2000 && be.helperChunks === helperBefore; tries++) {
      const [split, sparse] = [be.splitProducts, be.sparseProducts];
      c.fill(NaN);
      be.gemm(false, false, m, n, k, 1, a, b, 0, c);
      close(c, expected, `density ${density}, try ${tries}`);
      assert.equal(be.splitProducts, split + 1);
      assert.equal(be.sparseProducts, sparse + (density < 1 ? 1 : 0));
    }
    assert.ok(be.helperChunks > helperBefore, `density ${density}: the helper thread took part of the product`);
  }
});

test('A and B in the memory, C outside and too large for the scratch left: gemm in plain TS, gemmEach one product at a time', () => {
  // one 64 KiB page: C (100×200 or 5 × 64×64 floats, 80 KiB) cannot be copied in, A and B are inside
  const ctx = context(1, 1);
  const gemm = wasmGemm(ctx, null, 'skip', { sparse: 0 });
  for (const beta of [0, 0.5]) {
    const c = fill(new Float32Array(100 * 200));
    assert.deepEqual(run(ctx, gemm, false, false, 100, 200, 2, { c, beta }), [], `beta ${beta}: no kernel`);
  }
  const each = wasmGemmEach(ctx, gemm);
  const [count, m, n, k] = [5, 64, 64, 2];
  const a = fill(ctx.arena.alloc(m * k)),
    b = fill(ctx.arena.alloc(count * k * n)),
    c = new Float32Array(count * m * n).fill(NaN);
  ctx.calls.length = 0;
  each(count, m, n, k, a, b, c);
  for (let e = 0; e < count; e++)
    close(
      c.subarray(e * m * n, (e + 1) * m * n),
      textbookGemm(false, false, m, n, k, 1, a, b.subarray(e * k * n, (e + 1) * k * n), 0, c),
      `gemmEach product ${e}`,
    );
  // each product's C (16 KiB) fits: one gemm_bn each
  assert.deepEqual(ctx.calls, Array(count).fill('gemm_bn'));
});

test('the zero-skipping bound is inclusive: exactly 30 % nonzeros of A skip, one more does not', () => {
  const { ctx, counters, gemm } = oneThread();
  // 8×41×50 = 16 400 ≥ 2¹⁴ multiply-adds; 0.3 · 8 · 50 = 120 exactly (no rounding)
  const [m, n, k] = [8, 41, 50];
  assert.equal(0.3 * m * k, 120);
  const a = (nonzeros: number) => withNonzeros(ctx.arena.alloc(m * k), nonzeros);
  assert.deepEqual(run(ctx, gemm, false, false, m, n, k, { a: a(120) }), ['nonzero_count', 'all_finite', 'gemm_sparse_a']);
  assert.deepEqual(run(ctx, gemm, false, false, m, n, k, { a: a(121) }), ['nonzero_count', 'gemm_bn']);
  assert.equal(counters.sparse, 1);
});
