// The typed model spec: what a valid *.gradlens.json file becomes after parsing and validation.
// Pure types (no runtime code) so the engine, the worker, the views and the CLI can all import it.

import type { ACTIVATION_LAYER_TYPES } from './fields';

export type DType = 'float32' | 'float64';
/** The activations of the model format; the list itself lives in fields.ts. */
export type ActivationName = (typeof ACTIVATION_LAYER_TYPES)[number];
/** `linear` means "no activation"; it is what a dense/conv layer has when the field is omitted. */
export type Activation = ActivationName | 'linear';

export interface DenseSpec {
  type: 'dense';
  units: number;
  activation: Activation;
}
export interface Conv2dSpec {
  type: 'conv2d';
  filters: number;
  kernelSize: number;
  stride: number;
  padding: 'same' | 'valid';
  activation: Activation;
}
export interface MaxPool2dSpec {
  type: 'maxpool2d';
  poolSize: number;
  stride: number;
}
export interface FlattenSpec {
  type: 'flatten';
}
export interface ActivationLayerSpec {
  type: ActivationName;
}
export type LayerSpec = DenseSpec | Conv2dSpec | MaxPool2dSpec | FlattenSpec | ActivationLayerSpec;

export type LossName = 'cross-entropy' | 'mse';

export interface OptimizerSpec {
  type: 'sgd' | 'adam';
  learningRate: number;
  /** SGD only; 0 = plain SGD. */
  momentum: number;
  /** SGD only. */
  nesterov: boolean;
  /** L2 weight decay added to the gradient (coupled), applied to weights, not biases. */
  weightDecay: number;
  /** Adam only. */
  beta1: number;
  beta2: number;
  epsilon: number;
}

export interface DataSpec {
  /** `"mnist"` (the built-in digits) or a path relative to the model file (it must stay inside the workspace): .csv, IDX, or a folder of PNGs. */
  source: string;
  /** IDX only: the labels file, relative to the model file. */
  labels?: string;
  /** Take the first N examples after a seeded shuffle. */
  limit?: number;
  /** Fraction in [0, 1) held out for validation. */
  validationSplit: number;
}

export interface ModelSpec {
  name: string;
  seed: number;
  dtype: DType;
  data: DataSpec;
  layers: LayerSpec[];
  loss: LossName;
  optimizer: OptimizerSpec;
  /** 1 = pure SGD; >= training-set size = full batch. */
  batchSize: number;
  epochs: number;
}

/** Shape of one example, without the batch dimension: [features] or [channels, height, width]. */
export type Shape = number[];
