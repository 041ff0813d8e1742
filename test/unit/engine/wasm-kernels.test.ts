// The WASM SIMD kernels against float64 JS references: every gemm form on odd shapes with
// alpha/beta, operands inside and outside WASM memory, and every fused kernel.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Rng } from '../../../src/engine/random';
import type { Backend, WindowGeometry } from '../../../src/engine/backend';
import type { FloatArray } from '../../../src/engine/types';
import type { Activation } from '../../../src/model/spec';
import { window2d } from '../../../src/model/shapes';

type WasmModule = typeof import('../../../src/engine/wasm/backend');
let wasm: WasmModule;
let be: Required<Backend> & { memoryInfo(): { outsideAllocs: number; copyCalls: number } };

before(async () => {
  // The kernels module is generated from kernels.wat; make sure it is current before importing.
  const r = spawnSync(process.execPath, ['scripts/build-wasm.mjs'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  wasm = await import('../../../src/engine/wasm/backend');
  be = wasm.createWasmBackendSync({ initialBytes: 64 << 20 }) as unknown as typeof be;
});

const rng = new Rng(20261128);
function fill(x: FloatArray, scale = 1): FloatArray {
  for (let i = 0; i < x.length; i++) x[i] = (rng.next() * 2 - 1) * scale;
  return x;
}

/** float64 gemm reference; also returns Σ|terms| per entry for a rounding-error bound. */
function refGemm(
  tA: boolean,
  tB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: FloatArray,
  b: FloatArray,
  beta: number,
  c: FloatArray,
): { value: Float64Array; magnitude: Float64Array } {
  const value = new Float64Array(m * n),
    magnitude = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0,
        mag = 0;
      for (let p = 0; p < k; p++) {
        const t = a[tA ? p * m + i : i * k + p] * b[tB ? j * k + p : p * n + j];
        s += t;
        mag += Math.abs(t);
      }
      const old = beta === 0 ? 0 : beta * c[i * n + j];
      value[i * n + j] = alpha * s + old;
      magnitude[i * n + j] = Math.abs(alpha) * mag + Math.abs(old);
    }
  return { value, magnitude };
}

function assertClose(
  actual: FloatArray,
  expected: ArrayLike<number>,
  magnitude: ArrayLike<number> | null,
  k: number,
  what: string,
): void {
  assert.equal(actual.length >= expected.length, true, `${what}: output too short`);
  for (let i = 0; i < expected.length; i++) {
    // float32 accumulation: error ≲ k·ε·Σ|terms|; 4× margin, plus a floor for exact zeros.
    const bound = 4 * 6e-8 * (k + 2) * (magnitude ? magnitude[i] : Math.abs(expected[i])) + 1e-30;
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= bound)) assert.fail(`${what}: entry ${i} is ${actual[i]}, expected ${expected[i]} (|err| ${err} > ${bound})`);
  }
}

const SIZES = [1, 3, 5, 7, 13, 33, 65, 127];
const FORMS: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

test('gemm: all transpose forms on odd shapes, alpha/beta, inside WASM memory', () => {
  // includes the A·Bᵀ paths: dot products (m < 8 or k > 256), B transposed, and A transposed (Cᵀ = B·Aᵀ)
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [4, 8, 1],
    [4, 8, 16],
    [8, 16, 9],
    [32, 128, 784],
    [127, 65, 33],
    [16, 72, 196],
    [13, 127, 65],
    [8, 9, 784],
  ];
  for (let t = 0; t < 30; t++) shapes.push([SIZES[rng.int(8)], SIZES[rng.int(8)], SIZES[rng.int(8)]]);
  for (const [m, n, k] of shapes)
    for (const [tA, tB] of FORMS) {
      for (const [alpha, beta] of [
        [1, 0],
        [0.37, 0],
        [-1.5, 0.5],
        [1, 1],
      ]) {
        const a = fill(be.alloc(m * k)),
          b = fill(be.alloc(k * n)),
          c = fill(be.alloc(m * n));
        const ref = refGemm(tA, tB, m, n, k, alpha, a, b, beta, c);
        be.gemm(tA, tB, m, n, k, alpha, a, b, beta, c);
        assertClose(
          c,
          ref.value,
          ref.magnitude,
          k,
          `gemm ${tA ? 'Aᵀ' : 'A'}·${tB ? 'Bᵀ' : 'B'} ${m}×${n}×${k} α=${alpha} β=${beta}`,
        );
      }
    }
  assert.equal(be.memoryInfo().outsideAllocs, 0);
});

