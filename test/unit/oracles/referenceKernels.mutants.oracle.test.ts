// The reference backend (src/engine/reference.ts, reference/{gemm,elementwise,stats,windows}.ts) is
// the oracle every other backend is checked against, so its own oracle is written here by hand:
// naive float64 loops (a triple loop for gemm, one loop per formula of the Backend contract) and
// small cases worked out by hand. Integer-valued inputs keep every sum exact, so any order of
// summation gives the same number and an equality is exact.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { referenceBackend, referenceGemm } from '../../../src/engine/reference';
import type { WindowGeometry } from '../../../src/engine/backend';
import { textbookGemm } from './reference';

const be = referenceBackend('float64');

/** Small integers in [−4, 4] (a 31-bit LCG), with zeros where `zeroEvery` says (every n-th value). */
function ints(n: number, seed: number, zeroEvery = 0): Float64Array {
  const out = new Float64Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
    out[i] = zeroEvery && i % zeroEvery === 0 ? 0 : ((s >>> 8) % 9) - 4;
  }
  return out;
}

/** C = alpha·op(A)·op(B) + beta·C, the textbook way, as plain numbers. */
function naiveGemm(...args: Parameters<typeof textbookGemm>): number[] {
  return Array.from(textbookGemm(...args).value);
}

test('gemm equals the triple loop for every transpose, every size up to 9 (the unrolled groups of four and their remainders), alpha and beta', () => {
  for (const [tA, tB] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const)
    for (const [m, n, k] of [
      [1, 1, 1],
      [2, 3, 4],
      [3, 5, 7],
      [4, 9, 8],
      [5, 4, 9],
      [2, 8, 5],
      [3, 6, 3],
      [1, 7, 6],
    ])
      for (const [alpha, beta] of [
        [1, 0],
        [2, 1],
        [-1, 0.5],
        [0.5, -2],
      ]) {
        // A with zeros every 3rd entry: groups of four with 1–4 non-zeros
        const a = ints(m * k, 3 + m + k, 3);
        const b = ints(k * n, 5 + n);
        const c0 = ints(m * n + 2, 7);
        const c = Float64Array.from(c0);
        referenceGemm(tA, tB, m, n, k, alpha, a, b, beta, c);
        const what = `${tA ? 'Aᵀ' : 'A'}·${tB ? 'Bᵀ' : 'B'} ${m}×${n}×${k} α ${alpha} β ${beta}`;
        assert.deepEqual(Array.from(c.subarray(0, m * n)), naiveGemm(tA, tB, m, n, k, alpha, a, b, beta, c0), what);
        // nothing beyond m·n is touched
        assert.deepEqual(Array.from(c.subarray(m * n)), Array.from(c0.subarray(m * n)), `${what} beyond`);
      }
});

test('gemm with A rows of every sparsity pattern over four consecutive entries (the grouped path)', () => {
  // k = 8: two groups of four per row of A; the 16 rows take every zero/non-zero pattern of a group
  const m = 16,
    k = 8,
    n = 5;
  const a = new Float64Array(m * k);
  for (let i = 0; i < m; i++)
    for (let p = 0; p < 4; p++) {
      a[i * k + p] = i & (1 << p) ? p + 1 : 0;
      a[i * k + 4 + p] = i & (8 >> p) ? -(p + 2) : 0;
    }
  const b = ints(k * n, 11);
  const c = new Float64Array(m * n);
  be.gemm(false, false, m, n, k, 3, a, b, 0, c);
  assert.deepEqual(Array.from(c), naiveGemm(false, false, m, n, k, 3, a, b, 0, c));
  const ct = new Float64Array(m * n);
  // the same A stored transposed
  const at = new Float64Array(m * k);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) at[p * m + i] = a[i * k + p];
  be.gemm(true, false, m, n, k, 3, at, b, 0, ct);
  assert.deepEqual(Array.from(ct), Array.from(c));
});

