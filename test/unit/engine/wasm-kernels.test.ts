// The WASM SIMD element-wise, reduction, optimizer and window kernels against float64 JS
// references: every fused kernel, in place and out of place, inside and outside WASM memory.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { act, type DenseAct } from '../oracles/reference';
import type { WasmBackend } from '../../../src/engine/wasm/backend';
import { assertClose, fill, loadWasm } from './wasmFixtures';

let be: WasmBackend;

before(async () => {
  be = (await loadWasm()).createWasmBackendSync({ initialBytes: 64 << 20 });
});

// (every activation is checked against the reference in backends.test.ts; here against the oracles' closed forms)
const ACTIVATIONS: DenseAct[] = ['linear', 'relu', 'leaky-relu', 'tanh', 'sigmoid'];

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