test('gemm: beta = 0 overwrites C without reading it (NaN in C does not leak)', () => {
  for (const [tA, tB] of FORMS) {
    const [m, n, k] = [13, 33, 7];
    const a = fill(be.alloc(m * k)),
      b = fill(be.alloc(k * n)),
      c = be.alloc(m * n).fill(NaN);
    be.gemm(tA, tB, m, n, k, 1, a, b, 0, c);
    const ref = refGemm(tA, tB, m, n, k, 1, a, b, 0, c);
    assertClose(c, ref.value, ref.magnitude, k, `gemm NaN-in-C ${tA}${tB}`);
  }
});

test('gemm: operands outside WASM memory (Float32Array and Float64Array) take the copy path', () => {
  const before = be.memoryInfo().copyCalls;
  for (const [tA, tB] of FORMS)
    for (const [m, n, k] of [
      [5, 7, 3],
      [33, 13, 65],
    ]) {
      const a = fill(new Float32Array(m * k)),
        b = fill(new Float64Array(k * n)),
        c = fill(new Float32Array(m * n));
      const cInside = be.alloc(m * n);
      cInside.set(c);
      const ref = refGemm(tA, tB, m, n, k, 0.5, a, Float32Array.from(b), 2, c);
      be.gemm(tA, tB, m, n, k, 0.5, a, b, 2, c);
      assertClose(c, ref.value, ref.magnitude, k, `copy-path gemm ${tA}${tB} ${m}×${n}×${k}`);
      // a view into the middle of WASM memory (a batch-prefix subarray) works in place
      be.gemm(tA, tB, m, n, k, 0.5, a, b, 2, cInside.subarray(0, m * n));
      assertClose(cInside, ref.value, ref.magnitude, k, `subarray gemm ${tA}${tB}`);
    }
  assert.ok(be.memoryInfo().copyCalls > before, 'the copy path was exercised');
});

test('gemm: rejects arrays shorter than the shapes say', () => {
  assert.throws(() => be.gemm(false, false, 3, 3, 3, 1, be.alloc(8), be.alloc(9), 0, be.alloc(9)), /gemm A: needs 9 elements/);
});

test('alloc: 16-byte aligned, zeroed, earlier views stay valid; a memory at its maximum falls back to JS arrays', () => {
  const small = wasm.createWasmBackendSync({ initialBytes: 65536, maximumBytes: 65536 });
  const views = [1, 3, 5, 7].map((n) => small.alloc(n));
  for (const v of views) {
    assert.equal(v.byteOffset % 16, 0);
    assert.ok(v.every((x) => x === 0));
  }
  views[0][0] = 42;
  const big = small.alloc(20000); // does not fit in 64 KiB after the others, and the memory may not grow
  assert.equal(small.memoryInfo().outsideAllocs, 1);
  assert.equal(big.length, 20000);
  assert.equal(views[0][0], 42, 'earlier views are not detached');
  // and a gemm on the outside array still works (scratch would not fit either: JS fallback)
  const m = 10,
    k = 2000,
    n = 1;
  const a = fill(big.subarray(0, m * k)),
    b = fill(new Float32Array(k)),
    c = new Float32Array(m);
  const ref = refGemm(false, false, m, n, k, 1, a, b, 0, c);
  small.gemm(false, false, m, n, k, 1, a, b, 0, c);
  assertClose(c, ref.value, ref.magnitude, k, 'gemm with an operand beyond the arena');
});

// (every activation is checked against the reference in backends.test.ts; these are the closed forms)
const ACTIVATIONS: Activation[] = ['linear', 'relu', 'leaky-relu', 'tanh', 'sigmoid'];
function act(a: Activation, v: number): number {
  switch (a) {
    case 'relu':
      return v > 0 ? v : 0;
    case 'leaky-relu':
      return v > 0 ? v : 0.01 * v;
    case 'tanh':
      return Math.tanh(v);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-v));
    default:
      return v;
  }
}

