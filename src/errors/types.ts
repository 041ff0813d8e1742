// The four kinds of error a user can cause or meet, each carrying what is needed to point at the
// cause: a model error its range in the model file, a data error its file and line or byte, a
// resource error the estimate that was over the limit, an engine error the layer and example.
// `message` is always complete and positioned so code that only prints it stays right;
// render.ts turns any of them into a terminal line or an editor diagnostic.
// Pure TypeScript (no Node, no vscode): the engine, the worker and the extension all import it.

import type { Location } from './location';
import { formatLocation } from './location';

/** The complete message: the place first, when there is one. */
function placed(detail: string, location: Location | undefined): string {
  return location ? `${formatLocation(location)}: ${detail}` : detail;
}

export type ErrorKind = 'model' | 'data' | 'resource' | 'engine' | 'usage';

export abstract class GradientLensError extends Error {
  abstract readonly kind: ErrorKind;
  /** The sentence without any location prefix. */
  readonly detail: string;
  /** Where the problem is, when a file position is known. */
  location?: Location;
  /**
   * The place in the model file the problem belongs to when the primary location is elsewhere
   * (e.g. the `data.source` value for a data file that cannot be read). Set by whoever knows the
   * model text: the loaders do not.
   */
  modelLocation?: Location;

  protected constructor(message: string, detail: string) {
    super(message);
    this.detail = detail;
  }

  /** For a problem placed in the model file itself: that place is both its location and its model location. */
  protected placeInModel(location: Location | undefined): void {
    if (!location) return;
    this.location = location;
    this.modelLocation = location;
  }

  /** Attaches the model-file place of this problem (kept if already set), and returns `this`. */
  at(modelLocation: Location | undefined): this {
    if (modelLocation && !this.modelLocation) this.modelLocation = modelLocation;
    return this;
  }
}

/** A problem in a model file, at a range of its text. */
export class ModelError extends GradientLensError {
  readonly kind = 'model';
  constructor(detail: string, location: Location) {
    super(placed(detail, location), detail);
    this.name = 'ModelError';
    this.placeInModel(location);
  }
}

export interface DataErrorPosition {
  /** 1-based line (text formats). */
  line?: number;
  /** 1-based column / field (CSV). */
  column?: number;
  /** 0-based byte offset (binary formats; in the decompressed bytes for .gz files). */
  offset?: number;
}

/**
 * A data file that cannot be used. The message reads `data/train.csv:17: column 5: …` or
 * `data/train-images: byte 4: …`. `file` may be '' for readers of text that has no name yet
 * (an imported history or weights file): the message is then the detail alone.
 */
export class DataError extends GradientLensError {
  readonly kind = 'data';
  file: string;
  line?: number;
  column?: number;
  offset?: number;

  constructor(file: string, detail: string, position: DataErrorPosition = {}) {
    super(formatDataMessage(file, detail, position), detail);
    this.name = 'DataError';
    this.file = file;
    this.line = position.line;
    this.column = position.column;
    this.offset = position.offset;
    if (file && position.line !== undefined) {
      const column = position.column ?? 1;
      this.location = { file, line: position.line, column, endLine: position.line, endColumn: column };
    }
  }
}

function formatDataMessage(file: string, detail: string, p: DataErrorPosition): string {
  let where = file;
  if (p.line !== undefined) where += `:${p.line}`;
  if (p.column !== undefined) where += `: column ${p.column}`;
  if (p.offset !== undefined) where += `: byte ${p.offset}`;
  return where ? `${where}: ${detail}` : detail;
}

/** What a resource estimate found: `bytes` needed against the `limit` allowed. */
export interface ResourceEstimate {
  /** What was estimated, e.g. "the activations of one batch". */
  what: string;
  bytes: number;
  limit: number;
  /** The layer that needs the most, by index into `layers`, when one stands out. */
  layer?: number;
}

/** A model the validator accepts but that would need more memory (or time) than allowed. */
export class ResourceError extends GradientLensError {
  readonly kind = 'resource';
  readonly estimate: ResourceEstimate;
  constructor(detail: string, estimate: ResourceEstimate, location?: Location) {
    super(placed(detail, location), detail);
    this.name = 'ResourceError';
    this.estimate = estimate;
    this.placeInModel(location);
  }
}

export interface EngineErrorContext {
  step?: number;
  /** Layer index into `layers`. */
  layer?: number;
  /** Example index within the batch. */
  example?: number;
}

/** Training went wrong in a way the input allows (NaN/Infinity, a diverging loss...). */
export class EngineError extends GradientLensError {
  readonly kind = 'engine';
  readonly context: EngineErrorContext;
  constructor(detail: string, context: EngineErrorContext = {}) {
    super(detail, detail);
    this.name = 'EngineError';
    this.context = context;
  }
}

/** A wrong command line or request (unknown flag, a bad number for --epochs...). */
export class UsageError extends GradientLensError {
  readonly kind = 'usage';
  constructor(detail: string) {
    super(detail, detail);
    this.name = 'UsageError';
  }
}

export function isGradientLensError(e: unknown): e is GradientLensError {
  return e instanceof GradientLensError;
}
