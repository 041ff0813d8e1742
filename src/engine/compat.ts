// Checks, before building anything, that the data fits the model, with sentences a user can act on.
// The model validator normally catches these first; this guards the engine's own callers (tests, CLI).

import type { ModelSpec } from '../model/spec';
import type { Dataset } from '../data/dataset';
import { inferShapes } from '../model/shapes';

export function checkDataFits(spec: ModelSpec, train: Dataset, validation: Dataset | null): void {
  if (train.count < 1) throw new Error(`the training set ${train.name} has no examples`);
  if (spec.layers.length === 0) throw new Error('the model has no layers');
  const { shapes, error } = inferShapes(spec.layers, train.inputShape);
  if (error) throw new Error(`layers[${error.layer}]: ${error.message} (input shape [${train.inputShape.join(', ')}] from ${train.name})`);
  const out = shapes[shapes.length - 1];
  if (out.length !== 1 || out[0] !== train.numClasses) {
    throw new Error(`the last layer outputs shape [${out.join(', ')}] but ${train.name} has ${train.numClasses} classes; make the last layer a dense layer with ${train.numClasses} units`);
  }
  if (validation && validation.inputShape.join(',') !== train.inputShape.join(',')) {
    throw new Error(`the validation set has examples of shape [${validation.inputShape.join(', ')}] but the training set has [${train.inputShape.join(', ')}]`);
  }
  if (!Number.isInteger(spec.batchSize) || spec.batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${spec.batchSize}`);
  if (!Number.isInteger(spec.epochs) || spec.epochs < 1) throw new Error(`epochs must be a positive integer, got ${spec.epochs}`);
}