test('biasActivation: every activation, with and without bias, in place and out of place', () => {
  for (const [m, n] of [
    [1, 1],
    [3, 5],
    [7, 13],
    [32, 128],
    [5, 127],
  ])
    for (const a of ACTIVATIONS)
      for (const withBias of [true, false]) {
        const x = fill(be.alloc(m * n), 3),
          bias = withBias ? fill(be.alloc(n)) : null,
          out = be.alloc(m * n);
        const expected = new Float64Array(m * n);
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            // the sum is rounded to float32 first, as the kernel does
            expected[i * n + j] = act(a, Math.fround(x[i * n + j] + (bias ? bias[j] : 0)));
          }
        be.biasActivation(m, n, a, x, bias, out);
        assertClose(out, expected, null, 1, `biasActivation ${a} ${m}×${n}`);
        be.biasActivation(m, n, a, x, bias, x);
        assertClose(x, expected, null, 1, `biasActivation in place ${a}`);
      }
});

test('biasActivation: relu keeps NaN visible for non-finite detection', () => {
  const x = be.alloc(8).fill(NaN),
    out = be.alloc(8);
  be.biasActivation(2, 4, 'relu', x, null, out);
  assert.ok(out.every((v) => Number.isNaN(v)));
});

test('activationBackward: derivative at the pre-activation, every activation', () => {
  for (const size of [1, 3, 7, 33, 130])
    for (const a of ACTIVATIONS) {
      const pre = fill(new Float32Array(size), 3);
      pre[0] = 0; // the kink: relu'(0) = 0, leaky'(0) = slope
      const y = be.alloc(size),
        g = fill(be.alloc(size)),
        gi = be.alloc(size),
        pz = be.alloc(size);
      pz.set(pre);
      for (let t = 0; t < size; t++) y[t] = act(a, pre[t]);
      const expected = new Float64Array(size);
      for (let t = 0; t < size; t++) {
        const d =
          a === 'relu'
            ? pre[t] > 0
              ? 1
              : 0
            : a === 'leaky-relu'
              ? pre[t] > 0
                ? 1
                : 0.01
              : a === 'tanh'
                ? 1 - y[t] * y[t]
                : a === 'sigmoid'
                  ? y[t] * (1 - y[t])
                  : 1;
        expected[t] = g[t] * d;
      }
      be.activationBackward(size, a, pz, y, g, gi);
      assertClose(gi, expected, null, 2, `activationBackward ${a} size ${size}`);
      be.activationBackward(size, a, pz, y, g, g);
      assertClose(g, expected, null, 2, `activationBackward in place ${a}`);
    }
});

test('columnSums and rowSumSquares', () => {
  for (const [m, n] of [
    [1, 1],
    [3, 5],
    [32, 26],
    [13, 127],
    [65, 7],
  ]) {
    const x = fill(be.alloc(m * n)),
      out = fill(be.alloc(n)),
      rows = be.alloc(m);
    const expected = new Float64Array(n),
      mag = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let s = 0,
        a = 0;
      for (let i = 0; i < m; i++) {
        s += x[i * n + j];
        a += Math.abs(x[i * n + j]);
      }
      expected[j] = 0.25 * s + 0.5 * out[j];
      mag[j] = 0.25 * a + 0.5 * Math.abs(out[j]);
    }
    be.columnSums(m, n, 0.25, 0.5, x, out);
    assertClose(out, expected, mag, m, `columnSums β=0.5 ${m}×${n}`);
    out.fill(NaN);
    be.columnSums(m, n, 0.25, 0, x, out);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += x[i * n + j];
      expected[j] = 0.25 * s;
    }
    assertClose(out, expected, mag, m, `columnSums β=0 ${m}×${n}`);

    const sq = new Float64Array(m);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) sq[i] += x[i * n + j] ** 2;
    be.rowSumSquares(m, n, x, rows);
    assertClose(rows, sq, null, n, `rowSumSquares ${m}×${n}`);
  }
});

test('outerBatch materialises every example gradient; denseNormsSquared equals their squared norms', () => {
  for (const [m, p, q] of [
    [1, 1, 1],
    [3, 5, 7],
    [32, 13, 26],
    [5, 65, 3],
  ]) {
    const a = fill(be.alloc(m * p)),
      d = fill(be.alloc(m * q)),
      g = be.alloc(m * p * q);
    be.outerBatch(m, p, q, 0.5, a, d, g);
    const expected = new Float64Array(m * p * q);
    for (let i = 0; i < m; i++)
      for (let r = 0; r < p; r++)
        for (let s = 0; s < q; s++) {
          expected[(i * p + r) * q + s] = 0.5 * a[i * p + r] * d[i * q + s];
        }
    assertClose(g, expected, null, 2, `outerBatch ${m}×${p}×${q}`);

    for (const withBias of [false, true]) {
      const norms = be.alloc(m);
      be.denseNormsSquared(m, p, q, withBias, a, d, norms);
      const want = new Float64Array(m);
      for (let i = 0; i < m; i++) {
        // ‖aᵢ ⊗ δᵢ‖² summed entry by entry from the float64 outer product, plus the bias part ‖δᵢ‖²
        for (let r = 0; r < p; r++) for (let s = 0; s < q; s++) want[i] += (a[i * p + r] * d[i * q + s]) ** 2;
        if (withBias) for (let s = 0; s < q; s++) want[i] += d[i * q + s] ** 2;
      }
      assertClose(norms, want, null, p + q, `denseNormsSquared ${m}×${p}×${q} bias=${withBias}`);
    }
  }
});

