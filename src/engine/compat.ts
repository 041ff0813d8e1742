// The one check that a network fits its data (input shape, class count, batch size and epochs),
// with sentences a user can act on. The model validator normally catches shape problems first,
// while typing; this is the check every caller runs once the data is loaded (trainer, gradient
// check, worker, CLI), so they cannot disagree.

import type { ModelSpec } from '../model/spec';
import type { Dataset } from '../data/dataset';
import { inferShapes } from '../model/shapes';

/** Why the network cannot train on this data, or null when it fits. */
export function fitProblem(spec: ModelSpec, train: Dataset, validation: Dataset | null): string | null {
  if (train.count < 1) return `the training set ${train.name} has no examples`;
  if (spec.layers.length === 0) return 'the model has no layers';
  const { shapes, error } = inferShapes(spec.layers, train.inputShape);
  if (error) return `layers[${error.layer}]: ${error.message} (input shape [${train.inputShape.join(', ')}] from ${train.name})`;
  const out = shapes[shapes.length - 1];
  if (out.length !== 1 || out[0] !== train.numClasses) {
    const units = out.reduce((a, b) => a * b, 1);
    return (
      `layers[${spec.layers.length - 1}]: the last layer has ${units} outputs but the data has ${train.numClasses} classes; ` +
      `make the last layer a dense layer with ${train.numClasses} units (now the last layer outputs shape [${out.join(', ')}] but ${train.name} has ${train.numClasses} classes)`
    );
  }
  if (validation && validation.inputShape.join(',') !== train.inputShape.join(',')) {
    return `the validation set has examples of shape [${validation.inputShape.join(', ')}] but the training set has [${train.inputShape.join(', ')}]`;
  }
  if (!Number.isInteger(spec.batchSize) || spec.batchSize < 1)
    return `batchSize must be a positive integer, got ${spec.batchSize}`;
  if (!Number.isInteger(spec.epochs) || spec.epochs < 1) return `epochs must be a positive integer, got ${spec.epochs}`;
  return null;
}

/** Throws fitProblem's sentence when the network does not fit the data. */
export function checkDataFits(spec: ModelSpec, train: Dataset, validation: Dataset | null): void {
  const problem = fitProblem(spec, train, validation);
  if (problem) throw new Error(problem);
}
