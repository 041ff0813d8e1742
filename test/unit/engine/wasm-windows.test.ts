// The WASM window kernels (im2col/col2im, max pooling) against float64 JS references: a direct
// convolution, the adjoint identity, and pooling's first-maximum and NaN rules.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import type { WindowGeometry } from '../../../src/engine/backend';
import { window2d } from '../../../src/model/shapes';
import { Rng } from '../../../src/engine/random';
import type { WasmBackend } from '../../../src/engine/wasm/backend';
import { assertClose, fill, loadWasm } from './wasmFixtures';

let be: WasmBackend;
const rng = new Rng(20261129);

before(async () => {
  be = (await loadWasm()).createWasmBackendSync({ initialBytes: 64 << 20 });
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
