// The WASM backend's element-wise and reduction wrappers (src/engine/wasm/elementwise.ts) over the
// real kernels (calls counted, wasmCounting.ts): every activation forward and backward (tanh and
// sigmoid in JS after the kernel), in place and out of place, inside the memory and outside it
// (the copies counted by memoryInfo), the reductions with beta, allFinite, the dense norms and the
// outer products one example at a time into an array outside, empty shapes and every message.
// Every expected number is computed in float64 by the oracles' closed forms (reference.ts; GELU
// from its tanh formula, its derivative by central differences).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { elementwiseKernels } from '../../../src/engine/wasm/elementwise';
import type { Activation } from '../../../src/model/spec';
import type { FloatArray } from '../../../src/engine/types';
import { Rng } from '../../../src/engine/random';
import { countingContext } from './wasmCounting';
import { act as forward, actDerivative as derivative } from './reference';

const rng = new Rng(20261205);
const ACTS: Activation[] = ['linear', 'relu', 'leaky-relu', 'tanh', 'sigmoid', 'gelu'];
const JS_ACTS = new Set<Activation>(['tanh', 'sigmoid']);

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rel = 3e-6) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    if (!(Math.abs(actual[i] - e) <= rel * Math.abs(e) + 1e-6)) assert.fail(`${what}[${i}]: ${actual[i]}, expected ${e}`);
  }
}

function fill(x: FloatArray, scale = 2): FloatArray {
  for (let i = 0; i < x.length; i++) x[i] = (rng.next() * 2 - 1) * scale;
  return x;
}

function setup() {
  const ctx = countingContext();
  return { ctx, be: elementwiseKernels(ctx) };
}

test('biasActivation: act(x + bias) for every activation, with and without bias, in and out of place, inside and outside', () => {
  const { ctx, be } = setup();
  const [m, n] = [3, 5];
  for (const a of ACTS)
    for (const withBias of [true, false])
      for (const inside of [true, false])
        for (const inPlace of [false, true]) {
          const make = (len: number) => (inside ? ctx.arena.alloc(len) : new Float32Array(len));
          const x = fill(make(m * n)),
            bias = withBias ? fill(make(n)) : null,
            out = inPlace ? x : make(m * n);
          // the float32 sum, as the kernel adds, then φ in float64
          const expected = Array.from(x, (v, t) => forward(a, Math.fround(v + (bias ? bias[t % n] : 0))));
          const copies = ctx.arena.memoryInfo().copyCalls;
          ctx.calls.length = 0;
          be.biasActivation(m, n, a, x, bias, out);
          const what = `${a} bias ${withBias} inside ${inside} in place ${inPlace}`;
          close(out, expected, what);
          assert.deepEqual(ctx.calls, ['bias_act'], what);
          // outside: x (or x = out, read and written, once), the bias, and out each copied once
          const expectedCopies = inside ? 0 : (inPlace ? 1 : 2) + (withBias ? 1 : 0);
          assert.equal(ctx.arena.memoryInfo().copyCalls - copies, expectedCopies, `${what}: copies`);
        }
});

test('biasActivation in JS (tanh, sigmoid): exactly the m×n outputs, not the float after them', () => {
  const { ctx, be } = setup();
  for (const a of ['tanh', 'sigmoid'] as const) {
    const x = fill(ctx.arena.alloc(8)),
      out = ctx.arena.alloc(8),
      after = ctx.arena.alloc(4).fill(5);
    be.biasActivation(2, 4, a, x, null, out);
    close(
      out,
      Array.from(x, (v) => forward(a, v)),
      a,
    );
    assert.deepEqual([...after], [5, 5, 5, 5], `${a}: the next allocation untouched`);
  }
});

test('channelBiasActivation: z += bias[c] in place, out = act(z), out may be z, outside the memory too', () => {
  const { ctx, be } = setup();
  const [m, channels, positions] = [2, 3, 5];
  const size = m * channels * positions;
  for (const a of ACTS)
    for (const inside of [true, false])
      for (const inPlace of [false, true]) {
        const make = (len: number) => (inside ? ctx.arena.alloc(len) : new Float32Array(len));
        const z = fill(make(size)),
          bias = fill(make(channels)),
          out = inPlace ? z : make(size);
        const biased = Array.from(z, (v, t) => Math.fround(v + bias[Math.floor(t / positions) % channels]));
        ctx.calls.length = 0;
        be.channelBiasActivation(m, channels, positions, a, z, bias, out);
        const what = `${a} inside ${inside} in place ${inPlace}`;
        close(
          out,
          biased.map((v) => forward(a, v)),
          what,
        );
        if (!inPlace) close(z, biased, `${what}: z biased in place`, 0);
        assert.deepEqual(ctx.calls, ['channel_bias_act'], what);
      }
  // JS activations: exactly `size` outputs. 2·3·5 = 30 floats leave 2 floats of alignment padding
  // before the next allocation, so also 2·2·4 = 16 (no padding: the float after is the next array's)
  for (const [mm, cc, pp] of [
    [m, channels, positions],
    [2, 2, 4],
  ])
    for (const a of ['tanh', 'sigmoid'] as const) {
      const z = fill(ctx.arena.alloc(mm * cc * pp)),
        after = ctx.arena.alloc(4).fill(5);
      be.channelBiasActivation(mm, cc, pp, a, z, ctx.arena.alloc(cc), z);
      assert.deepEqual([...after], [5, 5, 5, 5], `${a} ${mm}×${cc}×${pp}: the next allocation untouched`);
    }
});

