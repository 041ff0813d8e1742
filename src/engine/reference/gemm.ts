// The reference gemm: plain TypeScript typed arrays, float32 or float64.
// It is the one every other backend is checked against, so clarity wins over cleverness; the loop
// orders are still chosen so the innermost loop walks memory contiguously (i-k-j for A·B and
// Aᵀ·B, dot products for A·Bᵀ), unrolled by four so each loaded value is used four times, which
// is what makes plain JS matmul usable at all (≈1.3–1.5 GFLOP/s float32 on the dev machine).

import type { Backend } from '../backend';
import type { FloatArray } from '../types';

// Shorthands that keep the helpers' signatures on one line: F a buffer, N a size, offset or scalar.
type F = FloatArray;
type N = number;

/** C = alpha·op(A)·op(B) + beta·C, row-major; see Backend.gemm. */
export const referenceGemm: Backend['gemm'] = (transA, transB, m, n, k, alpha, a, b, beta, c) => {
  scaleOutput(c, m * n, beta);
  if (alpha === 0 || k === 0) return;
  // Â(i,p) = A[i·rsA + p·csA]: A·B reads A[i·k + p], Aᵀ·B reads A[p·m + i].
  if (!transB) gemmAB(m, n, k, alpha, a, transA ? 1 : k, transA ? m : 1, b, c);
  else if (!transA) gemmNT(m, n, k, alpha, a, b, c);
  else gemmTT(m, n, k, alpha, a, b, c);
};

/** Backend.gemmEach: one product per B_e, C_e. */
export const referenceGemmEach: Backend['gemmEach'] = (count, m, n, k, a, b, c) => {
  for (let e = 0; e < count; e++)
    referenceGemm(false, false, m, n, k, 1, a, b.subarray(e * k * n, (e + 1) * k * n), 0, c.subarray(e * m * n, (e + 1) * m * n));
};

function scaleOutput(c: F, len: N, beta: N): void {
  // beta = 0 overwrites: fill rather than multiply, so stale NaNs in C never leak through.
  if (beta === 0) c.fill(0, 0, len);
  else if (beta !== 1) for (let i = 0; i < len; i++) c[i] *= beta;
}

// A·B and Aᵀ·B (B is k×n): for each row i of C, add multiples of B's rows into C's row, four rows
// of B at a time so each C entry is loaded and stored once per four products (C traffic dominates).
// Zero entries of A are skipped (see addGroup): inputs such as MNIST pixels and ReLU outputs are
// mostly zero. (So 0·NaN in B does not reach C; non-finite detection looks at B itself.)
function gemmAB(m: N, n: N, k: N, alpha: N, a: F, rsA: N, csA: N, b: F, c: F): void {
  const k4 = k - (k % 4);
  for (let i = 0; i < m; i++) {
    const aRow = i * rsA;
    const cRow = i * n;
    for (let p = 0; p < k4; p += 4) {
      const at = aRow + p * csA;
      addGroup(n, alpha, a[at], a[at + csA], a[at + 2 * csA], a[at + 3 * csA], b, p * n, c, cRow);
    }
    for (let p = k4; p < k; p++) {
      const av = a[aRow + p * csA];
      if (av !== 0) addRow(n, alpha * av, b, p * n, c, cRow);
    }
  }
}

/**
 * Adds a0..a3 (times alpha) times four consecutive rows of B into C's row. Sparse groups (zero, one
 * or two non-zeros) go row by row, so mostly-zero inputs cost only their non-zeros.
 */
function addGroup(n: N, alpha: N, a0: N, a1: N, a2: N, a3: N, b: F, bOff: N, c: F, cOff: N): void {
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
function addFourRows(n: N, s0: N, s1: N, s2: N, s3: N, b: F, bOff: N, c: F, cOff: N): void {
  const b1 = bOff + n,
    b2 = b1 + n,
    b3 = b2 + n;
  for (let j = 0; j < n; j++) {
    c[cOff + j] += s0 * b[bOff + j] + s1 * b[b1 + j] + s2 * b[b2 + j] + s3 * b[b3 + j];
  }
}

function addRow(n: N, s: N, b: F, bOff: N, c: F, cOff: N): void {
  for (let j = 0; j < n; j++) c[cOff + j] += s * b[bOff + j];
}

// B is stored n×k (we want Bᵀ): every C entry is a dot product of two contiguous rows; four
// rows of B at a time share each load of A's row.
function gemmNT(m: N, n: N, k: N, alpha: N, a: F, b: F, c: F): void {
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
function gemmTT(m: N, n: N, k: N, alpha: N, a: F, b: F, c: F): void {
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
