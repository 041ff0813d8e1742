// The one error type every data loader throws (defined with the other typed errors in src/errors).
// Its message is already complete and positioned (`data/train.csv:17: column 5: ...`,
// `data/train-images.idx: byte 4: ...`) so the CLI and the extension show it as is.

export { DataError, type DataErrorPosition } from '../errors/types';
import { DataError } from '../errors/types';

/** A DataError for a file that could not be opened or read (missing, unreadable, a folder...). */
export function readFailure(file: string, error: unknown): DataError {
  const code = (error as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    ENOENT: 'no such file or folder',
    EACCES: 'permission denied',
    EISDIR: 'expected a file but this is a folder',
    ENOTDIR: 'a part of the path is not a folder',
  };
  const e = new DataError(file, `cannot read: ${(code && why[code]) ?? (error as Error).message}`);
  e.cause = error;
  return e;
}
