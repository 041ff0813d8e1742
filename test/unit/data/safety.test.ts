// Hostile data: files outside the workspace (also through a symbolic link swapped in while
// loading), special files, decompression bombs, huge image headers, overflowing numbers,
// degenerate data; and the warnings for what is skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { loadDataset } from '../../../src/data/load';
import { loadIdx } from '../../../src/data/idx';
import { loadPngFolder, pngSize } from '../../../src/data/pngFolder';
import { DataError } from '../../../src/data/errors';
import { mediaDir, tempDir } from './helpers';

const opts = (dataPath: string, workspaceRoot: string, extra = {}) => ({
  dataPath,
  labelsPath: null,
  mediaDir,
  seed: 1,
  workspaceRoot,
  displayName: path.basename(dataPath),
  ...extra,
});
const csvSpec = { source: 'x.csv', validationSplit: 0 };

test('a data file reached through a link to outside the workspace is refused after it is opened', async (t) => {
  const base = tempDir(t);
  const ws = path.join(base, 'ws');
  mkdirSync(ws);
  writeFileSync(path.join(base, 'secret.csv'), 'label,a\n1,42\n0,43\n');
  symlinkSync(path.join(base, 'secret.csv'), path.join(ws, 'link.csv'));
  await assert.rejects(
    loadDataset(csvSpec, opts(path.join(ws, 'link.csv'), ws)),
    (e: unknown) =>
      e instanceof DataError &&
      e.message.startsWith(
        `link.csv (${path.join(ws, 'link.csv')}): the file opened is really ${path.join(base, 'secret.csv')}, which is outside the workspace folder`,
      ),
  );
});

test('a link swapped between inside and outside while loading never lets outside data through', async (t) => {
  const base = tempDir(t);
  const ws = path.join(base, 'ws');
  mkdirSync(ws);
  writeFileSync(path.join(ws, 'inside.csv'), 'label,a\n1,1\n0,2\n');
  writeFileSync(path.join(base, 'outside.csv'), 'label,a\n1,777\n0,778\n');
  const link = path.join(ws, 'data.csv');
  const spare = path.join(ws, 'data.csv.next');
  symlinkSync(path.join(ws, 'inside.csv'), link);
  let outside = false;
  let swaps = 0;
  // Swap the link (atomically, by rename) between every await of the loader.
  const swapper = setInterval(() => {
    symlinkSync(path.join(swaps % 2 === 0 ? base : ws, swaps % 2 === 0 ? 'outside.csv' : 'inside.csv'), spare);
    renameSync(spare, link);
    swaps++;
  }, 0);
  let refused = 0;
  try {
    for (let run = 0; run < 40; run++) {
      try {
        const { train } = await loadDataset(csvSpec, opts(link, ws));
        if (Array.from(train.x).some((v) => v > 700)) outside = true;
      } catch (e) {
        assert.ok(e instanceof DataError, String(e));
        refused++;
      }
    }
  } finally {
    clearInterval(swapper);
  }
  assert.equal(outside, false, 'no run read the file outside the workspace');
  assert.ok(swaps > 0 && refused > 0, `the race was exercised (${swaps} swaps, ${refused} refusals)`);
});

test('FIFOs and devices are refused without blocking', async (t) => {
  const dir = tempDir(t);
  const fifo = path.join(dir, 'pipe.csv');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  await assert.rejects(
    loadDataset(csvSpec, opts(fifo, dir)),
    (e: unknown) =>
      e instanceof DataError &&
      e.message === `pipe.csv (${fifo}): cannot read: this is a named pipe (FIFO); data must be a regular file or a folder`,
  );
  const images = path.join(dir, 'images');
  assert.equal(spawnSync('mkfifo', [images]).status, 0);
  await assert.rejects(
    loadIdx(images, images, { imagesName: 'images', labelsName: 'images' }),
    /cannot read: this is a named pipe/,
  );
  await assert.rejects(
    loadDataset(csvSpec, opts('/dev/zero', '/')),
    /^DataError: zero \(\/dev\/zero\): cannot read: this is a device; data must be a regular file or a folder$/,
  );
});

