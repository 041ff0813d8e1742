// The engine's public API: what the worker, the CLI, the benchmarks and the tests code against.
// Pure TypeScript (no vscode, no node:*), so it can run in a web worker as well as in Node.

export { Rng } from './random';
export type { Backend } from './backend';
export * from './types';
export { referenceBackend } from './reference';
export { Trainer } from './trainer';
export type { TrainerOptions, NamedTensor } from './trainer';
export type { BatchSnapshot } from './snapshot';
export { gradientCheck } from './gradcheck';
export type { GradCheckOptions } from './gradcheck';
export type { StatsLevel } from './stats';
export { fitProblem, checkDataFits } from './compat';
export { firstBatchIndices } from './batching';
export { DEFAULT_CHUNK } from './layers/layer';
