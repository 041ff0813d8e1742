// Plain-data results the engine reports. No typed arrays here: these objects cross the worker
// boundary and the webview boundary as JSON-compatible data (see NOTES: typed arrays were once
// serialised as objects by postMessage to webviews).

export type FloatArray = Float32Array | Float64Array;

/** Where a non-finite value first appeared in a step. */
export interface NonFiniteReport {
  /** Layer index (into spec.layers), or -1 for the loss itself. */
  layer: number;
  /** Index of the example within the batch, or -1 when it cannot be attributed to one. */
  example: number;
  where: 'input' | 'activation' | 'loss' | 'gradient' | 'weights';
  message: string;
}

/** Gradient statistics of one parameterised layer for one step. */
export interface LayerStepStats {
  /** Index into spec.layers. */
  layer: number;
  /** ‖G‖₂ of the batch gradient (mean of per-example gradients), weights and bias together. */
  gradNorm: number;
  /** ‖θ‖₂ before the update. */
  weightNorm: number;
  /** ‖Δθ‖₂ / ‖θ‖₂ of the update just applied. */
  updateRatio: number;
  /** ‖gᵢ‖₂ for each example i of the batch (gᵢ = ∇Lᵢ, not divided by M). */
  perExampleNorms: number[];
  /** cos(gᵢ, G) for each example i. */
  cosineToMean: number[];
  /** B_simple = tr(Σ)/‖G‖² for this layer's parameters (NaN when M < 2). */
  noiseScale: number;
  /** Fraction of units whose activation was zero for every example of the batch; null if the layer has no ReLU. */
  deadFraction: number | null;
}

export interface StepStats {
  /** Global step counter, starting at 1. */
  step: number;
  /** Epoch, starting at 1. */
  epoch: number;
  /** Batch index within the epoch, starting at 0. */
  batchInEpoch: number;
  batchSize: number;
  /** Examples seen so far, including this batch. */
  examplesSeen: number;
  /** Mean loss over the batch (before the update). */
  loss: number;
  perExampleLoss: number[];
  /** Fraction of the batch classified correctly. */
  accuracy: number;
  /** Indices into the training set of the examples in this batch. */
  exampleIndices: number[];
  labels: number[];
  predictions: number[];
  layers: LayerStepStats[];
  /** B_simple over all parameters. */
  noiseScale: number;
  learningRate: number;
  nonFinite: NonFiniteReport | null;
}

export interface EpochStats {
  epoch: number;
  step: number;
  trainLoss: number;
  trainAccuracy: number;
  /** null when validationSplit is 0. */
  validationLoss: number | null;
  validationAccuracy: number | null;
  seconds: number;
}

/** Gradient-check result for one parameterised layer. */
export interface GradCheckLayer {
  layer: number;
  name: string;
  checked: number;
  maxRelativeError: number;
  passed: boolean;
}
export interface GradCheckResult {
  tolerance: number;
  layers: GradCheckLayer[];
  passed: boolean;
}

/** A parameterised layer's description for views. */
export interface ParamInfo {
  /** e.g. `layers[0].weight` */
  name: string;
  layer: number;
  kind: 'weight' | 'bias';
  /** Dense weight [in, out]; conv weight [out, in, kh, kw]; bias [out]. */
  shape: number[];
}
export interface LayerInfo {
  index: number;
  type: string;
  /** Human label, e.g. `dense 784→128 relu`. */
  label: string;
  inputShape: number[];
  outputShape: number[];
  params: ParamInfo[];
}