function geometry(c: number, h: number, w: number, k: number, stride: number, padding: 'same' | 'valid'): WindowGeometry {
  const p = window2d(h, w, k, stride, padding);
  return { channels: c, height: h, width: w, kernel: k, stride, padTop: p.top, padLeft: p.left, outH: p.outH, outW: p.outW };
}
const GEOMETRIES: WindowGeometry[] = [
  geometry(1, 28, 28, 3, 1, 'same'),
  geometry(3, 7, 5, 3, 2, 'same'),
  geometry(2, 9, 9, 3, 2, 'valid'),
  geometry(8, 13, 13, 3, 1, 'valid'),
  geometry(1, 5, 5, 5, 1, 'same'),
  geometry(2, 6, 7, 2, 2, 'same'),
  geometry(4, 1, 1, 1, 1, 'valid'),
  geometry(1, 4, 9, 5, 3, 'same'),
  geometry(3, 8, 3, 3, 2, 'same'),
  geometry(2, 10, 12, 4, 3, 'valid'),
  geometry(1, 3, 17, 7, 1, 'same'),
];

test('im2col + gemm equals a direct float64 convolution (stride 1/2, same/valid)', () => {
  for (const g of GEOMETRIES) {
    const batch = 3,
      filters = 5,
      ckk = g.channels * g.kernel * g.kernel,
      positions = g.outH * g.outW;
    const image = fill(be.alloc(batch * g.channels * g.height * g.width));
    const weights = fill(be.alloc(filters * ckk));
    const cols = be.alloc(batch * ckk * positions),
      out = be.alloc(filters * positions);
    be.im2col(batch, g, image, cols);
    for (let e = 0; e < batch; e++) {
      be.gemm(false, false, filters, positions, ckk, 1, weights, cols.subarray(e * ckk * positions), 0, out);
      const expected = new Float64Array(filters * positions),
        mag = new Float64Array(filters * positions);
      for (let f = 0; f < filters; f++)
        for (let oy = 0; oy < g.outH; oy++)
          for (let ox = 0; ox < g.outW; ox++) {
            let s = 0,
              a = 0;
            for (let ci = 0; ci < g.channels; ci++)
              for (let ky = 0; ky < g.kernel; ky++)
                for (let kx = 0; kx < g.kernel; kx++) {
                  const iy = oy * g.stride - g.padTop + ky,
                    ix = ox * g.stride - g.padLeft + kx;
                  if (iy < 0 || iy >= g.height || ix < 0 || ix >= g.width) continue;
                  const t =
                    weights[((f * g.channels + ci) * g.kernel + ky) * g.kernel + kx] *
                    image[((e * g.channels + ci) * g.height + iy) * g.width + ix];
                  s += t;
                  a += Math.abs(t);
                }
            expected[f * positions + oy * g.outW + ox] = s;
            mag[f * positions + oy * g.outW + ox] = a;
          }
      assertClose(out, expected, mag, ckk, `conv via im2col ${JSON.stringify(g)} example ${e}`);
    }
  }
});

test('col2im is the adjoint of im2col: <im2col(x), y> = <x, col2im(y)>', () => {
  for (const g of GEOMETRIES) {
    const batch = 2,
      imageSize = batch * g.channels * g.height * g.width;
    const colsSize = batch * g.channels * g.kernel * g.kernel * g.outH * g.outW;
    const x = fill(be.alloc(imageSize)),
      y = fill(be.alloc(colsSize));
    const cols = be.alloc(colsSize),
      back = be.alloc(imageSize).fill(NaN); // overwritten, not accumulated into
    be.im2col(batch, g, x, cols);
    be.col2im(batch, g, y, back);
    let lhs = 0,
      rhs = 0,
      mag = 0;
    for (let t = 0; t < colsSize; t++) {
      lhs += cols[t] * y[t];
      mag += Math.abs(cols[t] * y[t]);
    }
    for (let t = 0; t < imageSize; t++) rhs += x[t] * back[t];
    assert.ok(Math.abs(lhs - rhs) <= 1e-5 * (1 + mag), `adjoint mismatch ${lhs} vs ${rhs} for ${JSON.stringify(g)}`);
  }
});

