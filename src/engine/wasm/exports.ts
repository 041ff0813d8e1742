// The functions the kernels module (kernels/*.wat) exports. Pointers are byte offsets into the shared memory; sizes are
// element counts; activation kinds: 0 linear, 1 relu, 2 leaky-relu, 3 gelu.

/** Every argument of a kernel is a number: a size, a pointer, a scalar or a flag. */
type N = number;

/** im2col and col2im: the same window arguments, then the source and the target. */
type ColumnsKernel = (batch: N, c: N, h: N, w: N, k: N, stride: N, top: N, left: N, outH: N, outW: N, src: N, dst: N) => void;

export interface KernelExports {
  /** C = alpha·Â·B + beta·C, B k×n contiguous, Â(i,p) = A[i·rsA + p·csA]. */
  gemm_bn(m: N, n: N, k: N, alpha: N, a: N, rsA: N, csA: N, b: N, beta: N, c: N): void;
  /** C = alpha·Â·B (overwritten) skipping Â's zeros; as gemm_bn's operands, list scratch for 5·k + 5 words (kernels/sparse.wat). */
  gemm_sparse_a(m: N, n: N, k: N, alpha: N, a: N, rsA: N, csA: N, b: N, c: N, list: N): void;
  /** How many of the n floats at x are nonzero (NaN counts as nonzero). */
  nonzero_count(n: N, x: N): N;
  /** The upper triangle (j ≥ i) of K = X·Xᵀ, X m×n and xt its transpose, into k (m×m) (kernels/gramstats.wat). */
  gram_upper(m: N, n: N, x: N, xt: N, k: N): void;
  /**
   * The same upper triangle skipping X's zeros, with no transposed copy, into out (m4×m4, m4 = m rounded
   * up to 4); panels: m4·n floats and lists: (m4/4)·(n + 1) words of scratch (kernels/gramstats.wat).
   */
  gram_upper_sparse(m: N, n: N, x: N, panels: N, lists: N, out: N): void;
  /** A dense layer's gᵢ·G and ‖gᵢ‖² (float64) from the upper triangles of KA (row stride lda) and KΔ (m×m). */
  gram_combine(m: N, bias: N, ka: N, lda: N, kd: N, dots: N, sq: N): void;
  /** count products C_e = A·B_e, B_e (k×n) and C_e (m×n) consecutive. */
  gemm_bn_each(count: N, m: N, n: N, k: N, a: N, b: N, c: N): void;
  /** C = alpha·A·Bᵀ + beta·C, A m×k, B n×k. */
  gemm_nt(m: N, n: N, k: N, alpha: N, a: N, b: N, beta: N, c: N): void;
  /** Fully strided scalar gemm (used for Aᵀ·Bᵀ). */
  gemm_scalar(m: N, n: N, k: N, alpha: N, a: N, rsA: N, csA: N, b: N, rsB: N, csB: N, beta: N, c: N, ldc: N): void;
  /** dst (cols×rows) = srcᵀ, src rows×cols. */
  transpose(rows: N, cols: N, src: N, dst: N): void;
  bias_act(m: N, n: N, x: N, bias: N, out: N, kind: N, slope: N): void;
  /** z[r][j] += bias[r mod channels] over rows planes of n, then out = act(z) (out may be z). */
  channel_bias_act(rows: N, n: N, channels: N, z: N, bias: N, out: N, kind: N, slope: N): void;
  act_backward(size: N, z: N, gradOut: N, gradIn: N, kind: N, slope: N): void;
  col_sums(m: N, n: N, alpha: N, x: N, beta: N, out: N): void;
  row_sumsq(m: N, n: N, x: N, out: N): void;
  dense_norms_sq(m: N, p: N, q: N, a: N, delta: N, out: N, withBias: N): void;
  outer_batch(m: N, p: N, q: N, alpha: N, a: N, delta: N, out: N): void;
  all_finite(n: N, x: N): N;
  /** 1 when every updated value is finite. */
  sgd_step(n: N, lr: N, wd: N, mu: N, nesterov: N, value: N, grad: N, vel: N, update: N): N;
  /** sgd_step, and f64 [Σ grad², Σ θ_before², Σ update²] written at norms. */
  sgd_step_norms(n: N, lr: N, wd: N, mu: N, nesterov: N, value: N, grad: N, vel: N, update: N, norms: N): void;
  row_sums(m: N, n: N, alpha: N, x: N, out: N): void;
  /** image → cols (src the image, dst the columns). */
  im2col: ColumnsKernel;
  /** cols → image (src the columns, dst the image, overwritten). */
  col2im: ColumnsKernel;
  maxpool_forward(planes: N, h: N, w: N, k: N, stride: N, outH: N, outW: N, input: N, output: N): void;
  maxpool_backward(planes: N, h: N, w: N, k: N, stride: N, outH: N, outW: N, input: N, output: N, gradOut: N, gradIn: N): void;
  /** 2×2 windows, stride 2, outW ≥ 4 (kernels/pool2x2.wat): the same results as maxpool_forward. */
  maxpool2_forward(planes: N, h: N, w: N, outH: N, outW: N, input: N, output: N): void;
  /** 2×2 windows, stride 2, outW ≥ 4: the same results as maxpool_backward. */
  maxpool2_backward(planes: N, h: N, w: N, outH: N, outW: N, input: N, output: N, gradOut: N, gradIn: N): void;
}