test("gemm: beta 0 overwrites C even where it held NaN; alpha 0 or k 0 leaves beta·C; A's zeros skip B's NaN in a sparse group", () => {
  const a = Float64Array.from([1, 2, 3, 4, 5, 6]); // 2×3
  const b = Float64Array.from([1, 0, -1, 2, 1, 1]); // 3×2
  const c = Float64Array.from([NaN, NaN, NaN, NaN, 9]);
  be.gemm(false, false, 2, 2, 3, 1, a, b, 0, c);
  // by hand: [1·1 + 2·(−1) + 3·1, 1·0 + 2·2 + 3·1; 4 − 5 + 6, 0 + 10 + 6]
  assert.deepEqual(Array.from(c), [2, 7, 5, 16, 9]);
  be.gemm(false, false, 2, 2, 3, 0, a, b, 0.5, c);
  assert.deepEqual(Array.from(c), [1, 3.5, 2.5, 8, 9]);
  be.gemm(false, true, 2, 2, 0, 1, a, b, -2, c);
  assert.deepEqual(Array.from(c), [-2, -7, -5, -16, 9]);
  be.gemm(false, false, 2, 2, 3, 1, a, b, 1, c);
  assert.deepEqual(Array.from(c), [0, 0, 0, 0, 9]);
  // as in BLAS, alpha = 0 or k = 0 reads neither A nor B: C = beta·C even with NaN in A and B, or a NaN alpha
  for (const [tA, tB] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    const cz = Float64Array.from([1, 2, 3, 4]);
    be.gemm(tA, tB, 2, 2, 3, 0, Float64Array.from([NaN, 1, 2, 3, Infinity, 5]), Float64Array.from([1, NaN, 2, 3, 4, 5]), 3, cz);
    assert.deepEqual(Array.from(cz), [3, 6, 9, 12], `alpha 0, ${tA} ${tB}`);
    be.gemm(tA, tB, 2, 2, 0, NaN, a, b, 0.5, cz);
    assert.deepEqual(Array.from(cz), [1.5, 3, 4.5, 6], `k 0, ${tA} ${tB}`);
  }
  // A = [0 1 0 2 | 0] (k = 5: one group of four with two non-zeros, one left over, zero): B's rows 0, 2, 4 are NaN
  const a2 = Float64Array.from([0, 1, 0, 2, 0]);
  const b2 = Float64Array.from([NaN, NaN, 1, 2, NaN, NaN, 3, 4, NaN, NaN]);
  const c2 = new Float64Array(2);
  be.gemm(false, false, 1, 2, 5, 1, a2, b2, 0, c2);
  assert.deepEqual(Array.from(c2), [7, 10]);
  // one non-zero in the group
  const c3 = new Float64Array(2);
  be.gemm(false, false, 1, 2, 5, 1, Float64Array.from([0, 0, 0, 2, 0]), b2, 0, c3);
  assert.deepEqual(Array.from(c3), [6, 8]);
  const c4 = new Float64Array(2);
  be.gemm(false, false, 1, 2, 5, 1, Float64Array.from([0, 0, 0, 0, 0]), b2, 0, c4);
  assert.deepEqual(Array.from(c4), [0, 0]);
  const c5 = new Float64Array(2);
  be.gemm(false, false, 1, 2, 5, 1, Float64Array.from([0, 1, 0, 0, 0]), b2, 0, c5);
  assert.deepEqual(Array.from(c5), [1, 2]);
  // the zeros at the odd places of the group: B's rows 1 and 3 are NaN
  const c6 = new Float64Array(2);
  be.gemm(
    false,
    false,
    1,
    2,
    5,
    1,
    Float64Array.from([1, 0, 2, 0, 1]),
    Float64Array.from([1, 2, NaN, NaN, 3, 4, NaN, NaN, 5, 6]),
    0,
    c6,
  );
  assert.deepEqual(Array.from(c6), [12, 16]);
});

test('float32 gemm rounds a group of four (three or four non-zeros) once: 1 + 2⁻²⁴ + 2⁻²⁴ is 1 + 2⁻²³, exactly representable', () => {
  const b32 = referenceBackend('float32');
  const e = 2 ** -24;
  // A 1×4 with three non-zeros, B 4×1 of ones: the exact sum 1 + 2⁻²³ is a float32
  const b = Float32Array.from([1, 1, 1, 1]);
  for (const a of [
    [1, e, e, 0],
    [1, e, 0, e],
    [1, 0, e, e],
    [0, 1, e, e],
    [1, e, e, 0.5 * e],
  ]) {
    const c = b32.alloc(1);
    b32.gemm(false, false, 1, 1, 4, 1, Float32Array.from(a), b, 0, c);
    assert.equal(c[0], a[3] === 0.5 * e ? Math.fround(1 + 2.5 * e) : 1 + 2 * e, `A = ${a.join(', ')}`);
  }
});

