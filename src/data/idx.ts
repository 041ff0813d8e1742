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
import { createGunzip } from 'node:zlib';
import type { Dataset } from './dataset';
import { DataError } from './errors';
import { integerClasses } from './labels';
import { readDataFile } from './safeOpen';

/**
 * The most bytes an IDX file may hold, after decompression (EMNIST ByClass, the largest common
 * one, is 550 MB). Inflating stops at this size, so a small .gz cannot expand without bound.
 */
export const MAX_IDX_BYTES = 2 ** 30;
const UINT8 = 0x08;
const TYPE_NAMES: Record<number, string> = {
  0x08: 'uint8',
  0x09: 'int8',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
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
    throw new DataError(
      file,
      `not an IDX file: it must start with two zero bytes, got ${hex(bytes[0])} ${hex(bytes[1])}${note}`,
      { offset: 0 },
    );
  }
  const type = bytes[2];
  if (type !== UINT8) {
    const name = TYPE_NAMES[type];
    throw new DataError(
      file,
      `IDX element type ${hex(type)}${name ? ` (${name})` : ''} is not supported; only 0x08 (uint8) is${note}`,
      { offset: 2 },
    );
  }
  const rank = bytes[3];
  if (rank === 0) throw new DataError(file, `the IDX header declares 0 dimensions${note}`, { offset: 3 });
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new DataError(
      file,
      `the file ends inside its header: ${rank} dimensions need ${headerBytes} header bytes, the file has ${bytes.length}${note}`,
      { offset: bytes.length },
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let d = 0; d < rank; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const elements = dims.reduce((a, b) => a * b, 1);
  const expected = headerBytes + elements;
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'is truncated' : 'has extra bytes at the end';
    throw new DataError(
      file,
      `the file ${what}: dimensions ${dims.join('×')} need ${expected} bytes, the file has ${bytes.length}${note}`,
      { offset: Math.min(bytes.length, expected) },
    );
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
  const [images, labels] = await Promise.all([
    readIdx(imagesPath, imagesFile, options),
    readIdx(labelsPath, labelsFile, options),
  ]);
  return idxDataset(images, labels, imagesFile, labelsFile, options.displayName ?? imagesFile);
}

/** Combines a parsed images array and labels array into a Dataset (pure). */
export function idxDataset(images: IdxArray, labels: IdxArray, imagesFile: string, labelsFile: string, name: string): Dataset {
  if (images.dims.length !== 3) {
    throw new DataError(
      imagesFile,
      `an IDX images file must have 3 dimensions (count, rows, cols), this one has ${images.dims.length} (${images.dims.join('×')})`,
      { offset: 3 },
    );
  }
  if (labels.dims.length !== 1) {
    throw new DataError(
      labelsFile,
      `an IDX labels file must have 1 dimension (count), this one has ${labels.dims.length} (${labels.dims.join('×')})`,
      { offset: 3 },
    );
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
  const bytes: Uint8Array = await readDataFile(filePath, file, limit, { workspaceRoot: options.workspaceRoot });
  const gzipped = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  return parseIdx(gzipped ? await inflateIdx(bytes, file, limit) : bytes, file, gzipped);
}

/** The size an IDX header declares (header included), once `head` holds the header; else undefined. */
function declaredBytes(head: Uint8Array): number | undefined {
  if (head.length < 4) return undefined;
  const headerBytes = 4 + 4 * head[3];
  if (head.length < headerBytes) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let elements = 1;
  for (let d = 0; d < head[3]; d++) elements *= view.getUint32(4 + 4 * d, false);
  return headerBytes + elements;
}

/**
 * Inflates a .gz IDX file as a stream and stops as soon as the output passes what the header
 * declares or the limit: a small file cannot expand into gigabytes in memory.
 */
async function inflateIdx(compressed: Uint8Array, file: string, limit: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  let cap = limit;
  const stream = createGunzip();
  const done = new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      if (cap === limit && total >= 4) {
        const declared = declaredBytes(
          chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total).subarray(0, Math.min(total, 4 + 4 * 255)),
        );
        if (declared !== undefined) {
          if (declared > limit) {
            stream.destroy();
            reject(
              new DataError(
                file,
                `the header declares ${declared.toLocaleString('en-US')} bytes (in the decompressed data), more than the ${limit.toLocaleString('en-US')} an IDX file may hold`,
                { offset: 4 },
              ),
            );
            return;
          }
          cap = declared;
        }
      }
      // One byte past the declared size is enough for parseIdx to say there are extra bytes.
      if (total > cap) {
        stream.destroy();
        if (cap === limit)
          reject(
            new DataError(
              file,
              `the gzip data inflates to more than ${limit.toLocaleString('en-US')} bytes, more than an IDX file this reader accepts`,
            ),
          );
        else resolve();
      }
    });
    stream.on('end', () => resolve());
    stream.on('error', (e) => reject(new DataError(file, `the gzip data is corrupt (${e.message})`)));
  });
  stream.end(compressed);
  await done;
  const out = Buffer.concat(chunks, total);
  return total > cap ? out.subarray(0, cap + 1) : out;
}

function hex(b: number | undefined): string {
  return b === undefined ? 'nothing' : `0x${b.toString(16).padStart(2, '0')}`;
}
