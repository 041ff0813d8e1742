// Our WASM gemm on the MLP step's shapes and on the peak shape: GFLOP/s per shape and in total.

import type { Backend } from '../src/engine';
import { type GemmShape, gemmFlops, mlpStepShapes, PEAK_SHAPE } from './shapes';
import { round, timeFor } from './timing';

export interface GemmRate {
  name: string;
  m: number;
  n: number;
  k: number;
  gflops: number;
}

export function gemmRates(
  backend: Backend,
  batch: number,
  budget: number,
): { shapes: GemmRate[]; stepGemmGflops: number; peakShapeGflops: number } {
  const rate = (s: GemmShape): GemmRate & { ms: number } => {
    const a = backend.alloc(s.m * s.k),
      b = backend.alloc(s.k * s.n),
      c = backend.alloc(s.m * s.n);
    for (let i = 0; i < a.length; i++) a[i] = Math.sin(i);
    for (let i = 0; i < b.length; i++) b[i] = Math.cos(i);
    const t = timeFor(() => backend.gemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, b, 0, c), budget);
    return { name: s.name, m: s.m, n: s.n, k: s.k, ms: t.stepMs, gflops: round(gemmFlops(s) / (t.stepMs * 1e6), 3) };
  };
  const shapes = mlpStepShapes(batch).map(rate);
  const flops = mlpStepShapes(batch).reduce((sum, s) => sum + gemmFlops(s), 0);
  const ms = shapes.reduce((sum, s) => sum + s.ms, 0);
  return {
    shapes: shapes.map(({ ms: _ms, ...r }) => r),
    stepGemmGflops: round(flops / (ms * 1e6), 3),
    peakShapeGflops: rate(PEAK_SHAPE).gflops,
  };
}

/** FLOPs of the gemms of one MLP training step (what `stepGflops` divides by the step time). */
export function mlpStepFlops(batch: number): number {
  return mlpStepShapes(batch).reduce((sum, s) => sum + gemmFlops(s), 0);
}
