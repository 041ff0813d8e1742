// The WASM backend against the reference backend (float32), kernel by kernel, on the same random
// inputs: every kernel of the Backend interface, every activation of the model format. The
// reference computes in float64 and rounds once; the tolerance allows a few float32 roundings
// per term (and ≈1e-6 relative for GELU, whose WASM exp is a polynomial). The plain SIMD kernels
// run here; the relaxed-SIMD fused multiply-add kernels run the same file in a child process with
// relaxed SIMD switched on (GRADLENS_TEST_FMA=1).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { assertFileWithFma } from './wasmFixtures';
import { Rng } from '../../../src/engine/random';
import { type Backend, windowGeometry } from '../../../src/engine/backend';
import { referenceBackend } from '../../../src/engine/reference';
import type { FloatArray } from '../../../src/engine/types';
import { ACTIVATIONS } from '../../../src/model/fields';
import { ACTIVATION_MATH } from '../../../src/engine/activations';

const FMA = process.env.GRADLENS_TEST_FMA === '1';
let wasm: Backend & { fma: boolean };
const ref = referenceBackend('float32');
const rng = new Rng(424242);

before(async () => {
  const r = spawnSync(process.execPath, ['scripts/build-wasm.mjs'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  wasm = (await import('../../../src/engine/wasm/backend')).createWasmBackendSync({ initialBytes: 32 << 20, fma: FMA });
  assert.equal(wasm.fma, FMA);
});

test('the relaxed-SIMD (fused multiply-add) kernels pass this whole file too', { skip: FMA }, async () => {
  assertFileWithFma(__filename, (await import('../../../src/engine/wasm/backend')).wasmFmaSupported());
});

/** The same random values in a buffer of each backend. */
function pair(n: number, scale = 1): [FloatArray, FloatArray] {
  const w = wasm.alloc(n),
    r = ref.alloc(n);
  for (let i = 0; i < n; i++) w[i] = r[i] = (rng.next() * 2 - 1) * scale;
  return [w, r];
}
function pairs(n: number): [FloatArray, FloatArray] {
  return [wasm.alloc(n), ref.alloc(n)];
}

function assertAgree(w: FloatArray, r: FloatArray, n: number, what: string, rel = 1e-6, abs = 1e-6): void {
  for (let i = 0; i < n; i++) {
    const err = Math.abs(w[i] - r[i]);
    if (!(err <= abs + rel * Math.abs(r[i])) && !(Number.isNaN(w[i]) && Number.isNaN(r[i]))) {
      assert.fail(`${what}: entry ${i} is ${w[i]} on WASM, ${r[i]} on the reference (|err| ${err})`);
    }
  }
}

test('biasActivation and activationBackward agree for every activation', () => {
  for (const a of ACTIVATIONS)
    for (const [m, n] of [
      [1, 3],
      [7, 13],
      [32, 64],
    ]) {
      const [xw, xr] = pair(m * n, 8),
        [bw, br] = pair(n);
      xw[0] = xr[0] = 0; // relu's kink
      const [yw, yr] = pairs(m * n);
      wasm.biasActivation(m, n, a, xw, bw, yw);
      ref.biasActivation(m, n, a, xr, br, yr);
      assertAgree(yw, yr, m * n, `biasActivation ${a} ${m}×${n}`, 2e-6);
      // the backward pass reads the pre-activation z = x + b (as a layer keeps it) and y = act(z)
      const [zw, zr] = pairs(m * n);
      wasm.biasActivation(m, n, 'linear', xw, bw, zw);
      ref.biasActivation(m, n, 'linear', xr, br, zr);
      const [gw, gr] = pair(m * n),
        [iw, ir] = pairs(m * n);
      wasm.activationBackward(m * n, a, zw, yw, gw, iw);
      ref.activationBackward(m * n, a, zr, yr, gr, ir);
      assertAgree(iw, ir, m * n, `activationBackward ${a} ${m}×${n}`, 4e-6);
    }
});

test('channelBiasActivation: z + b exactly as float32 rounds it, act(z) as float64 computes it, on both backends, every activation', () => {
  for (const a of ACTIVATIONS)
    for (const [m, channels, positions] of [
      [1, 1, 1],
      [2, 3, 13],
      [5, 8, 196],
      [3, 16, 7],
    ]) {
      const size = m * channels * positions;
      const [zw, zr] = pair(size, 8),
        [bw, br] = pair(channels);
      zw[1 % size] = zr[1 % size] = -br[0]; // z + b = 0: relu's kink
      if (size > 5) zw[5] = zr[5] = NaN;
      const x = Float64Array.from(zw);
      const [yw, yr] = pairs(size);
      wasm.channelBiasActivation(m, channels, positions, a, zw, bw, yw);
      ref.channelBiasActivation(m, channels, positions, a, zr, br, yr);
      const f = ACTIVATION_MATH[a].forward;
      for (let t = 0; t < size; t++) {
        const z = Math.fround(x[t] + br[Math.floor(t / positions) % channels]);
        const what = `${a} ${m}×${channels}×${positions} [${t}]`;
        assert.ok(Object.is(zw[t], z) && Object.is(zr[t], z), `${what}: z ${zw[t]} (WASM), ${zr[t]} (reference), ${z} wanted`);
        const want = f(z);
        for (const [y, on] of [
          [yw[t], 'WASM'],
          [yr[t], 'reference'],
        ] as const)
          if (!(Math.abs(y - want) <= 2e-6 * (1 + Math.abs(want))) && !(Number.isNaN(y) && Number.isNaN(want)))
            assert.fail(`${what}: y ${y} on ${on}, ${want} by float64`);
      }
    }
  // in place (a linear layer's output is its z), and the same bits as biasActivation's relu
  const [zw] = pair(2 * 4 * 9, 3),
    [bw] = pair(4);
  const x = Float32Array.from(zw);
  wasm.channelBiasActivation(2, 4, 9, 'linear', zw, bw, zw);
  for (let t = 0; t < zw.length; t++)
    assert.ok(Object.is(zw[t], Math.fround(x[t] + bw[Math.floor(t / 9) % 4])), `in place [${t}]`);
  const [relu, viaBias, z] = [wasm.alloc(zw.length), wasm.alloc(zw.length), wasm.alloc(zw.length)];
  wasm.biasActivation(1, zw.length, 'relu', zw, null, viaBias);
  z.set(x);
  wasm.channelBiasActivation(2, 4, 9, 'relu', z, bw, relu);
  for (let t = 0; t < zw.length; t++) assert.ok(Object.is(relu[t], viaBias[t]), `relu [${t}]: ${relu[t]} vs ${viaBias[t]}`);
});

test('reductions, norms, outer products, finiteness and the SGD step agree', () => {
  const m = 13,
    n = 37;
  const [xw, xr] = pair(m * n);
  const [cw, cr] = pair(n);
  wasm.columnSums(m, n, 0.5, 0.25, xw, cw);
  ref.columnSums(m, n, 0.5, 0.25, xr, cr);
  assertAgree(cw, cr, n, 'columnSums', 1e-5, 1e-6);
  const [rw, rr] = pairs(m);
  wasm.rowSums(m, n, 2, xw, rw);
  ref.rowSums(m, n, 2, xr, rr);
  assertAgree(rw, rr, m, 'rowSums', 1e-5, 1e-5);
  wasm.rowSumSquares(m, n, xw, rw);
  ref.rowSumSquares(m, n, xr, rr);
  assertAgree(rw, rr, m, 'rowSumSquares', 1e-5);
  const p = 9,
    q = 5;
  const [aw, ar] = pair(m * p),
    [dw, dr] = pair(m * q);
  const nw = new Float64Array(m),
    nr = new Float64Array(m);
  wasm.denseNormsSquared(m, p, q, true, aw, dw, nw);
  ref.denseNormsSquared(m, p, q, true, ar, dr, nr);
  assertAgree(nw, nr, m, 'denseNormsSquared', 1e-5);
  const [ow, or] = pairs(m * p * q);
  wasm.outerBatch(m, p, q, 0.5, aw, dw, ow);
  ref.outerBatch(m, p, q, 0.5, ar, dr, or);
  assertAgree(ow, or, m * p * q, 'outerBatch', 1e-6, 0);
  assert.equal(wasm.allFinite(m * n, xw), ref.allFinite(m * n, xr));
  xw[17] = xr[17] = Infinity;
  assert.equal(wasm.allFinite(m * n, xw), false);
  assert.equal(ref.allFinite(m * n, xr), false);
  for (const [mu, nesterov] of [
    [0, false],
    [0.9, true],
  ] as [number, boolean][]) {
    const [gw, gr] = pair(n),
      [vw, vr] = pair(n),
      [velw, velr] = pair(n),
      [uw, ur] = pairs(n);
    wasm.sgdStep(n, 0.1, 0.01, mu, nesterov, gw, vw, mu ? velw : null, uw);
    ref.sgdStep(n, 0.1, 0.01, mu, nesterov, gr, vr, mu ? velr : null, ur);
    assertAgree(vw, vr, n, `sgdStep value μ=${mu}`);
    assertAgree(uw, ur, n, `sgdStep update μ=${mu}`, 1e-5, 1e-7);
    assertAgree(velw, velr, n, `sgdStep velocity μ=${mu}`);
  }
});

test('gemm agrees in every transpose form', () => {
  const [m, n, k] = [19, 23, 29];
  for (const [tA, tB] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ]) {
    const [aw, ar] = pair(m * k),
      [bw, br] = pair(k * n),
      [cw, cr] = pair(m * n);
    wasm.gemm(tA, tB, m, n, k, 0.7, aw, bw, 0.3, cw);
    ref.gemm(tA, tB, m, n, k, 0.7, ar, br, 0.3, cr);
    assertAgree(cw, cr, m * n, `gemm ${tA}/${tB}`, 1e-5, 1e-5);
  }
});

test('im2col, col2im, maxPool and maxPoolBackward agree (one geometry type for both)', () => {
  const batch = 2;
  for (const [c, h, w, k, s, pad] of [
    [2, 7, 6, 3, 1, 'same'],
    [3, 9, 9, 3, 2, 'valid'],
    [1, 8, 5, 2, 2, 'same'],
  ] as const) {
    const g = windowGeometry([c, h, w], k, s, pad);
    const imageSize = batch * c * h * w,
      colsSize = batch * c * k * k * g.outH * g.outW;
    const [xw, xr] = pair(imageSize),
      [colw, colr] = pairs(colsSize);
    wasm.im2col(batch, g, xw, colw);
    ref.im2col(batch, g, xr, colr);
    assertAgree(colw, colr, colsSize, `im2col ${JSON.stringify(g)}`, 0, 0);
    const [yw, yr] = pair(colsSize),
      [backw, backr] = pairs(imageSize);
    wasm.col2im(batch, g, yw, backw);
    ref.col2im(batch, g, yr, backr);
    assertAgree(backw, backr, imageSize, `col2im ${JSON.stringify(g)}`, 1e-6, 1e-6);
  }
  for (const [c, h, w, k, s] of [
    [3, 6, 6, 2, 2],
    [2, 7, 5, 3, 1],
  ]) {
    const g = windowGeometry([c, h, w], k, s, 'valid');
    const inSize = batch * c * h * w,
      outSize = batch * c * g.outH * g.outW;
    const [xw, xr] = pair(inSize);
    for (let i = 0; i < inSize; i += 5) xw[i] = xr[i] = 0.5; // ties
    xw[3] = xr[3] = NaN;
    const [yw, yr] = pairs(outSize),
      [dyw, dyr] = pair(outSize),
      [dxw, dxr] = pairs(inSize);
    wasm.maxPool(batch, g, xw, yw);
    ref.maxPool(batch, g, xr, yr);
    assertAgree(yw, yr, outSize, `maxPool ${k}/${s}`, 0, 0);
    wasm.maxPoolBackward(batch, g, xw, yw, dyw, dxw);
    ref.maxPoolBackward(batch, g, xr, yr, dyr, dxr);
    assertAgree(dxw, dxr, inSize, `maxPoolBackward ${k}/${s}`, 1e-6, 1e-7);
  }
});
