// The functions the kernels module (kernels/*.wat) exports. Pointers are byte offsets into the shared memory; sizes are
// element counts; activation kinds: 0 linear, 1 relu, 2 leaky-relu, 3 gelu.

export interface KernelExports {
  /** C = alpha·Â·B + beta·C, B k×n contiguous, Â(i,p) = A[i·rsA + p·csA]. */
  gemm_bn(
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: number,
    rsA: number,
    csA: number,
    b: number,
    beta: number,
    c: number,
  ): void;
  /** C = alpha·A·Bᵀ + beta·C, A m×k, B n×k. */
  gemm_nt(m: number, n: number, k: number, alpha: number, a: number, b: number, beta: number, c: number): void;
  /** Fully strided scalar gemm (used for Aᵀ·Bᵀ). */
  gemm_scalar(
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: number,
    rsA: number,
    csA: number,
    b: number,
    rsB: number,
    csB: number,
    beta: number,
    c: number,
    ldc: number,
  ): void;
  /** dst (cols×rows) = srcᵀ, src rows×cols. */
  transpose(rows: number, cols: number, src: number, dst: number): void;
  bias_act(m: number, n: number, x: number, bias: number, out: number, kind: number, slope: number): void;
  act_backward(size: number, z: number, gradOut: number, gradIn: number, kind: number, slope: number): void;
  col_sums(m: number, n: number, alpha: number, x: number, beta: number, out: number): void;
  row_sumsq(m: number, n: number, x: number, out: number): void;
  dense_norms_sq(m: number, p: number, q: number, a: number, delta: number, out: number, withBias: number): void;
  outer_batch(m: number, p: number, q: number, alpha: number, a: number, delta: number, out: number): void;
  all_finite(n: number, x: number): number;
  sgd_step(
    n: number,
    lr: number,
    wd: number,
    mu: number,
    nesterov: number,
    value: number,
    grad: number,
    vel: number,
    update: number,
  ): void;
  row_sums(m: number, n: number, alpha: number, x: number, out: number): void;
  im2col(
    batch: number,
    c: number,
    h: number,
    w: number,
    k: number,
    stride: number,
    padTop: number,
    padLeft: number,
    outH: number,
    outW: number,
    image: number,
    cols: number,
  ): void;
  col2im(
    batch: number,
    c: number,
    h: number,
    w: number,
    k: number,
    stride: number,
    padTop: number,
    padLeft: number,
    outH: number,
    outW: number,
    cols: number,
    image: number,
  ): void;
  maxpool_forward(
    planes: number,
    h: number,
    w: number,
    k: number,
    stride: number,
    outH: number,
    outW: number,
    input: number,
    output: number,
  ): void;
  maxpool_backward(
    planes: number,
    h: number,
    w: number,
    k: number,
    stride: number,
    outH: number,
    outW: number,
    input: number,
    output: number,
    gradOut: number,
    gradIn: number,
  ): void;
}