test('gemmEach is one gemm per B_e into its own C_e', () => {
  const [count, m, n, k] = [3, 2, 5, 3];
  const a = ints(m * k, 2);
  const b = ints(count * k * n, 4);
  const c = new Float64Array(count * m * n + 1).fill(NaN);
  be.gemmEach(count, m, n, k, a, b, c);
  for (let e = 0; e < count; e++) {
    const want = naiveGemm(false, false, m, n, k, 1, a, b.subarray(e * k * n), 0, []);
    assert.deepEqual(Array.from(c.subarray(e * m * n, (e + 1) * m * n)), want, `e = ${e}`);
  }
  assert.ok(Number.isNaN(c[count * m * n]));
});

test('the backend names its dtype and allocates zeroed buffers of that type', () => {
  const b32 = referenceBackend('float32');
  assert.equal(b32.name, 'reference-float32');
  assert.equal(b32.dtype, 'float32');
  const x = b32.alloc(3);
  assert.ok(x instanceof Float32Array);
  assert.deepEqual(Array.from(x), [0, 0, 0]);
  assert.equal(be.name, 'reference-float64');
  assert.equal(be.dtype, 'float64');
  const y = be.alloc(4);
  assert.ok(y instanceof Float64Array);
  assert.equal(y.length, 4);
  assert.deepEqual(Array.from(y), [0, 0, 0, 0]);
});

test('biasActivation: with and without bias, linear copies only m·n values, in place or not (by hand)', () => {
  const x = Float64Array.from([-1, 2, -3, 4, 5, -6, 7]);
  const bias = Float64Array.from([1, -1, 0.5]);
  const out = new Float64Array(7).fill(9);
  be.biasActivation(2, 3, 'relu', x, bias, out);
  // z = [0, 1, −2.5, 5, 4, −5.5]
  assert.deepEqual(Array.from(out), [0, 1, 0, 5, 4, 0, 9]);
  be.biasActivation(2, 3, 'relu', x, null, out);
  assert.deepEqual(Array.from(out), [0, 2, 0, 4, 5, 0, 9]);
  be.biasActivation(2, 3, 'linear', x, bias, out);
  assert.deepEqual(Array.from(out), [0, 1, -2.5, 5, 4, -5.5, 9]);
  be.biasActivation(2, 3, 'linear', x, null, out);
  assert.deepEqual(Array.from(out), [-1, 2, -3, 4, 5, -6, 9]);
  be.biasActivation(1, 2, 'tanh', x, null, out);
  assert.deepEqual(Array.from(out), [Math.tanh(-1), Math.tanh(2), -3, 4, 5, -6, 9]);
  // in place
  const y = Float64Array.from([-1, 2, -3, 4]);
  be.biasActivation(2, 2, 'linear', y, null, y);
  assert.deepEqual(Array.from(y), [-1, 2, -3, 4]);
  be.biasActivation(2, 2, 'relu', y, Float64Array.from([2, 0]), y);
  assert.deepEqual(Array.from(y), [1, 2, 0, 4]);
});

test('channelBiasActivation adds each channel its bias in place, then the activation into out (by hand)', () => {
  // 2 examples × 2 channels × 3 positions
  const z = Float64Array.from([1, -2, 3, -4, 5, -6, 0, 1, -1, 2, -2, 0.5, 77]);
  const out = new Float64Array(13).fill(9);
  be.channelBiasActivation(2, 2, 3, 'relu', z, Float64Array.from([0.5, -1]), out);
  const zWant = [1.5, -1.5, 3.5, -5, 4, -7, 0.5, 1.5, -0.5, 1, -3, -0.5, 77];
  assert.deepEqual(Array.from(z), zWant);
  assert.deepEqual(Array.from(out), [1.5, 0, 3.5, 0, 4, 0, 0.5, 1.5, 0, 1, 0, 0, 9]);
  // out = z, sigmoid
  const w = Float64Array.from([0, 1]);
  be.channelBiasActivation(1, 1, 2, 'sigmoid', w, Float64Array.from([-1]), w);
  assert.deepEqual(Array.from(w), [1 / (1 + Math.E), 0.5]);
});