test('activationBackward: gradOut ⊙ φ′(z) for every activation, in place and out, inside and outside', () => {
  const { ctx, be } = setup();
  const size = 13;
  for (const a of ACTS)
    for (const inside of [true, false])
      for (const inPlace of [false, true]) {
        const make = (len: number) => (inside ? ctx.arena.alloc(len) : new Float32Array(len));
        const z = fill(make(size));
        z[0] = 0; // the kink: relu′(0) = 0, leaky′(0) = 0.01
        const y = make(size);
        for (let t = 0; t < size; t++) y[t] = forward(a, z[t]);
        const gradOut = fill(make(size)),
          gradIn = inPlace ? gradOut : make(size);
        const expected = Array.from(gradOut, (g, t) => g * derivative(a, z[t]));
        const copies = ctx.arena.memoryInfo().copyCalls;
        ctx.calls.length = 0;
        be.activationBackward(size, a, z, y, gradOut, gradIn);
        const what = `${a} inside ${inside} in place ${inPlace}`;
        close(gradIn, expected, what, a === 'gelu' ? 1e-5 : 3e-6);
        assert.deepEqual(ctx.calls, JS_ACTS.has(a) ? [] : ['act_backward'], what);
        // outside, in the kernel: z, and gradOut (read and written once in place, else gradIn apart)
        const expectedCopies = inside || JS_ACTS.has(a) ? 0 : inPlace ? 2 : 3;
        assert.equal(ctx.arena.memoryInfo().copyCalls - copies, expectedCopies, `${what}: copies`);
      }
});

test('activationBackward in JS (tanh, sigmoid) on longer arrays: exactly the first size gradients, not the entry after', () => {
  const { be } = setup();
  const size = 5;
  for (const a of ['tanh', 'sigmoid'] as const) {
    // the contract asks for at least size elements: the entries past size are another tensor's
    const z = fill(new Float32Array(size + 3));
    const y = Float32Array.from(z, (v) => forward(a, v));
    const gradOut = fill(new Float32Array(size + 3)),
      gradIn = new Float32Array(size + 3).fill(5);
    be.activationBackward(size, a, z, y, gradOut, gradIn);
    close(
      gradIn.subarray(0, size),
      Array.from(gradOut.subarray(0, size), (g, t) => g * derivative(a, z[t])),
      a,
    );
    assert.deepEqual([...gradIn.subarray(size)], [5, 5, 5], `${a}: nothing past size written`);
  }
});

test('columnSums, rowSums, rowSumSquares: float64 sums, beta read from an out outside the memory', () => {
  const { ctx, be } = setup();
  const [m, n] = [4, 6];
  for (const inside of [true, false]) {
    const make = (len: number) => (inside ? ctx.arena.alloc(len) : new Float32Array(len));
    const x = fill(make(m * n));
    const col = (j: number) => Array.from({ length: m }, (_, i) => x[i * n + j]).reduce((s, v) => s + v, 0);
    const row = (i: number, f: (v: number) => number) =>
      Array.from({ length: n }, (_, j) => f(x[i * n + j])).reduce((s, v) => s + v, 0);
    for (const beta of [0, 0.5]) {
      const out = fill(make(n));
      const expected = Array.from({ length: n }, (_, j) => -1.5 * col(j) + (beta === 0 ? 0 : beta * out[j]));
      if (beta === 0) out[2] = NaN;
      be.columnSums(m, n, -1.5, beta, x, out);
      close(out, expected, `columnSums beta ${beta} inside ${inside}`);
    }
    const rows = fill(make(m)),
      squares = fill(make(m));
    be.rowSums(m, n, 0.25, x, rows);
    close(
      rows,
      Array.from({ length: m }, (_, i) => 0.25 * row(i, (v) => v)),
      `rowSums inside ${inside}`,
    );
    be.rowSumSquares(m, n, x, squares);
    close(
      squares,
      Array.from({ length: m }, (_, i) => row(i, (v) => v * v)),
      `rowSumSquares inside ${inside}`,
    );
  }
  // an empty output: nothing called; an empty x with outputs: zeros (a sum of nothing)
  ctx.calls.length = 0;
  be.columnSums(3, 0, 1, 0, new Float32Array(0), new Float32Array(0));
  be.rowSums(0, 3, 1, new Float32Array(0), new Float32Array(0));
  assert.deepEqual(ctx.calls, []);
  const zeros = new Float32Array(3).fill(7);
  be.rowSumSquares(3, 0, new Float32Array(0), zeros);
  assert.deepEqual([...zeros], [0, 0, 0]);
});

