// The debugger's expression language: breakpoint conditions, logpoints, watches and the Debug Console.
export { parseExpression } from './parse';
export { evaluate, truthy, checkExpression, FUNCTIONS } from './evaluate';
export { ExprError } from './tokenize';
export type { Expr } from './ast';
export * from './values';
export { interpolate, checkLogMessage } from './logMessage';