test('activationBackward: linear copies size values (or nothing in place); otherwise g·f′(z) (by hand)', () => {
  const z = Float64Array.from([-1, 2, 0, 3]);
  const y = Float64Array.from([0, 2, 0, 3]);
  const g = Float64Array.from([5, 6, 7, 8]);
  const gin = new Float64Array(4).fill(9);
  be.activationBackward(3, 'linear', z, y, g, gin);
  assert.deepEqual(Array.from(gin), [5, 6, 7, 9]);
  be.activationBackward(4, 'relu', z, y, g, gin);
  assert.deepEqual(Array.from(gin), [0, 6, 0, 8]);
  be.activationBackward(2, 'tanh', z, Float64Array.from([0.5, -0.25]), g, gin);
  assert.deepEqual(Array.from(gin), [5 * 0.75, 6 * (1 - 1 / 16), 0, 8]);
  be.activationBackward(4, 'linear', z, y, g, g);
  assert.deepEqual(Array.from(g), [5, 6, 7, 8]);
});

test('columnSums and rowSums: alpha, beta 0 overwriting even NaN, beta ≠ 0 accumulating (by hand)', () => {
  const x = Float64Array.from([1, 2, 3, 4, 5, 6]); // 2×3
  const out = Float64Array.from([NaN, NaN, NaN, 9]);
  be.columnSums(2, 3, 0.5, 0, x, out);
  assert.deepEqual(Array.from(out), [2.5, 3.5, 4.5, 9]);
  be.columnSums(2, 3, 1, 2, x, out);
  assert.deepEqual(Array.from(out), [10, 14, 18, 9]);
  const rows = new Float64Array(3).fill(9);
  be.rowSums(2, 3, -2, x, rows);
  assert.deepEqual(Array.from(rows), [-12, -30, 9]);
  be.rowSums(3, 2, 1, x, rows);
  assert.deepEqual(Array.from(rows), [3, 7, 11]);
  const sq = new Float64Array(3).fill(9);
  be.rowSumSquares(2, 3, x, sq);
  assert.deepEqual(Array.from(sq), [14, 77, 9]);
  be.rowSumSquares(3, 2, x, sq);
  assert.deepEqual(Array.from(sq), [5, 25, 61]);
});

test('allFinite looks at exactly n values and finds NaN and ±Infinity anywhere among them', () => {
  assert.equal(be.allFinite(3, Float64Array.from([1, -2, 3, NaN])), true);
  assert.equal(be.allFinite(0, Float64Array.from([NaN])), true);
  for (const bad of [NaN, Infinity, -Infinity])
    for (let at = 0; at < 3; at++) {
      const x = Float64Array.from([1, 2, 3]);
      x[at] = bad;
      assert.equal(be.allFinite(3, x), false, `${bad} at ${at}`);
    }
});

test('denseNormsSquared and denseGramStats: ‖aᵢ‖²·‖δᵢ‖² (+ ‖δᵢ‖² with bias) and the dots with the mean (by hand)', () => {
  // m = 2, p = 2, q = 3
  const a = Float64Array.from([1, 2, 3, -1]);
  const d = Float64Array.from([1, 0, 2, -1, 1, 1]);
  // ‖a‖² = 5, 10; ‖δ‖² = 5, 3; a₀·a₁ = 1, δ₀·δ₁ = 1
  const out = new Float64Array(3).fill(9);
  be.denseNormsSquared(2, 2, 3, true, a, d, out);
  assert.deepEqual(Array.from(out), [30, 33, 9]);
  be.denseNormsSquared(2, 2, 3, false, a, d, out);
  assert.deepEqual(Array.from(out), [25, 30, 9]);
  const dots = new Float64Array(3).fill(9);
  const norms = new Float64Array(3).fill(9);
  be.denseGramStats(2, 2, 3, true, a, d, dots, norms);
  // dots[i] = ½·Σⱼ KΔ[i,j]·(KA[i,j] + 1): [½(5·6 + 1·2), ½(1·2 + 3·11)]
  assert.deepEqual(Array.from(dots), [16, 17.5, 9]);
  assert.deepEqual(Array.from(norms), [30, 33, 9]);
  be.denseGramStats(2, 2, 3, false, a, d, dots, norms);
  assert.deepEqual(Array.from(dots), [13, 15.5, 9]);
  assert.deepEqual(Array.from(norms), [25, 30, 9]);
  // the same dots the long way: gᵢ = δᵢ ⊗ aᵢ (and δᵢ for the bias), G their mean
  const g = [0, 1].map((i) => {
    const w: number[] = [];
    for (let s = 0; s < 3; s++) for (let r = 0; r < 2; r++) w.push(d[i * 3 + s] * a[i * 2 + r]);
    return [...w, ...d.subarray(i * 3, i * 3 + 3)];
  });
  const G = g[0].map((v, j) => (v + g[1][j]) / 2);
  be.denseGramStats(2, 2, 3, true, a, d, dots, norms);
  for (const i of [0, 1])
    assert.equal(
      dots[i],
      g[i].reduce((s, v, j) => s + v * G[j], 0),
    );
});

