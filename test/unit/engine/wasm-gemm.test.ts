// The WASM backend's gemm against a float64 reference: every transpose form on odd shapes with
// alpha/beta, operands inside and outside WASM memory; and how the backend is created and allocates.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/engine/random';
import { referenceBackend } from '../../../src/engine/reference';
import type { WasmBackend } from '../../../src/engine/wasm/backend';
import { assertClose, fill, loadWasm, refGemm, type WasmModule } from './wasmFixtures';

let wasm: WasmModule;
let be: WasmBackend;
const rng = new Rng(20261128);

before(async () => {
  wasm = await loadWasm();
  be = wasm.createWasmBackendSync({ initialBytes: 64 << 20 });
});

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

test('gemmEach: every product as float64 computes it and bit-identical to gemm, on both backends; C overwritten; outside memory too', () => {
  const reference = referenceBackend('float32');
  for (const [count, m, n, k] of [
    [1, 1, 1, 1],
    [3, 8, 784, 9],
    [2, 16, 196, 72],
    [4, 5, 13, 7],
    [2, 3, 1, 0],
  ]) {
    const a = fill(be.alloc(m * k)),
      b = fill(be.alloc(count * k * n)),
      c = be.alloc(count * m * n).fill(NaN); // overwritten, never read
    be.gemmEach(count, m, n, k, a, b, c);
    const c2 = new Float32Array(count * m * n).fill(NaN);
    reference.gemmEach(count, m, n, k, Float32Array.from(a), Float32Array.from(b), c2);
    const one = be.alloc(m * n);
    for (let e = 0; e < count; e++) {
      const [be_, ce] = [b.subarray(e * k * n, (e + 1) * k * n), c.subarray(e * m * n, (e + 1) * m * n)];
      const ref = refGemm(false, false, m, n, k, 1, a, be_, 0, new Float32Array(m * n));
      const what = `gemmEach ${count}×(${m}×${n}×${k}) product ${e}`;
      assertClose(ce, ref.value, ref.magnitude, k, what);
      assertClose(c2.subarray(e * m * n, (e + 1) * m * n), ref.value, ref.magnitude, k, `${what} (reference backend)`);
      be.gemm(false, false, m, n, k, 1, a, be_, 0, one);
      for (let i = 0; i < m * n; i++) assert.ok(Object.is(ce[i], one[i]), `${what} [${i}]: ${ce[i]}, gemm ${one[i]}`);
    }
    // operands outside WASM memory: the same bits through the copy path
    const outside = new Float32Array(count * m * n);
    be.gemmEach(count, m, n, k, Float32Array.from(a), Float32Array.from(b), outside);
    for (let i = 0; i < outside.length; i++) assert.ok(Object.is(outside[i], c[i]), `outside memory [${i}]`);
  }
  assert.throws(() => be.gemmEach(2, 2, 2, 2, be.alloc(4), be.alloc(7), be.alloc(8)), /gemmEach B/);
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
