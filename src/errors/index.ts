// Typed errors and their two renderings (terminal, editor). See types.ts and render.ts.
export { GradientLensError, ModelError, DataError, ResourceError, EngineError, UsageError, isGradientLensError } from './types';
export type { ErrorKind, DataErrorPosition, ResourceEstimate, EngineErrorContext } from './types';
export { locate, lineLocation, offsetToLineCol, formatLocation } from './location';
export type { Location, SourceRange } from './location';
export { reportError, renderForCli, toEditorDiagnostic } from './render';
export type { ErrorContext, ErrorReport, EditorDiagnostic, EditorRange } from './render';
