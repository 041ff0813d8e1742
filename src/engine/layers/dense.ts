// dense: z = a·W + b, y = act(z), with W stored [in, out] and a row per example.
// Forward, backward and the per-example gradient algebra live together here, because the
// per-example quantities are just the backward pass seen one example at a time:
//   gᵢ(W) = aᵢ ⊗ δᵢ  (outer product of the layer input and the pre-activation delta)
//   gᵢ(b) = δᵢ
// so ‖gᵢ‖² = ‖aᵢ‖²·‖δᵢ‖² + ‖δᵢ‖², and gᵢ·G = aᵢᵀ·G_W·δᵢ + δᵢ·G_b (one gemm for the batch, or the
// batch's Gram matrices when those are smaller).

import type { DenseGramJob } from '../backend';
import type { FloatArray } from '../types';
import type { Activation, Shape } from '../../model/spec';
import { denseGramIsCheaper, type LayerContext, type ParamLayer, shapeSize } from './layer';
import { WeightedLayer } from './weighted';

export class DenseLayer extends WeightedLayer implements ParamLayer {
  readonly type = 'dense';
  readonly label: string;
  readonly positionsPerUnit = 1;
  /** m × out scratch for A·G_W in the cosine computation. */
  private readonly scratch: FloatArray;
  private input: FloatArray | null = null;
  /** Where the Gram path's ‖gᵢ‖² go when only the dots are asked for. */
  private readonly gramNorms: Float64Array;
  /** Where perExampleTensor('weight') writes: allocated on first use, reused every step after. */
  private perExampleWeights: FloatArray | null = null;

  constructor(
    index: number,
    inputShape: Shape,
    units: number,
    activation: Activation,
    values: { weight: FloatArray; bias: FloatArray },
    ctx: LayerContext,
  ) {
    super(index, inputShape, [units], activation, [shapeSize(inputShape), units], values, ctx);
    this.label = `dense ${this.inSize}→${units}${activation === 'linear' ? '' : ` ${activation}`}`;
    this.scratch = ctx.backend.alloc(ctx.maxBatch * units);
    this.gramNorms = new Float64Array(ctx.maxBatch);
  }

  forward(input: FloatArray, m: number): void {
    this.input = input;
    const { inSize, outSize, backend } = this;
    const z = this.preActivation;
    backend.gemm(false, false, m, outSize, inSize, 1, input, this.weight.value, 0, z);
    // z += b in place (kept: the pre-activation), then y = act(z).
    backend.biasActivation(m, outSize, 'linear', z, this.bias.value, z);
    if (this.output !== z) backend.biasActivation(m, outSize, this.activation, z, null, this.output);
  }

  backward(outputGrad: FloatArray, m: number): void {
    const { inSize, outSize, delta, backend } = this;
    const input = this.requireInput();
    backend.activationBackward(m * outSize, this.activation, this.preActivation, this.output, outputGrad, delta);
    // G_W = (1/M)·Aᵀ·Δ and G_b = (1/M)·Σᵢ δᵢ: the mean of the per-example gradients.
    backend.gemm(true, false, inSize, outSize, m, 1 / m, input, delta, 0, this.weight.grad);
    backend.columnSums(m, outSize, 1 / m, 0, delta, this.bias.grad);
    // ∂Lᵢ/∂aᵢ = δᵢ·Wᵀ, per example (no 1/M: the next layer down needs gᵢ, not gᵢ/M).
    if (this.inputGrad) backend.gemm(false, true, m, inSize, outSize, 1, delta, this.weight.value, 0, this.inputGrad);
  }

  perExampleSquaredNorms(m: number, out: Float64Array): void {
    this.backend.denseNormsSquared(m, this.inSize, this.outSize, true, this.requireInput(), this.delta, out);
  }

  perExampleDotsWithMean(m: number, out: Float64Array): void {
    if (this.gramIsCheaper(m)) {
      this.gramStats(m, out, this.gramNorms);
      return;
    }
    this.directDots(m, out);
  }