test('allFinite: NaN and ±∞ anywhere in the first n, not after; n = 0 is true without a kernel call', () => {
  const { ctx, be } = setup();
  for (const inside of [true, false])
    for (const bad of [NaN, Infinity, -Infinity]) {
      const x = inside ? ctx.arena.alloc(9) : new Float32Array(9);
      fill(x);
      assert.equal(be.allFinite(9, x), true);
      x[8] = bad;
      assert.equal(be.allFinite(9, x), false, `${bad} last, inside ${inside}`);
      assert.equal(be.allFinite(8, x), true, `${bad} past n`);
      x[0] = 3e38;
      x[8] = 0;
      assert.equal(be.allFinite(9, x), true);
    }
  ctx.calls.length = 0;
  assert.equal(be.allFinite(0, new Float32Array([NaN])), true);
  assert.deepEqual(ctx.calls, []);
});

test('denseNormsSquared and outerBatch: ‖aᵢ‖²‖δᵢ‖² (+ ‖δᵢ‖²) and alpha·aᵢδᵢᵀ; out outside: one example at a time', () => {
  const { ctx, be } = setup();
  const [m, p, q] = [5, 7, 3];
  const sq = (x: FloatArray, i: number, len: number) =>
    Array.from(x.subarray(i * len, (i + 1) * len)).reduce((s, v) => s + v * v, 0);
  for (const inside of [true, false]) {
    const make = (len: number) => (inside ? ctx.arena.alloc(len) : new Float32Array(len));
    const a = fill(make(m * p)),
      delta = fill(make(m * q));
    for (const withBias of [false, true]) {
      const out = fill(make(m));
      be.denseNormsSquared(m, p, q, withBias, a, delta, out);
      close(
        out,
        Array.from({ length: m }, (_, i) => sq(a, i, p) * sq(delta, i, q) + (withBias ? sq(delta, i, q) : 0)),
        `denseNormsSquared bias ${withBias} inside ${inside}`,
      );
    }
    for (const outInside of [true, false]) {
      const out = outInside ? ctx.arena.alloc(m * p * q + 4) : new Float32Array(m * p * q + 4);
      out.fill(9);
      const expected: number[] = [];
      for (let i = 0; i < m; i++)
        for (let r = 0; r < p; r++) for (let s = 0; s < q; s++) expected.push(-0.5 * a[i * p + r] * delta[i * q + s]);
      ctx.calls.length = 0;
      be.outerBatch(m, p, q, -0.5, a, delta, out);
      const what = `outerBatch inside ${inside} out inside ${outInside}`;
      close(out.subarray(0, m * p * q), expected, what);
      assert.deepEqual([...out.subarray(m * p * q)], [9, 9, 9, 9], `${what}: nothing after`);
      assert.deepEqual(ctx.calls, Array(outInside ? 1 : m).fill('outer_batch'), what);
    }
  }
  // empty: nothing called, nothing written
  ctx.calls.length = 0;
  const out = new Float32Array(2).fill(4);
  be.denseNormsSquared(0, 3, 2, true, new Float32Array(0), new Float32Array(0), out);
  be.outerBatch(2, 0, 3, 1, new Float32Array(0), new Float32Array(6), out);
  be.outerBatch(2, 3, 0, 1, new Float32Array(6), new Float32Array(0), out);
  be.outerBatch(0, 3, 2, 1, new Float32Array(0), new Float32Array(0), out);
  assert.deepEqual([ctx.calls, [...out]], [[], [4, 4]]);
});

