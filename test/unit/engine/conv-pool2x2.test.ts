// The whole-vector 2×2 / stride 2 max-pooling kernels (kernels/pool2x2.wat) against the general
// kernels of pooling.wat, bit for bit (they promise the same results), and against the float64 rule
// of the reference backend, on planes whose output rows are not a multiple of 4 wide (the rows the
// new kernels finish with an overlapping vector), odd sizes (a row and a column in no window), ties,
// signed zeros, infinities and NaNs.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend } from '../../../src/engine';
import { windowGeometry } from '../../../src/engine/backend';
import { Rng } from '../../../src/engine/random';
import type { KernelExports } from '../../../src/engine/wasm/exports';
import type { WasmBackend } from '../../../src/engine/wasm/backend';
import { loadWasm } from './wasmFixtures';

let be: WasmBackend;
let k: KernelExports;
let f32: () => Float32Array;
const rng = new Rng(20261202);

before(async () => {
  const wasm = await loadWasm();
  be = wasm.createWasmBackendSync();
  // A bare instance of the same module, to call both pooling kernels on the same operands.
  const { KERNEL_MODULES_BASE64 } = await import('../../../src/engine/wasm/kernels.generated');
  const { decodeBase64 } = await import('../../../src/engine/wasm/base64');
  const { wasmApi } = await import('../../../src/engine/wasm/wasmApi');
  const api = wasmApi();
  const memory = new api.Memory({ initial: 64, maximum: 64, shared: true });
  const module = new api.Module(decodeBase64(KERNEL_MODULES_BASE64.plainShared));
  k = new api.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
  f32 = () => new Float32Array(memory.buffer);
});

/** Small integers (many ties) with ±0, ±∞ and NaN sprinkled in. */
function values(n: number): number[] {
  const special = [0, -0, Infinity, -Infinity, NaN];
  return Array.from({ length: n }, () => (rng.next() < 0.08 ? special[rng.int(special.length)] : rng.int(5) - 2));
}

const SHAPES: [h: number, w: number][] = [
  [28, 28],
  [14, 14],
  [8, 8],
  [9, 11],
  [10, 9],
  [15, 15],
  [2, 8],
  [6, 12],
];

test('maxpool2_forward / maxpool2_backward give exactly the bits of maxpool_forward / maxpool_backward', () => {
  for (const [h, w] of SHAPES) {
    const planes = 5,
      outH = h >> 1,
      outW = w >> 1,
      n = planes * h * w,
      pooled = planes * outH * outW;
    // byte offsets: input, two outputs, gradOut, two input gradients (the second prefilled with NaN)
    const X = 0,
      Y1 = 4 * n,
      Y2 = Y1 + 4 * pooled,
      G = Y2 + 4 * pooled,
      D1 = G + 4 * pooled,
      D2 = D1 + 4 * n;
    const m = f32();
    m.set(values(n), X / 4);
    for (let i = 0; i < pooled; i++) m[G / 4 + i] = rng.next() * 2 - 1;
    m.fill(NaN, D2 / 4, D2 / 4 + n);
    k.maxpool_forward(planes, h, w, 2, 2, outH, outW, X, Y1);
    k.maxpool2_forward(planes, h, w, outH, outW, X, Y2);
    k.maxpool_backward(planes, h, w, 2, 2, outH, outW, X, Y1, G, D1);
    k.maxpool2_backward(planes, h, w, outH, outW, X, Y1, G, D2);
    for (let i = 0; i < pooled; i++)
      assert.ok(Object.is(m[Y1 / 4 + i], m[Y2 / 4 + i]), `${h}×${w} output ${i}: ${m[Y2 / 4 + i]} vs ${m[Y1 / 4 + i]}`);
    for (let i = 0; i < n; i++)
      assert.ok(Object.is(m[D1 / 4 + i], m[D2 / 4 + i]), `${h}×${w} input gradient ${i}: ${m[D2 / 4 + i]} vs ${m[D1 / 4 + i]}`);
  }
});

test('the backend routes 2×2 pooling through the new kernels and agrees with the float64 reference', () => {
  const ref = referenceBackend('float64');
  for (const [h, w] of SHAPES) {
    const batch = 3,
      channels = 2;
    const g = windowGeometry([channels, h, w], 2, 2, 'valid');
    const inSize = batch * channels * h * w,
      outSize = batch * channels * g.outH * g.outW;
    const x = values(inSize),
      dy = Array.from({ length: outSize }, () => rng.next() * 2 - 1);
    const [xw, yw, dyw, dxw] = [be.alloc(inSize), be.alloc(outSize), be.alloc(outSize), be.alloc(inSize).fill(NaN)];
    const [xr, yr, dyr, dxr] = [ref.alloc(inSize), ref.alloc(outSize), ref.alloc(outSize), ref.alloc(inSize)];
    xw.set(x);
    xr.set(x);
    dyw.set(dy);
    dyr.set(Float32Array.from(dy));
    be.maxPool(batch, g, xw, yw);
    ref.maxPool(batch, g, xr, yr);
    be.maxPoolBackward(batch, g, xw, yw, dyw, dxw);
    ref.maxPoolBackward(batch, g, xr, yr, dyr, dxr);
    // the values are exact in float32, so the pooled outputs and routed gradients are equal
    for (let i = 0; i < outSize; i++) assert.ok(Object.is(yw[i], yr[i]), `${h}×${w} output ${i}: ${yw[i]} vs ${yr[i]}`);
    for (let i = 0; i < inSize; i++)
      assert.ok(Object.is(dxw[i], dxr[i]), `${h}×${w} input gradient ${i}: ${dxw[i]} vs ${dxr[i]}`);
  }
});
