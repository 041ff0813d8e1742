// Backend.splitExamples on the two-thread WASM backend (src/engine/wasm/split.ts): which backend
// each part gets, where the batch is cut, the recorded part's call list (its capacity, reset between
// splits) and its private scratch, and the refusals (alloc, buffers outside the memory). The helper
// used here takes no work (it only says it started), so this thread runs the recorded list itself:
// the same kernels on the same operands as the real helper (team.ts), with a deterministic schedule.
// Every expected number is worked out in this file (sums of small integers, a float64 product).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../../src/engine/backend';
import type { FloatArray } from '../../../src/engine/types';
import { createWasmBackend, createWasmBackendSync } from '../../../src/engine/wasm/backend';
import { nodeSpawnHelper } from '../../../src/engine-host/spawnHelper';
import { SPLIT_SCRATCH_FLOATS } from '../../../src/engine/wasm/twoThreadSizes';

const idle: typeof nodeSpawnHelper = (_source, init) =>
  nodeSpawnHelper('function (init) { Atomics.store(new Int32Array(init.memory.buffer, init.control, 4), 1, 1); }', init);

const backends: { close(): void }[] = [];
after(() => backends.forEach((b) => b.close()));

async function twoThreads(opts: Parameters<typeof createWasmBackend>[0] = {}) {
  const be = await createWasmBackend({ spawnHelper: idle, initialBytes: 8 << 20, ...opts });
  backends.push(be);
  assert.equal(await be.helperStarted(), true);
  return be;
}

test('parts: one part on the backend itself below 4 examples, else [0, ⌈m/2⌉) here and the rest recorded', async () => {
  const be = await twoThreads();
  const seen: [Backend, number, number, number][] = [];
  const record = (b: Backend, start: number, end: number, part: number) => void seen.push([b, start, end, part]);
  be.splitExamples!(3, record);
  assert.equal(seen.length, 1);
  assert.equal(seen[0][0], be, 'below 4 examples: the caller’s own backend');
  assert.deepEqual(seen[0].slice(1), [0, 3, 0]);
  for (const [m, cut] of [
    [4, 2],
    [7, 4],
  ]) {
    seen.length = 0;
    be.splitExamples!(m, record);
    const sorted = [...seen].sort((a, b) => a[3] - b[3]);
    assert.deepEqual(
      sorted.map((s) => s.slice(1)),
      [
        [0, cut, 0],
        [cut, m, 1],
      ],
      `m = ${m}`,
    );
    assert.notEqual(sorted[0][0], be, 'part 0 gets a backend whose products are not split again');
    assert.notEqual(sorted[1][0], be, 'part 1 gets the recording backend');
    assert.notEqual(sorted[0][0], sorted[1][0]);
  }
});

test('a helper not started yet (deferred): the whole batch in one part on the backend itself', async () => {
  const be = await createWasmBackend({ spawnHelper: idle, helperAfterMs: 1e9, initialBytes: 1 << 20 });
  backends.push(be);
  const seen: [Backend, number, number, number][] = [];
  be.splitExamples!(8, (b, start, end, part) => void seen.push([b, start, end, part]));
  assert.equal(seen.length, 1);
  assert.equal(seen[0][0], be);
  assert.deepEqual(seen[0].slice(1), [0, 8, 0]);
});

test('the recorded part holds 585 row sums (7 words each in a 4096-word list), not 586; the list starts over each split', async () => {
  const be = await twoThreads();
  const calls = 585;
  const x = be.alloc(2 * 3),
    out = be.alloc(calls + 1);
  x.set([1, 2, 3, 4, 5, 6]);
  const half = (part: Backend, count: number) => {
    for (let c = 0; c < count; c++) part.rowSums(1, 3, c + 1, x.subarray(3), out.subarray(c, c + 1));
  };
  for (let round = 0; round < 2; round++) {
    out.fill(NaN);
    be.splitExamples!(4, (part, start) => {
      if (start > 0) half(part, calls);
    });
    // row 1 of x sums to 15: call c wrote (c + 1)·15
    for (let c = 0; c < calls; c++) if (out[c] !== (c + 1) * 15) assert.fail(`round ${round}, call ${c}: ${out[c]}`);
    assert.ok(Number.isNaN(out[calls]));
  }
  assert.throws(
    () =>
      be.splitExamples!(4, (part, start) => {
        if (start > 0) half(part, calls + 1);
      }),
    { message: 'WASM backend: a split part recorded more calls than its list holds' },
  );
});

test('a shorter list after a longer one runs only its own calls', async () => {
  const be = await twoThreads();
  const x = be.alloc(3).fill(1),
    out = be.alloc(10);
  be.splitExamples!(4, (part, start) => {
    if (start > 0) for (let c = 0; c < 10; c++) part.rowSums(1, 3, 1, x, out.subarray(c, c + 1));
  });
  assert.deepEqual([...out], Array(10).fill(3));
  out.fill(-1);
  be.splitExamples!(4, (part, start) => {
    if (start > 0) part.rowSums(1, 3, 2, x, out.subarray(0, 1));
  });
  assert.deepEqual([...out], [6, ...Array(9).fill(-1)]);
});