test('fused kernels accept arrays outside WASM memory', () => {
  const m = 5,
    n = 7;
  {
    const p = 3,
      q = 6,
      a = fill(new Float32Array(m * p)),
      d = fill(new Float64Array(m * q)),
      g = new Float32Array(m * p * q).fill(NaN);
    be.outerBatch(m, p, q, 2, a, d, g);
    for (let i = 0; i < m; i++)
      for (let r = 0; r < p; r++)
        for (let s = 0; s < q; s++) {
          const want = 2 * a[i * p + r] * Math.fround(d[i * q + s]);
          assert.ok(
            Math.abs(g[(i * p + r) * q + s] - want) <= 1e-6 * (1 + Math.abs(want)),
            `outerBatch outside memory (${i},${r},${s})`,
          );
        }
  }
  const x = fill(new Float32Array(m * n)),
    out = new Float32Array(m * n),
    bias = fill(new Float32Array(n));
  be.biasActivation(m, n, 'relu', x, bias, out);
  for (let i = 0; i < m * n; i++) assert.equal(out[i], act('relu', Math.fround(x[i] + bias[i % n])));
  // in place on arrays outside WASM memory: the result must come back
  const inPlace = Float32Array.from(x);
  be.biasActivation(m, n, 'leaky-relu', inPlace, bias, inPlace);
  for (let i = 0; i < m * n; i++) {
    const want = act('leaky-relu', Math.fround(x[i] + bias[i % n]));
    assert.ok(
      Math.abs(inPlace[i] - want) <= 1e-6 * Math.abs(want),
      `in-place leaky-relu outside memory, entry ${i}: ${inPlace[i]} vs ${want}`,
    );
  }
  const grad = fill(new Float32Array(m * n)),
    gradCopy = Float32Array.from(grad);
  be.activationBackward(m * n, 'relu', out, out, grad, grad);
  for (let i = 0; i < m * n; i++) assert.equal(grad[i], out[i] > 0 ? gradCopy[i] : 0);
  const sums = new Float64Array(n);
  be.columnSums(m, n, 1, 0, x, sums);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += x[i * n + j];
    assert.ok(Math.abs(sums[j] - s) < 1e-5);
  }
});

test('base64 decoder matches Buffer', async () => {
  const { decodeBase64 } = await import('../../../src/engine/wasm/base64');
  for (const len of [0, 1, 2, 3, 4, 5, 100, 257]) {
    const bytes = new Uint8Array(len).map(() => rng.int(256));
    assert.deepEqual(decodeBase64(Buffer.from(bytes).toString('base64')), bytes);
  }
});

test('asynchronous creation gives a working backend', async () => {
  const b = await wasm.createWasmBackend({ initialBytes: 1 << 20 });
  assert.equal(b.name, 'wasm-simd');
  assert.equal(b.dtype, 'float32');
  const a = b.alloc(6).fill(1),
    x = b.alloc(3).fill(2),
    c = b.alloc(2);
  b.gemm(false, false, 2, 1, 3, 1, a, x, 0, c);
  assert.deepEqual([...c], [6, 6]);
});

test('rowSums', () => {
  for (const [m, n] of [
    [1, 1],
    [3, 5],
    [16, 196],
    [7, 33],
  ]) {
    const x = fill(be.alloc(m * n)),
      out = be.alloc(m);
    const want = new Float64Array(m),
      mag = new Float64Array(m);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        want[i] += 0.5 * x[i * n + j];
        mag[i] += 0.5 * Math.abs(x[i * n + j]);
      }
    be.rowSums(m, n, 0.5, x, out);
    assertClose(out, want, mag, n, `rowSums ${m}×${n}`);
  }
});

