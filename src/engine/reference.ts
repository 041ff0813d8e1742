// The reference backend: plain TypeScript typed arrays, float32 or float64.
// It is the one every other backend is checked against, so clarity wins over cleverness; the loop
// orders are still chosen so the innermost loop walks memory contiguously (i-k-j for A·B,
// k-i-j for Aᵀ·B, dot products for A·Bᵀ), which is what makes plain JS matmul usable at all.

import type { Backend } from './backend';
import type { FloatArray } from './types';
import type { DType } from '../model/spec';

export function referenceBackend(dtype: DType): Backend {
  return {
    name: `reference-${dtype}`,
    dtype,
    alloc: (length: number): FloatArray => (dtype === 'float32' ? new Float32Array(length) : new Float64Array(length)),
    gemm: referenceGemm,
  };
}

/** C = alpha·op(A)·op(B) + beta·C, row-major; see Backend.gemm. */
export function referenceGemm(
  transA: boolean, transB: boolean,
  m: number, n: number, k: number,
  alpha: number, a: FloatArray, b: FloatArray,
  beta: number, c: FloatArray,
): void {
  scaleOutput(c, m * n, beta);
  if (alpha === 0 || k === 0) return;
  if (!transA && !transB) gemmNN(m, n, k, alpha, a, b, c);
  else if (transA && !transB) gemmTN(m, n, k, alpha, a, b, c);
  else if (!transA && transB) gemmNT(m, n, k, alpha, a, b, c);
  else gemmTT(m, n, k, alpha, a, b, c);
}

function scaleOutput(c: FloatArray, len: number, beta: number): void {
  // beta = 0 overwrites: fill rather than multiply, so stale NaNs in C never leak through.
  if (beta === 0) c.fill(0, 0, len);
  else if (beta !== 1) for (let i = 0; i < len; i++) c[i] *= beta;
}

// A is m×k, B is k×n. For each row of A, add multiples of B's rows into C's row.
// Zero entries of A are skipped: inputs such as MNIST pixels and ReLU outputs are mostly zero.
function gemmNN(m: number, n: number, k: number, alpha: number, a: FloatArray, b: FloatArray, c: FloatArray): void {
  for (let i = 0; i < m; i++) {
    const aRow = i * k;
    const cRow = i * n;
    for (let p = 0; p < k; p++) {
      const av = a[aRow + p];
      if (av === 0) continue;
      const s = alpha * av;
      const bRow = p * n;
      for (let j = 0; j < n; j++) c[cRow + j] += s * b[bRow + j];
    }
  }
}

// A is stored k×m (we want Aᵀ). Walk A row by row: row p of A scatters into every row of C.
function gemmTN(m: number, n: number, k: number, alpha: number, a: FloatArray, b: FloatArray, c: FloatArray): void {
  for (let p = 0; p < k; p++) {
    const aRow = p * m;
    const bRow = p * n;
    for (let i = 0; i < m; i++) {
      const av = a[aRow + i];
      if (av === 0) continue;
      const s = alpha * av;
      const cRow = i * n;
      for (let j = 0; j < n; j++) c[cRow + j] += s * b[bRow + j];
    }
  }
}

// B is stored n×k (we want Bᵀ): every C entry is a dot product of two contiguous rows.
function gemmNT(m: number, n: number, k: number, alpha: number, a: FloatArray, b: FloatArray, c: FloatArray): void {
  for (let i = 0; i < m; i++) {
    const aRow = i * k;
    const cRow = i * n;
    for (let j = 0; j < n; j++) {
      const bRow = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[aRow + p] * b[bRow + p];
      c[cRow + j] += alpha * s;
    }
  }
}

// Both transposed: rare in backprop, kept simple (A is read with stride m).
function gemmTT(m: number, n: number, k: number, alpha: number, a: FloatArray, b: FloatArray, c: FloatArray): void {
  for (let i = 0; i < m; i++) {
    const cRow = i * n;
    for (let j = 0; j < n; j++) {
      const bRow = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[p * m + i] * b[bRow + p];
      c[cRow + j] += alpha * s;
    }
  }
}
