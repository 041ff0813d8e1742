// The model file: *.gradlens.json (JSONC) → typed ModelSpec, with positioned problems.
export { parseModel, checkShapes } from './parse';
export type { ParsedModel, DataInfo, ModelLocation } from './parse';
export { formatProblem, offsetToLineCol } from './format';
export { buildJsonSchema } from './schema';
export type { ModelProblem, SourceRange, Severity } from './positions';
export type * from './spec';
export { inferShapes, layerOutputShape, MNIST_INFO } from './shapes';