test('allFinite finds NaN and ±Infinity anywhere, and accepts huge finite values', () => {
  for (const n of [1, 3, 4, 5, 33, 130]) {
    const x = fill(be.alloc(n), 3e38); // x² would overflow; x·0 does not
    assert.equal(be.allFinite(n, x), true, `finite n=${n}`);
    for (const bad of [NaN, Infinity, -Infinity])
      for (const at of [0, n - 1, n >> 1]) {
        const saved = x[at];
        x[at] = bad;
        assert.equal(be.allFinite(n, x), false, `${bad} at ${at} of ${n}`);
        x[at] = saved;
      }
  }
});

test('sgdStep: plain, momentum, Nesterov, weight decay, vs the float64 formula', () => {
  for (const n of [1, 5, 33, 130])
    for (const [mu, nesterov, wd] of [
      [0, false, 0],
      [0, false, 0.01],
      [0.9, false, 0],
      [0.9, true, 0.001],
    ] as [number, boolean, number][]) {
      const value = fill(be.alloc(n)),
        grad = fill(be.alloc(n)),
        vel = fill(be.alloc(n), 0.1),
        update = be.alloc(n).fill(NaN);
      const v0 = Float64Array.from(value),
        g0 = Float64Array.from(grad),
        m0 = Float64Array.from(vel);
      const lr = 0.05;
      be.sgdStep(n, lr, wd, mu, nesterov, grad, value, mu ? vel : null, update);
      for (let i = 0; i < n; i++) {
        let g = g0[i] + wd * v0[i],
          v = m0[i];
        if (mu !== 0) {
          v = mu * v + g;
          g = nesterov ? g + mu * v : v;
        }
        const after = v0[i] - lr * g;
        assert.ok(
          Math.abs(value[i] - after) <= 1e-6 * (1 + Math.abs(after)),
          `θ[${i}] ${value[i]} vs ${after} (μ=${mu}, nesterov=${nesterov}, wd=${wd})`,
        );
        assert.ok(Math.abs(update[i] - (after - v0[i])) <= 1e-6 * (1 + Math.abs(after)), `update[${i}]`);
        if (mu !== 0) assert.ok(Math.abs(vel[i] - v) <= 1e-6 * (1 + Math.abs(v)), `velocity[${i}]`);
        else assert.equal(vel[i], Math.fround(m0[i]), 'velocity untouched without momentum');
      }
    }
});

test('maxPool / maxPoolBackward vs a JS reference: first maximum wins ties, NaN wins and stays', () => {
  for (const [h, w, pool, stride] of [
    [4, 4, 2, 2],
    [6, 5, 2, 1],
    [7, 5, 2, 2],
    [9, 9, 3, 2],
    [5, 6, 3, 1],
    [28, 28, 2, 2],
    [3, 3, 3, 3],
  ]) {
    const outH = Math.floor((h - pool) / stride) + 1,
      outW = Math.floor((w - pool) / stride) + 1;
    const planes = 3,
      g: WindowGeometry = { channels: planes, height: h, width: w, kernel: pool, stride, padTop: 0, padLeft: 0, outH, outW };
    const x = be.alloc(planes * h * w);
    for (let i = 0; i < x.length; i++) x[i] = rng.int(4) - 2; // many ties
    x[1] = NaN;
    const y = be.alloc(planes * outH * outW),
      dy = fill(be.alloc(planes * outH * outW)),
      dx = be.alloc(planes * h * w).fill(NaN);
    be.maxPool(1, g, x, y);
    be.maxPoolBackward(1, g, x, y, dy, dx);
    const wantDx = new Float64Array(planes * h * w);
    for (let p = 0, o = 0; p < planes; p++)
      for (let oy = 0; oy < outH; oy++)
        for (let ox = 0; ox < outW; ox++, o++) {
          let best = p * h * w + oy * stride * w + ox * stride,
            bestValue = x[best];
          for (let ky = 0; ky < pool; ky++)
            for (let kx = 0; kx < pool; kx++) {
              const at = p * h * w + (oy * stride + ky) * w + ox * stride + kx,
                v = x[at];
              if (bestValue === bestValue && !(v <= bestValue)) {
                best = at;
                bestValue = v;
              }
            }
          assert.ok(
            Object.is(y[o], Math.fround(bestValue)),
            `maxPool ${h}×${w}/${pool}s${stride} output ${o}: ${y[o]} vs ${bestValue}`,
          );
          wantDx[best] += dy[o];
        }
    assertClose(dx, wantDx, null, pool * pool, `maxPoolBackward ${h}×${w}/${pool}s${stride}`);
  }
});