test('empty element-wise calls do nothing; every short operand is named', () => {
  const { ctx, be } = setup();
  const f = (n: number) => new Float32Array(n);
  ctx.calls.length = 0;
  const untouched = f(2).fill(3);
  be.biasActivation(0, 4, 'relu', f(0), f(4), untouched);
  be.biasActivation(4, 0, 'relu', f(0), null, untouched);
  be.channelBiasActivation(0, 2, 3, 'relu', f(0), f(2), untouched);
  be.activationBackward(0, 'relu', f(0), f(0), f(0), untouched);
  assert.deepEqual([ctx.calls, [...untouched]], [[], [3, 3]]);
  const cases: [() => void, string][] = [
    [() => be.biasActivation(2, 3, 'relu', f(5), null, f(6)), 'biasActivation x: needs 6 elements, the array has 5'],
    [() => be.biasActivation(2, 3, 'relu', f(6), null, f(5)), 'biasActivation out: needs 6 elements, the array has 5'],
    [() => be.biasActivation(2, 3, 'relu', f(6), f(2), f(6)), 'biasActivation bias: needs 3 elements, the array has 2'],
    [
      () => be.channelBiasActivation(1, 2, 3, 'relu', f(5), f(2), f(6)),
      'channelBiasActivation z: needs 6 elements, the array has 5',
    ],
    [
      () => be.channelBiasActivation(1, 2, 3, 'relu', f(6), f(1), f(6)),
      'channelBiasActivation bias: needs 2 elements, the array has 1',
    ],
    [
      () => be.channelBiasActivation(1, 2, 3, 'relu', f(6), f(2), f(5)),
      'channelBiasActivation out: needs 6 elements, the array has 5',
    ],
    [() => be.activationBackward(3, 'relu', f(2), f(3), f(3), f(3)), 'activationBackward z: needs 3 elements, the array has 2'],
    [() => be.activationBackward(3, 'relu', f(3), f(2), f(3), f(3)), 'activationBackward y: needs 3 elements, the array has 2'],
    [
      () => be.activationBackward(3, 'relu', f(3), f(3), f(2), f(3)),
      'activationBackward gradOut: needs 3 elements, the array has 2',
    ],
    [
      () => be.activationBackward(3, 'relu', f(3), f(3), f(3), f(2)),
      'activationBackward gradIn: needs 3 elements, the array has 2',
    ],
    [() => be.columnSums(2, 3, 1, 0, f(5), f(3)), 'columnSums x: needs 6 elements, the array has 5'],
    [() => be.columnSums(2, 3, 1, 0, f(6), f(2)), 'columnSums out: needs 3 elements, the array has 2'],
    [() => be.rowSums(2, 3, 1, f(5), f(2)), 'rowSums x: needs 6 elements, the array has 5'],
    [() => be.rowSums(2, 3, 1, f(6), f(1)), 'rowSums out: needs 2 elements, the array has 1'],
    [() => be.rowSumSquares(2, 3, f(5), f(2)), 'rowSumSquares x: needs 6 elements, the array has 5'],
    [() => be.rowSumSquares(2, 3, f(6), f(1)), 'rowSumSquares out: needs 2 elements, the array has 1'],
    [() => be.allFinite(3, f(2)), 'allFinite x: needs 3 elements, the array has 2'],
    [() => be.denseNormsSquared(2, 3, 4, true, f(5), f(8), f(2)), 'denseNormsSquared a: needs 6 elements, the array has 5'],
    [() => be.denseNormsSquared(2, 3, 4, true, f(6), f(7), f(2)), 'denseNormsSquared delta: needs 8 elements, the array has 7'],
    [() => be.denseNormsSquared(2, 3, 4, true, f(6), f(8), f(1)), 'denseNormsSquared out: needs 2 elements, the array has 1'],
    [() => be.outerBatch(2, 3, 4, 1, f(5), f(8), f(24)), 'outerBatch a: needs 6 elements, the array has 5'],
    [() => be.outerBatch(2, 3, 4, 1, f(6), f(7), f(24)), 'outerBatch delta: needs 8 elements, the array has 7'],
    [() => be.outerBatch(2, 3, 4, 1, f(6), f(8), f(23)), 'outerBatch out: needs 24 elements, the array has 23'],
  ];
  for (const [call, message] of cases) assert.throws(call, { message });
});

test('an operand outside that does not fit in the memory left: the clear error, not a wrong pointer', () => {
  const ctx = countingContext(1, 1);
  const be = elementwiseKernels(ctx);
  const big = new Float32Array(20000);
  for (const call of [
    () => be.biasActivation(100, 200, 'relu', big, null, big),
    () => be.rowSums(100, 200, 1, big, new Float32Array(100)),
    () => be.outerBatch(100, 200, 1, 1, big, new Float32Array(100), new Float32Array(20000)),
  ])
    assert.throws(call, /does not fit in the remaining scratch space/);
});
