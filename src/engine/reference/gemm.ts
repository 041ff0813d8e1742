// The reference gemm: plain TypeScript typed arrays, float32 or float64.
// It is the one every other backend is checked against, so clarity wins over cleverness; the loop
// orders are still chosen so the innermost loop walks memory contiguously (i-k-j for A·B and
// Aᵀ·B, dot products for A·Bᵀ), unrolled by four so each loaded value is used four times, which
// is what makes plain JS matmul usable at all (≈1.3–1.5 GFLOP/s float32 on the dev machine).

import type { FloatArray } from '../types';

/** C = alpha·op(A)·op(B) + beta·C, row-major; see Backend.gemm. */
export function referenceGemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: FloatArray,
  b: FloatArray,
  beta: number,
  c: FloatArray,
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

// A is m×k, B is k×n. For each row of A, add multiples of B's rows into C's row, four rows of B
// at a time so each C entry is loaded and stored once per four products (C traffic dominates).
// Zero entries of A are skipped (see addGroup): inputs such as MNIST pixels and ReLU outputs
// are mostly zero. (So 0·NaN in B does not reach C; non-finite detection looks at B itself.)
function gemmNN(m: number, n: number, k: number, alpha: number, a: FloatArray, b: FloatArray, c: FloatArray): void {
  const k4 = k - (k % 4);
  for (let i = 0; i < m; i++) {
    const aRow = i * k;
    const cRow = i * n;
    for (let p = 0; p < k4; p += 4) {
      addGroup(n, alpha, a[aRow + p], a[aRow + p + 1], a[aRow + p + 2], a[aRow + p + 3], b, p * n, c, cRow);
    }
    for (let p = k4; p < k; p++) {
      const av = a[aRow + p];
      if (av !== 0) addRow(n, alpha * av, b, p * n, c, cRow);
    }
  }
}

// A is stored k×m (we want Aᵀ): C[i,:] += Σ_p A[p,i]·B[p,:], again four p at a time.
function gemmTN(m: number, n: number, k: number, alpha: number, a: FloatArray, b: FloatArray, c: FloatArray): void {
  const k4 = k - (k % 4);
  for (let i = 0; i < m; i++) {
    const cRow = i * n;
    for (let p = 0; p < k4; p += 4) {
      addGroup(n, alpha, a[p * m + i], a[(p + 1) * m + i], a[(p + 2) * m + i], a[(p + 3) * m + i], b, p * n, c, cRow);
    }
    for (let p = k4; p < k; p++) {
      const av = a[p * m + i];
      if (av !== 0) addRow(n, alpha * av, b, p * n, c, cRow);
    }
  }
}

/**
 * Adds a0..a3 (times alpha) times four consecutive rows of B into C's row. Sparse groups (zero, one
 * or two non-zeros) go row by row, so mostly-zero inputs cost only their non-zeros.
 */
function addGroup(
  n: number,
  alpha: number,
  a0: number,
  a1: number,
  a2: number,
  a3: number,
  b: FloatArray,
  bOff: number,
  c: FloatArray,
  cOff: number,
): void {
  const nonZero = (a0 !== 0 ? 1 : 0) + (a1 !== 0 ? 1 : 0) + (a2 !== 0 ? 1 : 0) + (a3 !== 0 ? 1 : 0);
  if (nonZero > 2) {
    addFourRows(n, alpha * a0, alpha * a1, alpha * a2, alpha * a3, b, bOff, c, cOff);
    return;
  }
  if (a0 !== 0) addRow(n, alpha * a0, b, bOff, c, cOff);
  if (a1 !== 0) addRow(n, alpha * a1, b, bOff + n, c, cOff);
  if (a2 !== 0) addRow(n, alpha * a2, b, bOff + 2 * n, c, cOff);
  if (a3 !== 0) addRow(n, alpha * a3, b, bOff + 3 * n, c, cOff);
}

/** c[cOff + j] += s0·b[bOff + j] + s1·b[bOff + n + j] + s2·b[bOff + 2n + j] + s3·b[bOff + 3n + j]. */
function addFourRows(
  n: number,
  s0: number,
  s1: number,
  s2: number,
  s3: number,
  b: FloatArray,
  bOff: number,
  c: FloatArray,
  cOff: number,
): void {
  const b1 = bOff + n,
    b2 = b1 + n,
    b3 = b2 + n;
  for (let j = 0; j < n; j++) {
    c[cOff + j] += s0 * b[bOff + j] + s1 * b[b1 + j] + s2 * b[b2 + j] + s3 * b[b3 + j];
  }
}

function addRow(n: number, s: number, b: FloatArray, bOff: number, c: FloatArray, cOff: number): void {
  for (let j = 0; j < n; j++) c[cOff + j] += s * b[bOff + j];
}

// B is stored n×k (we want Bᵀ): every C entry is a dot product of two contiguous rows; four
// rows of B at a time share each load of A's row.
function gemmNT(m: number, n: number, k: number, alpha: number, a: FloatArray, b: FloatArray, c: FloatArray): void {
  const n4 = n - (n % 4);
  for (let i = 0; i < m; i++) {
    const aRow = i * k;
    const cRow = i * n;
    for (let j = 0; j < n4; j += 4) {
      const b0 = j * k,
        b1 = b0 + k,
        b2 = b1 + k,
        b3 = b2 + k;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      for (let p = 0; p < k; p++) {
        const av = a[aRow + p];
        s0 += av * b[b0 + p];
        s1 += av * b[b1 + p];
        s2 += av * b[b2 + p];
        s3 += av * b[b3 + p];
      }
      c[cRow + j] += alpha * s0;
      c[cRow + j + 1] += alpha * s1;
      c[cRow + j + 2] += alpha * s2;
      c[cRow + j + 3] += alpha * s3;
    }
    for (let j = n4; j < n; j++) {
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
