// The built-in MNIST digits: media/digits.bin, inflated here with node:zlib (the decoder is pure).
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import type { Dataset } from './dataset';
import { decodeDigits } from './digits';
import { DataError } from './errors';

export const DIGITS_FILE = 'digits.bin';

export async function loadBuiltinDigits(mediaDir: string): Promise<Dataset> {
  const file = path.join(mediaDir, DIGITS_FILE);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(
      file,
      code === 'ENOENT'
        ? 'the built-in digits are missing; run `npm run build` to generate them'
        : `cannot read the built-in digits (${code ?? (e as Error).message})`,
    );
  }
  const bytesView = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return decodeDigits(
    bytesView,
    (deflated) => {
      try {
        return inflateRawSync(deflated);
      } catch (e) {
        throw new DataError(
          file,
          `the compressed digits are corrupt (${(e as Error).message}); rebuild them with \`npm run build\``,
        );
      }
    },
    file,
  );
}