test('a part refuses alloc and buffers outside the memory, with messages that say so', async () => {
  const be = await twoThreads();
  const inside = be.alloc(4);
  assert.throws(
    () =>
      be.splitExamples!(4, (part, start) => {
        if (start > 0) part.alloc(3);
      }),
    { message: 'WASM backend: alloc inside a split part' },
  );
  for (const which of ['input', 'output'] as const)
    assert.throws(
      () =>
        be.splitExamples!(4, (part, start) => {
          if (start === 0) return;
          const outside = new Float32Array(4);
          if (which === 'input') part.rowSums(1, 4, 1, outside, inside);
          else part.rowSums(1, 4, 1, inside, outside);
        }),
      { message: 'WASM backend: a split part was given a buffer outside WASM memory' },
    );
  // in place (inout): a bias activation over an outside buffer
  assert.throws(
    () =>
      be.splitExamples!(4, (part, start) => {
        if (start > 0) part.biasActivation(1, 4, 'relu', new Float32Array(4), inside, new Float32Array(4));
      }),
    /outside WASM memory/,
  );
});

/** float64 C = A·Bᵀ, A m×k, B n×k. */
function productNT(m: number, n: number, k: number, a: FloatArray, b: FloatArray): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) c[i * n + j] += a[i * k + p] * b[j * k + p];
  return c;
}

test('recorded products pack their operands in the private scratch: two in one part, and again after this thread’s own calls', async () => {
  const be = await twoThreads();
  // A·Bᵀ with 16 rows and k = 64: packed through scratch (a transpose into it, then the tile kernel)
  const [m, n, k] = [16, 24, 64];
  const a = be.alloc(2 * m * k),
    b = be.alloc(n * k),
    c = be.alloc(2 * m * n).fill(NaN);
  for (let i = 0; i < a.length; i++) a[i] = ((i * 7) % 11) - 5;
  for (let i = 0; i < b.length; i++) b[i] = ((i * 5) % 13) - 6;
  for (let round = 0; round < 2; round++) {
    c.fill(NaN);
    be.splitExamples!(4, (part, start) => {
      if (start === 0) {
        // this thread's own product, between the recorded ones being run
        part.gemm(false, true, m, n, k, 1, a, b, 0, c.subarray(0, m * n));
        return;
      }
      part.gemm(false, true, m, n, k, 1, a.subarray(m * k), b, 0, c.subarray(m * n));
      part.gemm(false, true, m, n, k, 0.5, a.subarray(m * k), b, 1, c.subarray(m * n));
    });
    const want0 = productNT(m, n, k, a, b),
      want1 = productNT(m, n, k, a.subarray(m * k), b);
    for (let i = 0; i < m * n; i++) {
      assert.equal(c[i], want0[i], `round ${round}: this thread's C[${i}]`);
      assert.equal(c[m * n + i], 1.5 * want1[i], `round ${round}: the recorded C[${i}]`);
    }
  }
});

/** a·bᵀ-like products (gemm(false, true, m, n, k, 1, a_e, b, beta, c_e)) for examples e = 0, 1 on a one-thread backend. */
function oneThread(fma: boolean, m: number, n: number, k: number, beta: number, a: FloatArray, b: FloatArray, c: FloatArray) {
  const one = createWasmBackendSync({ initialBytes: 8 << 20, fma });
  const [a1, b1, c1] = [one.alloc(a.length), one.alloc(b.length), one.alloc(c.length)];
  a1.set(a);
  b1.set(b);
  c1.set(c);
  for (let e = 0; e < 2; e++) one.gemm(false, true, m, n, k, 1, a1.subarray(e * m * k), b1, beta, c1.subarray(e * m * n));
  return c1;
}

function operands(be: Backend, m: number, n: number, k: number) {
  const a = be.alloc(2 * m * k),
    b = be.alloc(n * k),
    c = be.alloc(2 * m * n);
  for (let i = 0; i < a.length; i++) a[i] = Math.sin(i * 0.37);
  for (let i = 0; i < b.length; i++) b[i] = Math.cos(i * 0.11);
  for (let i = 0; i < c.length; i++) c[i] = Math.sin(i * 0.05);
  return { a, b, c };
}

/** Splits 4 examples: example 0's product here, example 1's recorded (beta = 1 packs B: n·k floats of scratch). */
function splitProduct(be: Backend, m: number, n: number, k: number, beta: number, a: FloatArray, b: FloatArray, c: FloatArray) {
  be.splitExamples!(4, (part, start) => {
    const e = start === 0 ? 0 : 1;
    part.gemm(false, true, m, n, k, 1, a.subarray(e * m * k), b, beta, c.subarray(e * m * n));
  });
}

