import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadIdx } from '../../../src/data/idx';
import { DataError } from '../../../src/data/errors';
import { sampleDigits, tempDir } from './helpers';

/** An IDX uint8 file: 00 00 08 rank, big-endian dims, elements. */
function idx(dims: number[], elements: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.length + elements.length);
  out.set(header);
  out.set(elements, header.length);
  return out;
}

async function writeDigitIdx(dir: string, perClass: number, labelOffset = 0) {
  const { images, labels } = await sampleDigits(perClass);
  const pixels = new Uint8Array(images.length * 784);
  images.forEach((im, i) => pixels.set(im, i * 784));
  const imagesBytes = idx([images.length, 28, 28], pixels);
  const labelsBytes = idx(
    [labels.length],
    Uint8Array.from(labels, (l) => l + labelOffset),
  );
  return {
    images,
    labels,
    imagesBytes,
    labelsBytes,
    imagesPath: path.join(dir, 'images-idx3-ubyte'),
    labelsPath: path.join(dir, 'labels-idx1-ubyte'),
  };
}

async function rejectsAt(promise: Promise<unknown>, file: string, offset: number, message: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof DataError, `not a DataError: ${String(e)}`);
    assert.equal(e.file, file);
    assert.equal(e.offset, offset);
    assert.match(e.message, message);
    assert.ok(e.message.startsWith(`${file}: byte ${offset}: `), e.message);
    return true;
  });
}

test('IDX round trip of real digits, plain and gzipped', async (t) => {
  const dir = tempDir(t);
  const w = await writeDigitIdx(dir, 3);
  writeFileSync(w.imagesPath, w.imagesBytes);
  writeFileSync(w.labelsPath, w.labelsBytes);
  writeFileSync(`${w.imagesPath}.gz`, gzipSync(w.imagesBytes));
  writeFileSync(`${w.labelsPath}.gz`, gzipSync(w.labelsBytes));
  for (const gz of ['', '.gz']) {
    const d = await loadIdx(w.imagesPath + gz, w.labelsPath + gz, { displayName: 'digits' });
    assert.equal(d.name, 'digits');
    assert.equal(d.count, 30);
    assert.deepEqual(d.inputShape, [1, 28, 28]);
    assert.equal(d.numClasses, 10);
    assert.deepEqual([...d.y], w.labels);
    for (let i = 0; i < d.count; i++) {
      for (let p = 0; p < 784; p++) assert.equal(d.x[i * 784 + p], Math.fround(w.images[i][p] / 255));
    }
  }
});

test('EMNIST-style labels 1..26 become classes 0..25', async (t) => {
  const dir = tempDir(t);
  const labels = Uint8Array.from({ length: 26 }, (_, i) => 26 - i);
  writeFileSync(path.join(dir, 'i'), idx([26, 2, 2], new Uint8Array(26 * 4).fill(255)));
  writeFileSync(path.join(dir, 'l'), idx([26], labels));
  const d = await loadIdx(path.join(dir, 'i'), path.join(dir, 'l'));
  assert.equal(d.numClasses, 26);
  assert.equal(d.y[0], 25);
  assert.equal(d.y[25], 0);
  assert.equal(d.classNames?.[0], '1');
  assert.equal(d.x[0], 1);
});

test('corrupt IDX files: errors name the file and the byte offset', async (t) => {
  const dir = tempDir(t);
  const w = await writeDigitIdx(dir, 1);
  const labels = path.join(dir, 'labels');
  writeFileSync(labels, w.labelsBytes);
  const images = path.join(dir, 'images');
  const opts = { imagesName: 'train-images', labelsName: 'train-labels' };

  const badMagic = w.imagesBytes.slice();
  badMagic[0] = 0x42;
  writeFileSync(images, badMagic);
  await rejectsAt(
    loadIdx(images, labels, opts),
    'train-images',
    0,
    /not an IDX file: it must start with two zero bytes, got 0x42 0x00/,
  );

  const badType = w.imagesBytes.slice();
  badType[2] = 0x0d;
  writeFileSync(images, badType);
  await rejectsAt(loadIdx(images, labels, opts), 'train-images', 2, /element type 0x0d \(float32\) is not supported/);

  writeFileSync(images, w.imagesBytes.subarray(0, w.imagesBytes.length - 100));
  await rejectsAt(
    loadIdx(images, labels, opts),
    'train-images',
    w.imagesBytes.length - 100,
    /the file is truncated: dimensions 10×28×28 need 7856 bytes, the file has 7756$/,
  );

  writeFileSync(images, w.imagesBytes.subarray(0, 10));
  await rejectsAt(loadIdx(images, labels, opts), 'train-images', 10, /ends inside its header: 3 dimensions need 16 header bytes/);

  writeFileSync(images, w.imagesBytes);
  writeFileSync(labels, idx([9], new Uint8Array(9)));
  await rejectsAt(loadIdx(images, labels, opts), 'train-labels', 4, /holds 9 labels but train-images holds 10 images/);

  writeFileSync(labels, idx([10, 1], new Uint8Array(10)));
  await rejectsAt(loadIdx(images, labels, opts), 'train-labels', 3, /must have 1 dimension \(count\), this one has 2/);

  // Offsets in a gzipped file refer to the decompressed bytes, and the message says so.
  writeFileSync(labels, w.labelsBytes);
  writeFileSync(images, gzipSync(w.imagesBytes.subarray(0, 500)));
  await rejectsAt(loadIdx(images, labels, opts), 'train-images', 500, /truncated.*\(in the decompressed data\)$/);

  const gz = gzipSync(w.imagesBytes);
  writeFileSync(images, gz.subarray(0, gz.length - 20));
  await assert.rejects(loadIdx(images, labels, opts), /^DataError: train-images: the gzip data is corrupt/);

  await assert.rejects(
    loadIdx(path.join(dir, 'nope'), labels, opts),
    /^DataError: train-images: cannot read: no such file or folder$/,
  );
});