test('a gzip file is inflated only as far as its IDX header declares, and never past the limit', async (t) => {
  const dir = tempDir(t);
  const header = (dims: number[]) =>
    Buffer.concat([
      Buffer.from([0, 0, 8, dims.length]),
      ...dims.map((d) => {
        const b = Buffer.alloc(4);
        b.writeUInt32BE(d);
        return b;
      }),
    ]);
  const bomb = path.join(dir, 'images.gz');
  writeFileSync(bomb, gzipSync(Buffer.concat([header([4_000_000, 28, 28]), Buffer.alloc(8 * 2 ** 20)])));
  assert.ok(readFileSync(bomb).length < 20_000);
  const names = { imagesName: 'images.gz', labelsName: 'images.gz', maxBytes: 2 ** 20 };
  await assert.rejects(
    loadIdx(bomb, bomb, names),
    /^DataError: images\.gz: byte 4: the header declares 3,136,000,016 bytes \(in the decompressed data\), more than the 1,048,576 an IDX file may hold$/,
  );
  writeFileSync(bomb, gzipSync(Buffer.concat([header([10, 2, 2]), Buffer.alloc(8 * 2 ** 20)])));
  await assert.rejects(
    loadIdx(bomb, bomb, names),
    /^DataError: images\.gz: byte 56: the file has extra bytes at the end: dimensions 10×2×2 need 56 bytes, the file has 57 \(in the decompressed data\)$/,
  );
});

function pngHeader(width: number, height: number): Buffer {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  b[24] = 8;
  return b;
}

function gray(width: number, height: number, v: number): Buffer {
  const png = new PNG({ width, height });
  png.data.fill(v);
  return PNG.sync.write(png);
}

test('a PNG that declares a huge image is refused from its header; empty images and links are skipped and reported', async (t) => {
  assert.throws(
    () => pngSize(pngHeader(100_000, 100_000), 'big.png'),
    /^DataError: big\.png: byte 16: the image is 100000×100000 pixels, more than the 16,777,216 this reader accepts$/,
  );
  const dir = tempDir(t);
  mkdirSync(path.join(dir, 'a'));
  mkdirSync(path.join(dir, 'b'));
  writeFileSync(path.join(dir, 'a', '1.png'), gray(4, 4, 10));
  writeFileSync(path.join(dir, 'a', 'empty.png'), pngHeader(0, 4));
  writeFileSync(path.join(dir, 'b', '1.png'), gray(4, 4, 200));
  symlinkSync(path.join(dir, 'a', '1.png'), path.join(dir, 'b', 'linked.png'));
  symlinkSync(path.join(dir, 'a'), path.join(dir, 'c'));
  const warnings: string[] = [];
  const d = await loadPngFolder(dir, { displayName: 'imgs', onWarning: (w) => warnings.push(w) });
  assert.equal(d.count, 2);
  assert.deepEqual(warnings, [
    'skipped 2 symbolic links (not followed in image folders): imgs/c, imgs/b/linked.png',
    'skipped 1 empty image (0 pixels): imgs/a/empty.png',
  ]);
  writeFileSync(path.join(dir, 'b', 'huge.png'), pngHeader(5000, 5000));
  await assert.rejects(
    loadPngFolder(dir, { displayName: 'imgs' }),
    /^DataError: imgs\/b\/huge\.png: byte 16: the image is 5000×5000 pixels/,
  );
});

test('a CSV cell beyond float32 is refused with its cell; a single class is warned about', async (t) => {
  const dir = tempDir(t);
  const csv = path.join(dir, 'x.csv');
  writeFileSync(csv, 'label,a,b\n1,0.5,2\n0,1,3.5e38\n');
  await assert.rejects(
    loadDataset(csvSpec, opts(csv, dir)),
    (e: unknown) =>
      e instanceof DataError &&
      e.line === 3 &&
      e.column === 3 &&
      e.message ===
        'x.csv:3: column 3: 3.5e38 is beyond the float32 range (±3.4e38): features are stored as float32 and it would become infinite',
  );
  writeFileSync(csv, 'label,a\ncat,1\ncat,2\n');
  const warnings: string[] = [];
  await loadDataset(csvSpec, opts(csv, dir, { onWarning: (w: string) => warnings.push(w) }));
  assert.deepEqual(warnings, ['x.csv: every example has the same class (cat); the network can only learn to predict it']);
});
