// Plain-JS gemm for the rare case where operands outside WASM memory do not fit in its scratch
// space. Same contract as Backend.gemm; correctness over speed.

import type { FloatArray } from '../types';

export function jsGemm(
  transA: boolean, transB: boolean,
  m: number, n: number, k: number,
  alpha: number, a: FloatArray, b: FloatArray,
  beta: number, c: FloatArray,
): void {
  const rsA = transA ? 1 : k, csA = transA ? m : 1;
  const rsB = transB ? 1 : n, csB = transB ? k : 1;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * rsA + p * csA] * b[p * rsB + j * csB];
      c[i * n + j] = beta === 0 ? alpha * s : alpha * s + beta * c[i * n + j];
    }
  }
}