function sameBits(c: FloatArray, c1: FloatArray, what: string) {
  for (let i = 0; i < c.length; i++)
    if (!Object.is(c[i], c1[i])) assert.fail(`${what}: C[${i}] ${c[i]} on two threads, ${c1[i]} on one`);
}

test('a recorded product whose packed B fills the part’s scratch block exactly (65 536 floats) uses it as it is', async () => {
  const be = await twoThreads();
  const [m, n, k] = [8, 256, 256];
  const { a, b, c } = operands(be, m, n, k);
  const want = oneThread(be.fma, m, n, k, 1, a, b, c);
  const bytes = be.memoryInfo().allocatedBytes;
  splitProduct(be, m, n, k, 1, a, b, c);
  sameBits(c, want, 'n 256');
  assert.equal(be.memoryInfo().allocatedBytes, bytes, 'no larger block');
});

test('a recorded product packing more than the block gets a block twice as large: bit-identical (it used to fall back to dot products)', async () => {
  const be = await twoThreads();
  const [m, n, k] = [8, 300, 256];
  const { a, b, c } = operands(be, m, n, k);
  const want = oneThread(be.fma, m, n, k, 1, a, b, c);
  const bytes = be.memoryInfo().allocatedBytes;
  splitProduct(be, m, n, k, 1, a, b, c);
  sameBits(c, want, 'n 300');
  assert.equal(
    be.memoryInfo().allocatedBytes - bytes,
    2 * SPLIT_SCRATCH_FLOATS * 4,
    'a block of 131 072 floats (more than the 76 800 needed)',
  );
  for (let i = 0; i < b.length; i++) if (b[i] !== Math.fround(Math.cos(i * 0.11))) assert.fail(`B[${i}] overwritten`);
  // the larger block stays: the same product again needs no more
  const again = be.memoryInfo().allocatedBytes;
  c.set(want);
  splitProduct(be, m, n, k, 1, a, b, c);
  assert.equal(be.memoryInfo().allocatedBytes, again);
});

test('each recorded call starts the block over, and two reservations of one call do not overlap', async () => {
  const be = await twoThreads();
  // three products of 40 000 packed floats each (fits once, not three times), then one that packs
  // A (8·32) and its result (8·64) in two reservations
  const big = operands(be, 8, 160, 250),
    small = operands(be, 8, 64, 32);
  const wantBig = oneThread(be.fma, 8, 160, 250, 1, big.a, big.b, big.c);
  const wantSmall = oneThread(be.fma, 8, 64, 32, 0, small.a, small.b, small.c);
  const bytes = be.memoryInfo().allocatedBytes;
  be.splitExamples!(4, (part, start) => {
    const e = start === 0 ? 0 : 1;
    const cBig = big.c.subarray(e * 8 * 160);
    for (let r = 0; r < 3; r++) part.gemm(false, true, 8, 160, 250, 1 / 3, big.a.subarray(e * 8 * 250), big.b, 1, cBig);
    part.gemm(false, true, 8, 64, 32, 1, small.a.subarray(e * 8 * 32), small.b, 0, small.c.subarray(e * 8 * 64));
  });
  assert.equal(be.memoryInfo().allocatedBytes, bytes, 'no larger block');
  sameBits(small.c, wantSmall, 'the product through A');
  for (let i = 0; i < wantBig.length; i++) {
    const expected = wantBig[i] - big.c[i]; // three thirds of the product against one whole
    if (!(Math.abs(expected) <= 1e-4 * (1 + Math.abs(wantBig[i])))) assert.fail(`C[${i}]: ${big.c[i]} vs ${wantBig[i]}`);
  }
});

test('a memory too full for a larger block: the recorded product takes the dot products, still the float64 numbers', async () => {
  const be = await twoThreads({ initialBytes: 1 << 20, maximumBytes: 1 << 20 });
  const [m, n, k] = [8, 300, 256];
  const { a, b, c } = operands(be, m, n, k);
  const c0 = Float64Array.from(c);
  const bytes = be.memoryInfo().allocatedBytes;
  splitProduct(be, m, n, k, 1, a, b, c);
  assert.equal(be.memoryInfo().allocatedBytes, bytes);
  for (let e = 0; e < 2; e++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = c0[(e * m + i) * n + j],
          mag = Math.abs(s);
        for (let p = 0; p < k; p++) {
          s += a[(e * m + i) * k + p] * b[j * k + p];
          mag += Math.abs(a[(e * m + i) * k + p] * b[j * k + p]);
        }
        const got = c[(e * m + i) * n + j];
        if (!(Math.abs(got - s) <= 1e-6 * mag)) assert.fail(`example ${e} C[${i},${j}]: ${got}, expected ${s}`);
      }
});