test('outerBatch writes alpha·aᵢ[r]·δᵢ[s] for every example (by hand)', () => {
  const out = new Float64Array(13).fill(9);
  // m = 2, p = 2, q = 3
  be.outerBatch(2, 2, 3, -2, Float64Array.from([1, 2, 3, -1]), Float64Array.from([1, 0, 2, -1, 1, 1]), out);
  // (+ 0: the products with δ = 0 are −0)
  assert.deepEqual(
    Array.from(out, (v) => v + 0),
    [-2, 0, -4, -4, 0, -8, 6, -6, -6, -2, 2, 2, 9],
  );
});

/** im2col the direct way: cols[(c·k + ky)·k + kx][oy·outW + ox] = x[c][oy·s − top + ky][ox·s − left + kx]. */
function naiveIm2col(batch: number, g: WindowGeometry, x: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let e = 0; e < batch; e++)
    for (let c = 0; c < g.channels; c++)
      for (let ky = 0; ky < g.kernel; ky++)
        for (let kx = 0; kx < g.kernel; kx++)
          for (let oy = 0; oy < g.outH; oy++)
            for (let ox = 0; ox < g.outW; ox++) {
              const y = oy * g.stride - g.padTop + ky,
                xx = ox * g.stride - g.padLeft + kx;
              const inside = y >= 0 && y < g.height && xx >= 0 && xx < g.width;
              out.push(inside ? x[((e * g.channels + c) * g.height + y) * g.width + xx] : 0);
            }
  return out;
}

// (geometries by hand: same padding puts the smaller half before)
const geometries: WindowGeometry[] = [
  { channels: 2, height: 5, width: 4, kernel: 3, stride: 2, padTop: 1, padLeft: 0, outH: 3, outW: 2 },
  { channels: 1, height: 4, width: 6, kernel: 3, stride: 1, padTop: 1, padLeft: 1, outH: 4, outW: 6 },
  { channels: 3, height: 3, width: 5, kernel: 2, stride: 1, padTop: 0, padLeft: 0, outH: 2, outW: 4 },
  { channels: 1, height: 3, width: 3, kernel: 3, stride: 1, padTop: 2, padLeft: 2, outH: 3, outW: 3 },
];

test('im2col equals the direct unrolling (padding reads 0, stale columns overwritten); col2im is its adjoint ⟨im2col x, c⟩ = ⟨x, col2im c⟩', () => {
  for (const g of geometries) {
    const batch = 2;
    const size = g.channels * g.height * g.width;
    const K = g.channels * g.kernel * g.kernel,
      P = g.outH * g.outW;
    const x = ints(batch * size, 13, 0).map((v) => v + 5); // no zeros: a padding 0 is told apart
    const cols = new Float64Array(batch * K * P + 1).fill(NaN);
    be.im2col(batch, g, x, cols);
    const what = JSON.stringify(g);
    assert.deepEqual(Array.from(cols.subarray(0, batch * K * P)), naiveIm2col(batch, g, x), what);
    assert.ok(Number.isNaN(cols[batch * K * P]), `${what} beyond`);
    // adjoint, with image pre-filled with garbage (col2im overwrites) and a sentinel after it
    const c = ints(batch * K * P, 17);
    // direct: each pixel gets every column entry that reads it
    const want = new Float64Array(batch * size);
    const unit = new Float64Array(batch * size);
    for (let t = 0; t < batch * size; t++) {
      unit.fill(0);
      unit[t] = 1;
      const u = naiveIm2col(batch, g, unit);
      for (let o = 0; o < u.length; o++) want[t] += u[o] * c[o];
    }
    const image = new Float64Array(batch * size + 1).fill(1e6);
    be.col2im(batch, g, c, image);
    assert.equal(image[batch * size], 1e6, `${what} image beyond`);
    assert.deepEqual(Array.from(image.subarray(0, batch * size)), Array.from(want), `${what} col2im`);
  }
});

