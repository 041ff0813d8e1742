// Opening files a model file names, safely. The file is opened first and the check is made on what
// was opened: its type from fstat (FIFOs, sockets and devices are refused: they block or never
// end), and its real path from the open descriptor (/proc/self/fd on Linux; elsewhere the resolved
// path's device and inode must match the descriptor's). A symbolic link swapped in between a path
// check and the open can therefore never make a loader read outside the workspace.
// Opening uses O_NONBLOCK so that a FIFO without a writer cannot hang the open itself.

import { closeSync, constants, fstatSync, openSync, readFileSync, realpathSync, type Stats } from 'node:fs';
import { open, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { DataError, ModelError } from '../errors/types';
import { readFailure } from './errors';

/** Model files larger than this are refused before they are read (real ones are a few kB). */
export const MAX_MODEL_FILE_BYTES = 16 * 2 ** 20;

export interface OpenedFile {
  handle: FileHandle;
  stats: Stats;
  realPath: string;
}

export interface OpenOptions {
  /** The folder the real path must be inside; no check without it. */
  workspaceRoot?: string;
  /** Accept a folder (the PNG loader lists it by path afterwards). */
  allowFolder?: boolean;
}

/** Opens `filePath` for reading; the returned handle must be closed by the caller. */
export async function openChecked(filePath: string, shown: string, options: OpenOptions = {}): Promise<OpenedFile> {
  let handle: FileHandle;
  try {
    handle = await open(filePath, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw readFailure(shown, e);
  }
  try {
    const stats = await handle.stat();
    refuseSpecial(stats, shown, options.allowFolder ?? false);
    const realPath = await realPathOf(handle, filePath, stats);
    if (options.workspaceRoot !== undefined) {
      const root = realpathOr(path.resolve(options.workspaceRoot));
      if (!isInside(root, realPath)) {
        throw new DataError(
          shown,
          `the file opened is really ${realPath}, which is outside the workspace folder ${root}; ` +
            'data paths are relative to the model file and must stay inside the workspace',
        );
      }
    }
    return { handle, stats, realPath };
  } catch (e) {
    await handle.close().catch(() => undefined);
    throw e;
  }
}

/** Reads a whole opened file, refusing one larger than `limit` bytes (checked on what was read). */
export async function readAllLimited(f: OpenedFile, shown: string, limit: number, what = 'data file'): Promise<Buffer> {
  if (f.stats.size > limit) {
    throw new DataError(
      shown,
      `the ${what} is ${f.stats.size.toLocaleString('en-US')} bytes, more than the ${limit.toLocaleString('en-US')} this reader accepts`,
    );
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.min(1 << 20, Math.max(1, limit + 1 - total)));
    let bytesRead: number;
    try {
      ({ bytesRead } = await f.handle.read(chunk, 0, chunk.length, null));
    } catch (e) {
      throw readFailure(shown, e);
    }
    if (bytesRead === 0) break;
    total += bytesRead;
    if (total > limit)
      throw new DataError(shown, `the ${what} grew past ${limit.toLocaleString('en-US')} bytes while it was read`);
    chunks.push(bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead));
  }
  return Buffer.concat(chunks, total);
}

/** Opens, checks and reads a data file whole, then closes it. */
export async function readDataFile(
  filePath: string,
  shown: string,
  limit: number,
  options: OpenOptions = {},
  what = 'data file',
): Promise<Buffer> {
  const f = await openChecked(filePath, shown, options);
  try {
    return await readAllLimited(f, shown, limit, what);
  } finally {
    await f.handle.close().catch(() => undefined);
  }
}

/** The model file's text (a UTF-8 BOM is kept: the parser skips it), refusing special files and huge ones. */
export async function readModelFile(filePath: string, shown: string): Promise<string> {
  let f: OpenedFile;
  try {
    f = await openChecked(filePath, shown);
  } catch (e) {
    throw modelFileError(shown, e);
  }
  try {
    return (await readAllLimited(f, shown, MAX_MODEL_FILE_BYTES, 'model file')).toString('utf8');
  } catch (e) {
    throw modelFileError(shown, e);
  } finally {
    await f.handle.close().catch(() => undefined);
  }
}

/** The model file's text, synchronously (for callers that cannot wait); throws on special files and huge ones. */
export function readModelFileSync(filePath: string): string {
  const fd = openSync(filePath, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new Error(`${filePath} is not a regular file`);
    if (stats.size > MAX_MODEL_FILE_BYTES) throw new Error(`${filePath} is larger than ${MAX_MODEL_FILE_BYTES} bytes`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

function modelFileError(shown: string, e: unknown): ModelError {
  const errno = (e as { cause?: NodeJS.ErrnoException }).cause ?? (e as NodeJS.ErrnoException);
  const why = errno.code ?? (e instanceof DataError ? e.detail : (e as Error).message);
  return new ModelError(`cannot read the model file (${why})`, { file: shown, line: 1, column: 1, endLine: 1, endColumn: 1 });
}

function refuseSpecial(stats: Stats, shown: string, allowFolder: boolean): void {
  if (stats.isFile()) return;
  if (stats.isDirectory()) {
    if (allowFolder) return;
    throw new DataError(shown, 'cannot read: expected a file but this is a folder');
  }
  const kind = stats.isFIFO()
    ? 'a named pipe (FIFO)'
    : stats.isSocket()
      ? 'a socket'
      : stats.isCharacterDevice() || stats.isBlockDevice()
        ? 'a device'
        : 'not a regular file';
  throw new DataError(shown, `cannot read: this is ${kind}; data must be a regular file or a folder`);
}

async function realPathOf(handle: FileHandle, filePath: string, stats: Stats): Promise<string> {
  if (process.platform === 'linux') {
    try {
      return await readlink(`/proc/self/fd/${handle.fd}`);
    } catch {
      // /proc not mounted: fall through to the inode comparison.
    }
  }
  const resolved = await realpath(filePath);
  const again = await stat(resolved);
  if (again.dev !== stats.dev || again.ino !== stats.ino) {
    throw new DataError(filePath, 'the file changed while it was opened (a symbolic link was replaced); try again');
  }
  return resolved;
}

function realpathOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

function isInside(root: string, p: string): boolean {
  const relative = path.relative(root, p);
  return relative === '' || (!(relative === '..' || relative.startsWith(`..${path.sep}`)) && !path.isAbsolute(relative));
}
