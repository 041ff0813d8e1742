// The WASM window kernels' wrappers (src/engine/wasm/windows.ts) beyond the kernels: batches of
// several images, operands outside the WASM memory (copied in and back), the 2×2 pooling kernels
// chosen only where they apply, empty batches, and the length checks. The oracle is the reference
// backend in float64 (src/engine/reference), a separate implementation of the same contracts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend } from '../../../src/engine/reference';
import type { WindowGeometry } from '../../../src/engine/backend';
import { createWasmBackendSync } from '../../../src/engine/wasm/backend';
import { Rng } from '../../../src/engine/random';
import type { FloatArray } from '../../../src/engine/types';

const be = createWasmBackendSync({ initialBytes: 8 << 20 });
const ref = referenceBackend('float64');
const rng = new Rng(20261203);

function geometry(channels: number, height: number, width: number, kernel: number, stride: number, pad: number): WindowGeometry {
  const outH = Math.floor((height + 2 * pad - kernel) / stride) + 1,
    outW = Math.floor((width + 2 * pad - kernel) / stride) + 1;
  return { channels, height, width, kernel, stride, padTop: pad, padLeft: pad, outH, outW };
}

/** Small integers with ties (pooling) and exact sums (col2im): float32 and float64 agree exactly. */
function ints(n: number, inside: boolean): FloatArray {
  const x = inside ? be.alloc(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.int(9) - 4;
  return x;
}

function same(actual: FloatArray, expected: Float64Array, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++)
    if (!Object.is(actual[i], expected[i]) && !(actual[i] === 0 && expected[i] === 0))
      assert.fail(`${what}[${i}]: ${actual[i]}, expected ${expected[i]}`);
}

const sizes = (batch: number, g: WindowGeometry) => ({
  image: batch * g.channels * g.height * g.width,
  cols: batch * g.channels * g.kernel * g.kernel * g.outH * g.outW,
  pooled: batch * g.channels * g.outH * g.outW,
});

const CONV: WindowGeometry[] = [geometry(2, 5, 6, 3, 1, 1), geometry(3, 7, 7, 3, 2, 0), geometry(1, 4, 9, 2, 2, 0)];
// pooling: 2×2 stride 2 with 4 and more outputs a row (the whole-vector kernels), 3 outputs a row,
// and windows that are not 2×2 stride 2 but have ≥ 4 outputs a row (the general kernels only)
const POOL: WindowGeometry[] = [
  geometry(2, 6, 8, 2, 2, 0),
  geometry(2, 6, 10, 2, 2, 0),
  geometry(3, 6, 6, 2, 2, 0),
  geometry(2, 7, 11, 3, 2, 0),
  geometry(2, 6, 9, 2, 1, 0),
  geometry(1, 9, 13, 3, 3, 0),
];

test('im2col and col2im of a batch of 3, operands inside and outside the memory, equal the float64 reference', () => {
  for (const inside of [true, false])
    for (const g of CONV) {
      const batch = 3,
        s = sizes(batch, g);
      const image = ints(s.image, inside),
        cols = inside ? be.alloc(s.cols) : new Float32Array(s.cols);
      cols.fill(NaN);
      const before = be.memoryInfo().copyCalls;
      be.im2col(batch, g, image, cols);
      const want = new Float64Array(s.cols);
      ref.im2col(batch, g, Float64Array.from(image), want);
      same(cols, want, `im2col ${JSON.stringify(g)} inside ${inside}`);
      const dcols = ints(s.cols, inside),
        back = inside ? be.alloc(s.image) : new Float32Array(s.image);
      back.fill(NaN);
      be.col2im(batch, g, dcols, back);
      const wantBack = new Float64Array(s.image);
      ref.col2im(batch, g, Float64Array.from(dcols), wantBack);
      same(back, wantBack, `col2im ${JSON.stringify(g)} inside ${inside}`);
      assert.equal(be.memoryInfo().copyCalls - before, inside ? 0 : 4, 'two copies in, two out');
    }
});

test('maxPool and maxPoolBackward of a batch of 2, inside and outside the memory, equal the float64 reference', () => {
  for (const inside of [true, false])
    for (const g of POOL) {
      const batch = 2,
        s = sizes(batch, g);
      const x = ints(s.image, inside),
        y = inside ? be.alloc(s.pooled) : new Float32Array(s.pooled);
      y.fill(NaN);
      be.maxPool(batch, g, x, y);
      const wantY = new Float64Array(s.pooled);
      ref.maxPool(batch, g, Float64Array.from(x), wantY);
      same(y, wantY, `maxPool ${JSON.stringify(g)} inside ${inside}`);
      const dy = ints(s.pooled, inside),
        dx = inside ? be.alloc(s.image) : new Float32Array(s.image);
      dx.fill(NaN);
      be.maxPoolBackward(batch, g, x, y, dy, dx);
      const wantDx = new Float64Array(s.image);
      ref.maxPoolBackward(batch, g, Float64Array.from(x), wantY, Float64Array.from(dy), wantDx);
      same(dx, wantDx, `maxPoolBackward ${JSON.stringify(g)} inside ${inside}`);
    }
});

test('an empty batch writes nothing and copies nothing', () => {
  const g = geometry(2, 6, 8, 2, 2, 0);
  const image = new Float32Array(4).fill(5),
    out = new Float32Array(4).fill(7);
  const before = be.memoryInfo().copyCalls;
  be.im2col(0, g, image, out);
  be.col2im(0, g, image, out);
  be.maxPool(0, g, image, out);
  be.maxPoolBackward(0, g, image, image, image, out);
  assert.deepEqual([...out], [7, 7, 7, 7]);
  assert.equal(be.memoryInfo().copyCalls, before);
});

test('the window kernels name the short array', () => {
  const c = geometry(1, 4, 4, 2, 1, 0); // 16 pixels, 36 columns
  const g = geometry(1, 4, 4, 2, 2, 0); // 16 pixels, 4 pooled
  const a = (n: number) => be.alloc(n);
  const cases: [() => void, string][] = [
    [() => be.im2col(1, c, a(15), a(36)), 'im2col image: needs 16 elements, the array has 15'],
    [() => be.im2col(1, c, a(16), a(35)), 'im2col cols: needs 36 elements, the array has 35'],
    [() => be.col2im(1, c, a(35), a(16)), 'col2im cols: needs 36 elements, the array has 35'],
    [() => be.col2im(1, c, a(36), a(15)), 'col2im image: needs 16 elements, the array has 15'],
    [() => be.maxPool(1, g, a(15), a(4)), 'maxPool input: needs 16 elements, the array has 15'],
    [() => be.maxPool(1, g, a(16), a(3)), 'maxPool output: needs 4 elements, the array has 3'],
    [() => be.maxPoolBackward(1, g, a(15), a(4), a(4), a(16)), 'maxPoolBackward input: needs 16 elements, the array has 15'],
    [() => be.maxPoolBackward(1, g, a(16), a(3), a(4), a(16)), 'maxPoolBackward output: needs 4 elements, the array has 3'],
    [() => be.maxPoolBackward(1, g, a(16), a(4), a(3), a(16)), 'maxPoolBackward gradOut: needs 4 elements, the array has 3'],
    [() => be.maxPoolBackward(1, g, a(16), a(4), a(4), a(15)), 'maxPoolBackward gradIn: needs 16 elements, the array has 15'],
  ];
  for (const [call, message] of cases) assert.throws(call, { message });
});