test('maxPool: the first maximum of each window wins, a NaN wins and stays; backward routes each gradient to its winner, summed over overlapping windows (by hand)', () => {
  // one plane 3×4, 2×2 windows of stride 1 → 2×3 outputs; ties: the first in window order wins
  const g: WindowGeometry = { channels: 1, height: 3, width: 4, kernel: 2, stride: 1, padTop: 0, padLeft: 0, outH: 2, outW: 3 };
  const x = Float64Array.from([1, 5, 5, 0, 2, 5, 3, 3, 7, 1, 3, 3]);
  const y = new Float64Array(7).fill(9);
  be.maxPool(1, g, x, y);
  assert.deepEqual(Array.from(y), [5, 5, 5, 7, 5, 3, 9]);
  // winners by hand: (0,0) → x[1]; (0,1) → x[1]; (0,2) → x[2]; (1,0) → x[8]; (1,1) → x[5]; (1,2) → x[6]
  const gin = new Float64Array(13).fill(9);
  be.maxPoolBackward(1, g, x, y, Float64Array.from([1, 2, 4, 8, 16, 32]), gin);
  assert.deepEqual(Array.from(gin), [0, 3, 4, 0, 0, 16, 32, 0, 8, 0, 0, 0, 9]);
  // two channels, 2×2 of stride 2 over 4×4 (a NaN in the second window of channel 0, after its maximum)
  const g2: WindowGeometry = { channels: 2, height: 4, width: 4, kernel: 2, stride: 2, padTop: 0, padLeft: 0, outH: 2, outW: 2 };
  const x2 = Float64Array.from([
    ...[1, 2, 9, 3, 4, 3, NaN, 1, 0, -1, 2, 2, -3, -2, 2, 8],
    ...[-1, -2, -3, -4, -5, -6, -7, -8, 1, 1, 1, 1, 1, 1, 1, 1],
  ]);
  const y2 = new Float64Array(8);
  be.maxPool(1, g2, x2, y2);
  assert.deepEqual(Array.from(y2), [4, NaN, 0, 8, -1, -3, 1, 1]);
  const gin2 = new Float64Array(32).fill(5);
  be.maxPoolBackward(1, g2, x2, y2, Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8]), gin2);
  const want = new Array(32).fill(0);
  [want[4], want[6], want[8], want[15], want[16], want[18], want[24], want[26]] = [1, 2, 3, 4, 5, 6, 7, 8];
  assert.deepEqual(Array.from(gin2), want);
  // a NaN first in its window stays the winner
  const y3 = new Float64Array(1);
  be.maxPool(1, { ...g2, channels: 1, height: 2, width: 2, outH: 1, outW: 1 }, Float64Array.from([NaN, 1, 2, 3]), y3);
  assert.ok(Number.isNaN(y3[0]));
  // a batch of two planes of one channel: the second example's windows read its own plane
  const y4 = new Float64Array(2);
  be.maxPool(2, { ...g2, channels: 1, height: 2, width: 2, outH: 1, outW: 1 }, Float64Array.from([1, 2, 3, 4, 8, 7, 6, 5]), y4);
  assert.deepEqual(Array.from(y4), [4, 8]);
  // a 4×2 plane, 2×2 windows of stride 2: the second window (rows 2–3) starts from its own first entry
  const y5 = new Float64Array(2);
  be.maxPool(1, { ...g2, channels: 1, height: 4, width: 2, outH: 2, outW: 1 }, Float64Array.from([1, 9, 2, 3, 4, 5, 6, 7]), y5);
  assert.deepEqual(Array.from(y5), [9, 7]);
});
