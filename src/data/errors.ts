// The one error type every data loader throws. Its message is already complete and positioned
// (`data/train.csv:17: column 5: ...`, `data/train-images.idx: byte 4: ...`) so the CLI and the
// extension show it as is, without a stack trace.

export interface DataErrorPosition {
  /** 1-based line (text formats). */
  line?: number;
  /** 1-based column / field (CSV). */
  column?: number;
  /** 0-based byte offset (binary formats; in the decompressed bytes for .gz files). */
  offset?: number;
}

export class DataError extends Error {
  file: string;
  line?: number;
  column?: number;
  offset?: number;

  /** `detail` is the sentence after the position; the location prefix is added here. */
  constructor(file: string, detail: string, position: DataErrorPosition = {}) {
    super(formatDataMessage(file, detail, position));
    this.name = 'DataError';
    this.file = file;
    this.line = position.line;
    this.column = position.column;
    this.offset = position.offset;
  }
}

function formatDataMessage(file: string, detail: string, p: DataErrorPosition): string {
  let where = file;
  if (p.line !== undefined) where += `:${p.line}`;
  if (p.column !== undefined) where += `: column ${p.column}`;
  if (p.offset !== undefined) where += `: byte ${p.offset}`;
  return `${where}: ${detail}`;
}

/** A DataError for a file that could not be opened or read (missing, unreadable, a folder...). */
export function readFailure(file: string, error: unknown): DataError {
  const code = (error as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    ENOENT: 'no such file or folder',
    EACCES: 'permission denied',
    EISDIR: 'expected a file but this is a folder',
    ENOTDIR: 'a part of the path is not a folder',
  };
  return new DataError(file, `cannot read: ${(code && why[code]) ?? (error as Error).message}`);
}
