// The gemm shapes of one MLP training step (784-128-64-26, batch 32), for a GFLOP/s comparison of
// our kernels with OpenBLAS sgemm (through torch.mm) on the very same products, plus one large
// square product as the machine's practical peak.

export interface GemmShape {
  name: string;
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
}

const LAYERS: [number, number][] = [
  [784, 128],
  [128, 64],
  [64, 26],
];

export function mlpStepShapes(batch: number): GemmShape[] {
  const shapes: GemmShape[] = [];
  LAYERS.forEach(([inp, out], l) => {
    shapes.push({ name: `forward ${l} A·W`, transA: false, transB: false, m: batch, n: out, k: inp });
    shapes.push({ name: `weight grad ${l} Aᵀ·Δ`, transA: true, transB: false, m: inp, n: out, k: batch });
    if (l > 0) shapes.push({ name: `input grad ${l} Δ·Wᵀ`, transA: false, transB: true, m: batch, n: inp, k: out });
  });
  return shapes;
}

export const PEAK_SHAPE: GemmShape = { name: 'square 512', transA: false, transB: false, m: 512, n: 512, k: 512 };

/** Floating-point operations of one gemm (a multiply and an add per term). */
export function gemmFlops(s: GemmShape): number {
  return 2 * s.m * s.n * s.k;
}
