// IDX datasets (the MNIST / EMNIST / Fashion-MNIST format): an images file and a labels file.
//
// IDX layout: bytes 0–1 zero, byte 2 the element type (only 0x08 = uint8 is accepted here),
// byte 3 the number of dimensions, then one big-endian uint32 per dimension, then the elements.
// Images: 3 dims (count, rows, cols), pixels 0–255 scaled to [0, 1]; labels: 1 dim (count).
// Files may be gzip-compressed (detected by their first bytes, whatever the name); byte offsets
// in errors then refer to the decompressed data.
// Labels become classes by the rules in labels.ts (EMNIST letters 1..26 -> 0..25).
// Note: EMNIST stores images transposed (column-major) relative to MNIST. Training does not care,
// but the images shown in the views appear mirrored and rotated; transpose the files beforehand
// if that matters.
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { Dataset } from './dataset';
import { DataError } from './errors';
import { integerClasses } from './labels';
import { readDataFile } from './safeOpen';

const gunzipAsync = promisify(gunzip);

/**
 * The most bytes an IDX file may hold, after decompression (EMNIST ByClass, the largest common
 * one, is 550 MB). Inflating stops at this size, so a small .gz cannot expand without bound.
 */
export const MAX_IDX_BYTES = 2 ** 30;
const UINT8 = 0x08;
const TYPE_NAMES: Record<number, string> = {
  0x08: 'uint8', 0x09: 'int8', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64',
};

export interface IdxArray {
  dims: number[];
  /** The elements, starting right after the header. */
  data: Uint8Array;
  headerBytes: number;
}

/** Parses and validates one uint8 IDX array (pure). `file` names the file in errors. */
export function parseIdx(bytes: Uint8Array, file: string, gzipped = false): IdxArray {
  const note = gzipped ? ' (in the decompressed data)' : '';
  if (bytes.length < 4) {
    throw new DataError(file, `the file is ${bytes.length} bytes, too short for an IDX header${note}`, { offset: bytes.length });
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DataError(file, `not an IDX file: it must start with two zero bytes, got ${hex(bytes[0])} ${hex(bytes[1])}${note}`, { offset: 0 });
  }
  const type = bytes[2];
  if (type !== UINT8) {
    const name = TYPE_NAMES[type];
    throw new DataError(file, `IDX element type ${hex(type)}${name ? ` (${name})` : ''} is not supported; only 0x08 (uint8) is${note}`, { offset: 2 });
  }
  const rank = bytes[3];
  if (rank === 0) throw new DataError(file, `the IDX header declares 0 dimensions${note}`, { offset: 3 });
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new DataError(file, `the file ends inside its header: ${rank} dimensions need ${headerBytes} header bytes, the file has ${bytes.length}${note}`, { offset: bytes.length });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let d = 0; d < rank; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const elements = dims.reduce((a, b) => a * b, 1);
  const expected = headerBytes + elements;
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'is truncated' : 'has extra bytes at the end';
    throw new DataError(file, `the file ${what}: dimensions ${dims.join('×')} need ${expected} bytes, the file has ${bytes.length}${note}`,
      { offset: Math.min(bytes.length, expected) });
  }
  return { dims, data: bytes.subarray(headerBytes), headerBytes };
}

export interface IdxOptions {
  imagesName?: string;
  labelsName?: string;
  /** The Dataset's name; defaults to the images file's display name. */
  displayName?: string;
  /** The opened files must really lie inside this folder (see safeOpen.ts). */
  workspaceRoot?: string;
  /** Overrides MAX_IDX_BYTES (tests). */
  maxBytes?: number;
}

export async function loadIdx(imagesPath: string, labelsPath: string, options: IdxOptions = {}): Promise<Dataset> {
  const imagesFile = options.imagesName ?? imagesPath;
  const labelsFile = options.labelsName ?? labelsPath;
  const [images, labels] = await Promise.all([readIdx(imagesPath, imagesFile, options), readIdx(labelsPath, labelsFile, options)]);
  return idxDataset(images, labels, imagesFile, labelsFile, options.displayName ?? imagesFile);
}

/** Combines a parsed images array and labels array into a Dataset (pure). */
export function idxDataset(images: IdxArray, labels: IdxArray, imagesFile: string, labelsFile: string, name: string): Dataset {
  if (images.dims.length !== 3) {
    throw new DataError(imagesFile, `an IDX images file must have 3 dimensions (count, rows, cols), this one has ${images.dims.length} (${images.dims.join('×')})`, { offset: 3 });
  }
  if (labels.dims.length !== 1) {
    throw new DataError(labelsFile, `an IDX labels file must have 1 dimension (count), this one has ${labels.dims.length} (${labels.dims.join('×')})`, { offset: 3 });
  }
  const [count, rows, cols] = images.dims;
  if (labels.dims[0] !== count) {
    throw new DataError(labelsFile, `holds ${labels.dims[0]} labels but ${imagesFile} holds ${count} images`, { offset: 4 });
  }
  if (count === 0) throw new DataError(imagesFile, 'the file holds no images', { offset: 4 });
  const { min, numClasses, classNames } = integerClasses(labelsFile, labels.data);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) y[i] = labels.data[i] - min;
  const x = new Float32Array(count * rows * cols);
  const pixels = images.data;
  for (let i = 0; i < x.length; i++) x[i] = pixels[i] / 255;
  return { name, inputShape: [1, rows, cols], numClasses, count, x, y, classNames };
}

async function readIdx(filePath: string, file: string, options: IdxOptions): Promise<IdxArray> {
  const limit = options.maxBytes ?? MAX_IDX_BYTES;
  let bytes: Uint8Array = await readDataFile(filePath, file, limit, { workspaceRoot: options.workspaceRoot });
  const gzipped = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  if (gzipped) {
    try {
      bytes = await gunzipAsync(bytes, { maxOutputLength: limit });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
        throw new DataError(file, `the gzip data inflates to more than ${limit.toLocaleString('en-US')} bytes, more than an IDX file this reader accepts`);
      }
      throw new DataError(file, `the gzip data is corrupt (${(e as Error).message})`);
    }
  }
  return parseIdx(bytes, file, gzipped);
}

function hex(b: number | undefined): string {
  return b === undefined ? 'nothing' : `0x${b.toString(16).padStart(2, '0')}`;
}
