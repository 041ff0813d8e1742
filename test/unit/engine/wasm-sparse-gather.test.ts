// The vector gathers of the zero-skipping gemm (kernels/sparse.wat): A·B reads 4 p at a time from
// one vector per row of A and transposes them in registers; Aᵀ·B reads each p's 4 values with one
// vector load; both skip 4 p at once when all 16 values are zero. On image-like inputs (blank borders,
// blank columns across the batch, so whole quads are zero) the result must be bit-identical to the
// dense kernels and within the float32 bound of the float64 reference, for every k mod 4 (the tail p
// that the vector loops leave), with -0, NaN and ∞ placed inside otherwise-zero quads. The relaxed-SIMD
// (fused multiply-add) kernels run this file again in a child process.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/engine/random';
import type { WasmBackend } from '../../../src/engine/wasm/backend';
import type { FloatArray } from '../../../src/engine/types';
import { assertClose, assertFileWithFma, fill, loadWasm, refGemm, type WasmModule } from './wasmFixtures';

const FMA = process.env.GRADLENS_TEST_FMA === '1';
let wasm: WasmModule;
let skip: WasmBackend;
let dense: WasmBackend;
const rng = new Rng(4242);

before(async () => {
  wasm = await loadWasm();
  skip = wasm.createWasmBackendSync({ initialBytes: 32 << 20, fma: FMA });
  dense = wasm.createWasmBackendSync({ initialBytes: 32 << 20, fma: FMA, zeros: 'dense' });
});

test('the vector gathers pass this whole file with the relaxed-SIMD (fused multiply-add) kernels too', { skip: FMA }, () => {
  assertFileWithFma(__filename, wasm.wasmFmaSupported());
});

/**
 * `rows` images of `side`×`side` (k = side², plus `extra` trailing features): a blank border of
 * `border` pixels and, inside it, a pixel nonzero with probability `density` (like an MNIST batch).
 */
function images(rows: number, side: number, border: number, density: number, extra: number): Float32Array {
  const k = side * side + extra;
  const x = new Float32Array(rows * k);
  for (let i = 0; i < rows; i++)
    for (let r = border; r < side - border; r++)
      for (let c = border; c < side - border; c++) if (rng.next() < density) x[i * k + r * side + c] = rng.next() + 0.01;
  return x;
}

const bitsEqual = (x: FloatArray, y: FloatArray) => x.length === y.length && x.every((v, i) => Object.is(v, y[i]));

/** gemm(transA, false, m, n, k) on both backends; the skipping one must take the sparse path (reference: for a finite A). */
function compare(transA: boolean, m: number, n: number, k: number, alpha: number, a: Float32Array, b: FloatArray, what: string) {
  const results = [skip, dense].map((be) => {
    const pa = be.alloc(m * k),
      pb = be.alloc(k * n),
      pc = fill(be.alloc(m * n));
    pa.set(a);
    pb.set(b);
    const before = be.sparseProducts;
    be.gemm(transA, false, m, n, k, alpha, pa, pb, 0, pc);
    return { c: pc, sparse: be.sparseProducts - before };
  });
  assert.equal(results[0].sparse, 1, `${what}: the zero-skipping path did not run`);
  assert.equal(results[1].sparse, 0);
  if (a.every(Number.isFinite)) {
    const ref = refGemm(transA, false, m, n, k, alpha, a, b, 0, new Float32Array(m * n));
    assertClose(results[0].c, ref.value, ref.magnitude, k, what);
  }
  assert.ok(bitsEqual(results[0].c, results[1].c), `${what}: not bit-identical to the dense kernels`);
  return results[0].c;
}

test('image-like batches: A·B (a forward) and Aᵀ·B (a weight gradient) equal the dense kernels for every k mod 4', () => {
  for (const extra of [0, 1, 2, 3])
    for (const [rows, side] of [
      [32, 28],
      [8, 12],
      [16, 9],
    ]) {
      const k = side * side + extra;
      const x = images(rows, side, Math.floor(side / 7), 0.25, extra);
      // forward: X (rows×k) · W (k×n); weight gradient: Xᵀ (k×rows) · Δ (rows×n)
      compare(false, rows, 64, k, 1, x, fill(new Float32Array(k * 64)), `X·W ${rows}×64×${k}`);
      compare(true, k, 32, rows, 1 / rows, x, fill(new Float32Array(rows * 32)), `Xᵀ·Δ ${k}×32×${rows}`);
    }
});

test('-0, NaN and ±∞ inside otherwise-zero quads: -0 is skipped as a zero, NaN and ∞ are kept', () => {
  const [rows, side, n] = [8, 16, 16];
  const k = side * side;
  const x = images(rows, side, 4, 0.2, 0);
  // pixels in the blank border, where every quad of 4 p × 4 rows is zero but for these
  x[0 * k + 1] = -0;
  x[1 * k + 2] = NaN;
  x[2 * k + 17] = Infinity;
  x[5 * k + 34] = -Infinity;
  const w = fill(new Float32Array(k * n));
  const c = compare(false, rows, n, k, 1, x, w, 'X·W with -0, NaN, ±∞');
  for (const row of [1, 2, 5])
    assert.ok(
      c.subarray(row * n, row * n + n).some((v) => !Number.isFinite(v)),
      `row ${row} reached`,
    );
  assert.ok(c.subarray(0, n).every(Number.isFinite), '-0 adds nothing');
  const g = compare(true, k, n, rows, 1, x, fill(new Float32Array(rows * n)), 'Xᵀ·Δ with -0, NaN, ±∞');
  assert.ok(Number.isNaN(g[2 * n]), 'the NaN pixel reaches its row of the weight gradient');
  assert.ok(!Number.isFinite(g[17 * n]) && !Number.isFinite(g[34 * n]), 'the infinite pixels reach theirs');
  assert.ok(
    g.subarray(1 * n, 2 * n).every((v) => v === 0),
    'a pixel that is only -0 gives a zero row',
  );
});
