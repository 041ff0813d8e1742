// The zero-skipping Gram kernel (gram_upper_sparse, kernels/gramstats.wat): the upper triangle of
// X·Xᵀ from per-block panels and lists of nonzero pixels, with no transposed copy. On image-like rows
// (blank borders and blank columns across the batch, so whole quads of 4 pixels are skipped) and on
// rows with scattered zeros, for every m mod 4 (rows of the last block that do not exist) and every
// n mod 4 (the pixels after the last quad): bit-identical to the dense gram_upper in the plain
// kernels (the same products in the same order of p), within the float32 bound of float64 in the
// fused multiply-add kernels too, and the padding rows and columns up to m4 are zeros.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/engine/random';
import type { KernelExports } from '../../../src/engine/wasm/exports';
import { loadWasm } from './wasmFixtures';

type Variant = 'plainShared' | 'fmaShared';
const kernels = new Map<Variant, { k: KernelExports; f32: () => Float32Array }>();
const rng = new Rng(20261202);

before(async () => {
  const wasm = await loadWasm();
  const { KERNEL_MODULES_BASE64 } = await import('../../../src/engine/wasm/kernels.generated');
  const { decodeBase64 } = await import('../../../src/engine/wasm/base64');
  const { wasmApi } = await import('../../../src/engine/wasm/wasmApi');
  const api = wasmApi();
  const variants: Variant[] = wasm.wasmFmaSupported() ? ['plainShared', 'fmaShared'] : ['plainShared'];
  for (const v of variants) {
    const memory = new api.Memory({ initial: 128, maximum: 128, shared: true });
    const module = new api.Module(decodeBase64(KERNEL_MODULES_BASE64[v]));
    const k = new api.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
    kernels.set(v, { k, f32: () => new Float32Array(memory.buffer) });
  }
});

/** m rows of n pixels: a blank border (whole quads zero), blank columns, and nonzeros at `density`. */
function rows(m: number, n: number, density: number, border: number): Float32Array {
  const x = new Float32Array(m * n);
  const blankColumn = Array.from({ length: n }, (_, p) => p < border || p >= n - border || rng.next() < 0.1);
  for (let i = 0; i < m; i++)
    for (let p = 0; p < n; p++) if (!blankColumn[p] && rng.next() < density) x[i * n + p] = rng.next() * 2 - 0.5;
  return x;
}

/** Byte offsets of the operands in a bare instance's memory (16-byte aligned). */
function layout(m: number, n: number) {
  const m4 = (m + 3) & ~3;
  const at = [0];
  const sizes = [m * n, n * m, m * m, m4 * n, (m4 / 4) * (n + 1), m4 * m4];
  for (const s of sizes) at.push(at[at.length - 1] + ((s * 4 + 15) & ~15));
  const [x, xt, dense, panels, lists, out] = at.map((a) => a + 64);
  return { m4, x, xt, dense, panels, lists, out };
}

const CASES: [m: number, n: number, density: number, border: number][] = [
  [32, 784, 0.3, 84], // an MNIST-like batch: 784 pixels, blank border rows
  [32, 100, 0.2, 8],
  [29, 101, 0.25, 6], // 1 row missing in the last block, 1 pixel after the last quad
  [30, 102, 0.5, 0], // 2 rows missing, 2 pixels after the last quad
  [31, 103, 0.15, 9], // 3 rows missing, 3 pixels after the last quad
  [4, 9, 0.4, 0],
  [1, 7, 0.6, 0],
  [13, 3, 0.9, 0], // fewer pixels than a quad
  [37, 64, 0.05, 0],
  [8, 16, 0, 0], // all zero: empty lists
];

test('gram_upper_sparse: the upper triangle of X·Xᵀ, bit for bit as gram_upper (plain kernels), zeros in the padding', () => {
  const { k, f32 } = kernels.get('plainShared')!;
  for (const [m, n, density, border] of CASES) {
    const L = layout(m, n);
    const x = rows(m, n, density, border);
    const f = f32();
    f.set(x, L.x / 4);
    f.fill(NaN, L.out / 4, L.out / 4 + L.m4 * L.m4); // every entry the kernel should write is checked
    k.transpose(m, n, L.x, L.xt);
    k.gram_upper(m, n, L.x, L.xt, L.dense);
    k.gram_upper_sparse(m, n, L.x, L.panels, L.lists, L.out);
    for (let i = 0; i < L.m4; i++)
      for (let j = i; j < L.m4; j++) {
        const got = f[L.out / 4 + i * L.m4 + j];
        if (i < m && j < m) {
          const want = f[L.dense / 4 + i * m + j];
          assert.ok(Object.is(got, want), `m ${m} n ${n}: K[${i},${j}] = ${got}, gram_upper ${want}`);
        } else assert.ok(Object.is(got, 0), `m ${m} n ${n}: padding K[${i},${j}] = ${got}, not 0`);
      }
  }
});

test('gram_upper_sparse: within the float32 bound of the float64 X·Xᵀ on every kernel variant (fused multiply-add too)', () => {
  for (const [variant, { k, f32 }] of kernels) {
    for (const [m, n, density, border] of CASES) {
      const L = layout(m, n);
      const x = rows(m, n, density, border);
      f32().set(x, L.x / 4);
      k.gram_upper_sparse(m, n, L.x, L.panels, L.lists, L.out);
      const f = f32();
      for (let i = 0; i < m; i++)
        for (let j = i; j < m; j++) {
          let s = 0,
            mag = 0;
          for (let p = 0; p < n; p++) {
            s += x[i * n + p] * x[j * n + p];
            mag += Math.abs(x[i * n + p] * x[j * n + p]);
          }
          const got = f[L.out / 4 + i * L.m4 + j];
          const bound = 4 * 6e-8 * (n + 2) * mag + 1e-30;
          assert.ok(Math.abs(got - s) <= bound, `${variant} m ${m} n ${n}: K[${i},${j}] = ${got}, float64 ${s}`);
        }
    }
  }
});

test('gram_upper_sparse: a NaN or ∞ shows on its own row’s diagonal (what the caller checks before trusting the skipped zeros)', () => {
  const { k, f32 } = kernels.get('plainShared')!;
  const m = 21,
    n = 50;
  for (const bad of [NaN, Infinity, -Infinity]) {
    const L = layout(m, n);
    const x = rows(m, n, 0.2, 3);
    x[17 * n + 30] = bad;
    f32().set(x, L.x / 4);
    k.gram_upper_sparse(m, n, L.x, L.panels, L.lists, L.out);
    const f = f32();
    for (let i = 0; i < m; i++) {
      const diagonal = f[L.out / 4 + i * (L.m4 + 1)];
      assert.equal(Number.isFinite(diagonal), i !== 17, `${bad}: K[${i},${i}] = ${diagonal}`);
    }
  }
});
