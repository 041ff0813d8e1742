// Whether a parsed model fits its data: every layer's input shape, and the output against the classes.

import type { ModelProblem, Severity, SourceRange } from './positions';
import { ACTIVATION_LAYER_TYPES } from './fields';
import { inferShapes } from './shapes';
import type { DataInfo, ParsedModel } from './parse';

/**
 * Shape problems of a parsed model against its data: a layer whose input does not fit it, or an
 * output that does not match the classes. Call again once a user data file is loaded (the shape
 * of the built-in digits is known up front, so parseModel checks those itself).
 */
export function checkShapes(parsed: ParsedModel, _text: string, info: DataInfo): ModelProblem[] {
  const spec = parsed.spec;
  if (!spec) return [];
  const problems: ModelProblem[] = [];
  const at = (i: number): SourceRange => parsed.layerRanges[i] ?? { offset: 0, length: 0 };
  const add = (i: number, detail: string, severity: Severity = 'error'): void => {
    problems.push({ path: `layers[${i}]`, message: `layers[${i}]: ${detail}`, range: at(i), severity });
  };
  const { shapes, error } = inferShapes(spec.layers, info.inputShape);
  if (error) {
    add(error.layer, error.message);
    return problems;
  }
  const last = spec.layers.length - 1;
  const out = shapes[last];
  if (out.length !== 1) {
    add(
      last,
      `the network must end in a vector of ${info.numClasses} class scores, but its output has shape [${out.join(', ')}]; add a flatten and a dense layer of ${info.numClasses} units`,
    );
  } else if (out[0] !== info.numClasses) {
    add(last, `the last layer has ${out[0]} units but the data has ${info.numClasses} classes`);
  }
  if (spec.loss === 'cross-entropy') {
    const l = spec.layers[last];
    const squashed =
      l.type === 'dense' || l.type === 'conv2d'
        ? l.activation !== 'linear'
        : (ACTIVATION_LAYER_TYPES as readonly string[]).includes(l.type);
    if (squashed) {
      add(
        last,
        'cross-entropy applies softmax to the last layer\'s output itself; an activation here limits the scores and usually slows learning (use "linear")',
        'warning',
      );
    }
  }
  return problems;
}
