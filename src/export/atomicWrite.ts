// Writing a file so that a crash, a kill -9 or a full disk never leaves it truncated: the text goes
// to a temporary file in the same folder (same file system, so the rename is atomic), is flushed
// to disk with fsync, and only then renamed over the target. A reader sees the old file or the
// complete new one, never a mix. Node-only (the extension host and the CLI use it).
// A writer killed between its temporary write and the rename leaves its temporary file behind; its
// name says whose it is (`.<target>.<pid>.<random>.tmp`), so the next write to the same target
// removes those of processes that no longer run.

import { constants } from 'node:fs';
import { open, readdir, rename, stat, unlink } from 'node:fs/promises';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

export type Chunks = string | Uint8Array | Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;

/** Pieces are gathered up to this size before each write (fewer system calls for many small chunks). */
const WRITE_BUFFER = 1 << 20;

/** This process's temporary files now being written (not stale, though their pid is alive). */
const inFlight = new Set<string>();

export async function writeFileAtomic(target: string, data: Chunks): Promise<void> {
  const dir = path.dirname(path.resolve(target));
  await removeStaleTemps(dir, path.basename(target));
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  inFlight.add(temp);
  try {
    await writeThrough(target, temp, dir, data);
  } finally {
    inFlight.delete(temp);
  }
}

/**
 * Removes the temporary files of earlier writes to `name` in `dir` whose writer is gone: another
 * process that no longer runs, or this one when the file is not one of its writes in progress. A
 * live process's file is left alone (it may be writing it now).
 */
export async function removeStaleTemps(dir: string, name: string): Promise<string[]> {
  const prefix = `.${name}.`;
  const removed: string[] = [];
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const m = /^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(entry.slice(prefix.length));
    if (!m) continue;
    const file = path.join(dir, entry);
    const pid = Number(m[1]);
    const stale = pid === process.pid ? !inFlight.has(file) : !isRunning(pid);
    if (
      stale &&
      (await unlink(file).then(
        () => true,
        () => false,
      ))
    )
      removed.push(file);
  }
  return removed;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it runs, as another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function writeThrough(target: string, temp: string, dir: string, data: Chunks): Promise<void> {
  // Keep the permissions of a file being replaced; a new file gets the usual 0o666 less umask.
  const mode = await stat(target).then(
    (s) => s.mode & 0o7777,
    () => 0o666,
  );
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  let renamed = false;
  try {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      if (pendingBytes === 0) return;
      const buf = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      let at = 0;
      while (at < buf.length) at += (await handle.write(buf, at, buf.length - at)).bytesWritten;
    };
    for await (const piece of asIterable(data)) {
      const buf =
        typeof piece === 'string' ? Buffer.from(piece, 'utf8') : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
      pending.push(buf);
      pendingBytes += buf.length;
      if (pendingBytes >= WRITE_BUFFER) await flush();
    }
    await flush();
    await handle.sync();
    await handle.close();
    await rename(temp, target);
    renamed = true;
    await syncFolder(dir);
  } finally {
    if (!renamed) {
      await handle.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
    }
  }
}

function asIterable(data: Chunks): Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array> {
  return typeof data === 'string' || data instanceof Uint8Array ? [data] : data;
}

/** Makes the rename itself durable; some platforms cannot open a folder, which is fine. */
async function syncFolder(dir: string): Promise<void> {
  try {
    const h = await open(dir, constants.O_RDONLY);
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    // Not supported here (e.g. Windows): the data itself is already on disk.
  }
}
