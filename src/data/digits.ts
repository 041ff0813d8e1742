// Decodes media/digits.bin (written by scripts/build-digits.mjs; the format is described there).
// Pure: no Node APIs, so it can also run in a web worker. A deflated payload needs an `inflate`
// function from the caller (node:zlib's inflateRawSync in src/data/builtin.ts; a browser could
// use DecompressionStream('deflate-raw')).
import type { Dataset } from './dataset';
import { DataError } from './errors';

export const DIGITS_MAGIC = 'GLDIGITS';
export const DIGITS_VERSION = 1;
export const DIGITS_HEADER_BYTES = 32;

export type Inflate = (deflated: Uint8Array) => Uint8Array;

export interface DigitsHeader {
  version: number;
  count: number;
  rows: number;
  cols: number;
  /** 0 = stored, 1 = raw DEFLATE. */
  encoding: number;
  storedBytes: number;
}

export function readDigitsHeader(bytes: Uint8Array, file = 'digits.bin'): DigitsHeader {
  if (bytes.length < DIGITS_HEADER_BYTES) {
    throw new DataError(
      file,
      `the file is ${bytes.length} bytes, shorter than its ${DIGITS_HEADER_BYTES}-byte header; rebuild it with \`npm run build\``,
      { offset: bytes.length },
    );
  }
  const magic = String.fromCharCode(...bytes.subarray(0, 8));
  if (magic !== DIGITS_MAGIC) {
    throw new DataError(file, `expected the magic "${DIGITS_MAGIC}", this is not a built-in digits file`, { offset: 0 });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (at: number): number => view.getUint32(at, true);
  const header: DigitsHeader = {
    version: u32(8),
    count: u32(12),
    rows: u32(16),
    cols: u32(20),
    encoding: u32(24),
    storedBytes: u32(28),
  };
  if (header.version !== DIGITS_VERSION) {
    throw new DataError(
      file,
      `version ${header.version} is not supported (expected ${DIGITS_VERSION}); rebuild it with \`npm run build\``,
      { offset: 8 },
    );
  }
  if (header.encoding !== 0 && header.encoding !== 1) {
    throw new DataError(file, `unknown payload encoding ${header.encoding}`, { offset: 24 });
  }
  if (bytes.length !== DIGITS_HEADER_BYTES + header.storedBytes) {
    throw new DataError(
      file,
      `the header announces ${header.storedBytes} payload bytes but the file holds ${bytes.length - DIGITS_HEADER_BYTES}; rebuild it with \`npm run build\``,
      { offset: bytes.length },
    );
  }
  return header;
}

export function decodeDigits(bytes: Uint8Array, inflate?: Inflate, file = 'digits.bin'): Dataset {
  const header = readDigitsHeader(bytes, file);
  const { count, rows, cols } = header;
  const stored = bytes.subarray(DIGITS_HEADER_BYTES);
  let payload: Uint8Array;
  if (header.encoding === 1) {
    if (!inflate) throw new DataError(file, 'the payload is deflate-compressed and no inflate function was given');
    payload = inflate(stored);
  } else {
    payload = stored;
  }
  const pixelsPerDigit = rows * cols;
  const expected = count + count * pixelsPerDigit;
  if (payload.length !== expected) {
    throw new DataError(
      file,
      `the payload holds ${payload.length} bytes, expected ${expected} for ${count} digits of ${rows}×${cols}`,
      { offset: DIGITS_HEADER_BYTES },
    );
  }
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = payload[i];
    if (label > 9) throw new DataError(file, `digit ${i} has label ${label}, expected 0..9`, { offset: DIGITS_HEADER_BYTES + i });
    y[i] = label;
  }
  const x = new Float32Array(count * pixelsPerDigit);
  const pixels = payload.subarray(count);
  for (let i = 0; i < x.length; i++) x[i] = pixels[i] / 255;
  return {
    name: 'mnist',
    inputShape: [1, rows, cols],
    numClasses: 10,
    count,
    x,
    y,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  };
}