  perExampleNormsAndDots(m: number, squaredNorms: Float64Array, dots: Float64Array): void {
    if (!this.gramIsCheaper(m)) {
      this.perExampleSquaredNorms(m, squaredNorms);
      this.directDots(m, dots);
      return;
    }
    // ‖gᵢ‖² = KΔ[i,i]·(KA[i,i] + 1): the Gram matrices' diagonal, so no pass of its own.
    this.gramStats(m, dots, squaredNorms);
  }

  gramJob(m: number, squaredNorms: Float64Array, dots: Float64Array): DenseGramJob | null {
    if (!this.gramIsCheaper(m)) return null;
    const { inSize: p, outSize: q, delta } = this;
    return { m, p, q, withBias: true, a: this.requireInput(), delta, dots, squaredNorms };
  }

  /**
   * Through the Gram matrices when cheaper: m²·(in + out) multiply-adds instead of m·in·out for A·G_W
   * (small batches, wide layers). With G = (1/M)·Σⱼ aⱼ ⊗ δⱼ + (1/M)·Σⱼ δⱼ,
   *   gᵢ·G = (1/M)·Σⱼ (aᵢ·aⱼ)(δᵢ·δⱼ) + (1/M)·Σⱼ δᵢ·δⱼ = (1/M)·Σⱼ KΔ[i,j]·(KA[i,j] + 1).
   * Up to 256 inputs the Gram products run as packed 4×8 tiles and the direct way's gemm and row
   * dots cost about twice as much per multiply-add (measured in a training step, batch 32: 64→26
   * 5.8 µs Gram against 6.7 direct, 128→64 9.9 against 15.7); longer rows go as dot products.
   */
  private gramIsCheaper(m: number): boolean {
    return denseGramIsCheaper(m, this.inSize, this.outSize);
  }

  private gramStats(m: number, dots: Float64Array, squaredNorms: Float64Array): void {
    this.backend.denseGramStats(m, this.inSize, this.outSize, true, this.requireInput(), this.delta, dots, squaredNorms);
  }

  private directDots(m: number, out: Float64Array): void {
    const input = this.requireInput();
    const { inSize, outSize, delta, scratch, backend } = this;
    // (A·G_W)ᵢ·δᵢ = aᵢᵀ·G_W·δᵢ = Σ_pq aᵢ[p]·δᵢ[q]·G_W[p][q] = gᵢ(W)·G_W.
    backend.gemm(false, false, m, outSize, inSize, 1, input, this.weight.grad, 0, scratch);
    const gb = this.bias.grad;
    for (let i = 0; i < m; i++) {
      const row = i * outSize;
      let s = 0;
      for (let q = 0; q < outSize; q++) s += (scratch[row + q] + gb[q]) * delta[row + q];
      out[i] = s;
    }
  }

  perExampleScalar(kind: 'weight' | 'bias', index: number, m: number): number[] {
    const input = this.requireInput();
    const { inSize, outSize, delta } = this;
    const result = new Array<number>(m);
    if (kind === 'bias') {
      for (let i = 0; i < m; i++) result[i] = delta[i * outSize + index];
    } else {
      const p = Math.floor(index / outSize);
      const q = index % outSize;
      for (let i = 0; i < m; i++) result[i] = input[i * inSize + p] * delta[i * outSize + q];
    }
    return result;
  }

  perExampleTensor(kind: 'weight' | 'bias', m: number): FloatArray {
    const input = this.requireInput();
    const { inSize, outSize, delta } = this;
    // gᵢ(b) = δᵢ: the delta buffer itself.
    if (kind === 'bias') return delta.subarray(0, m * outSize);
    const size = inSize * outSize;
    // Reused (in WASM memory on the fast backend): writing M·|W| floats is the whole cost here, and
    // fresh arrays every step made it several times slower.
    this.perExampleWeights ??= this.backend.alloc((delta.length / outSize) * size);
    const result = this.perExampleWeights.subarray(0, m * size);
    this.backend.outerBatch(m, inSize, outSize, 1, input, delta, result);
    return result;
  }

  private requireInput(): FloatArray {
    if (!this.input) throw new Error(`layers[${this.index}] has not run forward yet`);
    return this.input;
  }
}
