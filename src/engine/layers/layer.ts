// What every layer provides. A layer owns its activation buffers (allocated once for the largest
// batch, through the backend) and reads/writes only the first m rows of them when a batch is
// smaller. Parameter *values* are shared between networks built on the same parameters (the
// training network and the evaluation network); gradients belong to each network.
// Layers compute only through the backend's kernels (gemm, bias+activation, im2col, pooling, ...),
// so the reference and the WASM backend run the same algorithm.

import type { Backend, DenseGramJob } from '../backend';
import type { FloatArray, ParamInfo } from '../types';
import type { Activation, Shape } from '../../model/spec';

export interface ParamTensor {
  info: ParamInfo;
  size: number;
  /** Current values (shared with every network built on the same parameters). */
  value: FloatArray;
  /** Batch gradient (1/M)·Σᵢ gᵢ of the last backward pass of this network. */
  grad: FloatArray;
}

export interface Layer {
  readonly index: number;
  readonly type: string;
  readonly label: string;
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  readonly inSize: number;
  readonly outSize: number;
  /** maxBatch × outSize. */
  readonly output: FloatArray;
  /** maxBatch × inSize; null when nothing upstream needs it (the first layer). */
  readonly inputGrad: FloatArray | null;
  readonly params: ParamTensor[];
  /** Computes output[0 .. m·outSize) from input (m × inSize); remembers input for backward. */
  forward(input: FloatArray, m: number): void;
  /**
   * Given ∂Lᵢ/∂outputᵢ for every example (NOT divided by M), writes the mean parameter gradients
   * and, if inputGrad is non-null, ∂Lᵢ/∂inputᵢ.
   */
  backward(outputGrad: FloatArray, m: number): void;
}

/** A layer with a weight and a bias, whose per-example gradients the engine can reason about. */
export interface ParamLayer extends Layer {
  readonly weight: ParamTensor;
  readonly bias: ParamTensor;
  readonly activation: Activation;
  /** The output after activation (what a following ReLU zeroes), maxBatch × outSize. */
  readonly output: FloatArray;
  /** δᵢ = ∂Lᵢ/∂(pre-activation output)ᵢ of the last backward pass, maxBatch × outSize. */
  readonly delta: FloatArray;
  /** Number of output values per unit: 1 for dense, positions per channel for conv. */
  readonly positionsPerUnit: number;
  /** ‖gᵢ‖² (weight and bias together) for i < m, into out. */
  perExampleSquaredNorms(m: number, out: Float64Array): void;
  /** gᵢ·G (weight and bias together, G = this network's batch gradient) for i < m, into out. */
  perExampleDotsWithMean(m: number, out: Float64Array): void;
  /** Both of the above in one go where the layer can share their work (else the stats call the two). */
  perExampleNormsAndDots?(m: number, squaredNorms: Float64Array, dots: Float64Array): void;
  /**
   * perExampleNormsAndDots as a Backend.denseGramStats job (into squaredNorms and dots) when the layer
   * takes its Gram path for m examples, else null (then the statistics call the methods above).
   */
  gramJob?(m: number, squaredNorms: Float64Array, dots: Float64Array): DenseGramJob | null;
  /** ∂Lᵢ/∂θ[index] for each example i < m. */
  perExampleScalar(kind: 'weight' | 'bias', index: number, m: number): number[];
  /**
   * The full m × size tensor of per-example gradients (row i = gᵢ): a view of a buffer the layer
   * reuses, valid until the next forward/backward pass; copy it to keep it.
   */
  perExampleTensor(kind: 'weight' | 'bias', m: number): FloatArray;
}

export function isParamLayer(l: Layer): l is ParamLayer {
  return l.params.length > 0;
}

export interface LayerContext {
  backend: Backend;
  maxBatch: number;
  /** False for the first layer: nobody consumes ∂L/∂input there, so it is not computed. */
  needsInputGrad: boolean;
  /**
   * Examples per chunk of the temporaries that need not live for the whole batch (conv columns):
   * they are sized for a chunk, so memory grows with the batch only by what must be kept per example.
   */
  chunk: number;
}

/** The default LayerContext.chunk: more than a usual mini-batch, so those run in one chunk. */
export const DEFAULT_CHUNK = 64;

/**
 * Whether a dense layer's per-example statistics go through the batch's Gram matrices (DenseLayer;
 * only those run on the helper): m²·(in + out) multiply-adds instead of m·in·out for A·G_W, with
 * the direct way's gemm and row dots about twice as dear per multiply-add up to 256 inputs.
 */
export function denseGramIsCheaper(m: number, inSize: number, outSize: number): boolean {
  return m * (inSize + outSize) < (inSize <= 256 ? 2 : 1) * inSize * outSize;
}

export function shapeSize(s: Shape): number {
  return s.reduce((a, b) => a * b, 1);
}

/** A weight or bias of layer `index`: its name and shape, the shared values, its own gradient. */
export function paramTensor(
  backend: Backend,
  index: number,
  kind: 'weight' | 'bias',
  shape: number[],
  value: FloatArray,
): ParamTensor {
  const size = shapeSize(shape);
  return { info: { name: `layers[${index}].${kind}`, layer: index, kind, shape }, size, value, grad: backend.alloc(size) };
}
