import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { decodeDigits, readDigitsHeader } from '../../../src/data/digits';
import { DataError } from '../../../src/data/errors';
import { loadBuiltinDigits } from '../../../src/data/builtin';
import { ensureDigitsBuilt, realDigits, repoRoot, tempDir } from './helpers';

test('the built-in digits are 10,000 real 28×28 MNIST digits, ~1000 per class, pixels in [0, 1]', async () => {
  const d = await realDigits();
  assert.equal(d.count, 10000);
  assert.deepEqual(d.inputShape, [1, 28, 28]);
  assert.equal(d.numClasses, 10);
  assert.equal(d.x.length, 10000 * 784);
  assert.equal(d.y.length, 10000);
  const perClass = new Array(10).fill(0);
  for (const label of d.y) perClass[label]++;
  for (const n of perClass) assert.ok(n > 800 && n < 1200, `class sizes ${perClass}`);
  let min = Infinity,
    max = -Infinity,
    ink = 0;
  for (const v of d.x) {
    if (v < min) min = v;
    if (v > max) max = v;
    ink += v;
  }
  assert.equal(min, 0);
  assert.equal(max, 1);
  // MNIST digits cover roughly 13% of the canvas with ink (mean pixel ≈ 0.13).
  const mean = ink / d.x.length;
  assert.ok(mean > 0.1 && mean < 0.16, `mean pixel ${mean}`);
  // Every pixel is an exact byte / 255.
  for (let i = 0; i < d.x.length; i += 97) assert.ok(Math.abs(d.x[i] * 255 - Math.round(d.x[i] * 255)) < 1e-4);
});

test('mean images look like digits: "1" has more ink in the centre column, "0" more at the sides', async () => {
  const d = await realDigits();
  const meanImage = (digit: number): Float64Array => {
    const m = new Float64Array(784);
    let n = 0;
    for (let i = 0; i < d.count; i++) {
      if (d.y[i] !== digit) continue;
      n++;
      for (let p = 0; p < 784; p++) m[p] += d.x[i * 784 + p];
    }
    return m.map((v) => v / n);
  };
  const column = (m: Float64Array, c: number): number => {
    let s = 0;
    for (let r = 0; r < 28; r++) s += m[r * 28 + c];
    return s;
  };
  const one = meanImage(1),
    zero = meanImage(0);
  assert.ok(column(one, 14) > 1.5 * column(zero, 14), `centre column: one ${column(one, 14)}, zero ${column(zero, 14)}`);
  assert.ok(column(zero, 9) > 2 * column(one, 9), `left column: zero ${column(zero, 9)}, one ${column(one, 9)}`);
  // The centre pixel of a mean "0" is its hole: darker than its ring.
  assert.ok(zero[14 * 28 + 14] < zero[14 * 28 + 8]);
});

test('the file is compressed and its header describes it', () => {
  const bytes = new Uint8Array(readFileSync(ensureDigitsBuilt()));
  const h = readDigitsHeader(bytes);
  assert.deepEqual(
    { version: h.version, count: h.count, rows: h.rows, cols: h.cols, encoding: h.encoding },
    { version: 1, count: 10000, rows: 28, cols: 28, encoding: 1 },
  );
  assert.ok(bytes.length < 2_500_000, `digits.bin is ${bytes.length} bytes`);
  // The pure decoder needs the inflater for a compressed payload, and says so.
  assert.throws(() => decodeDigits(bytes), /deflate-compressed/);
  // Re-encoded uncompressed (encoding 0) it decodes to the same data without any inflater.
  const payload = inflateRawSync(bytes.subarray(32));
  const stored = new Uint8Array(32 + payload.length);
  stored.set(bytes.subarray(0, 32));
  new DataView(stored.buffer).setUint32(24, 0, true);
  new DataView(stored.buffer).setUint32(28, payload.length, true);
  stored.set(payload, 32);
  const a = decodeDigits(stored);
  const b = decodeDigits(bytes, (p) => inflateRawSync(p));
  assert.deepEqual(a.y, b.y);
  assert.deepEqual(a.x, b.x);
});

test('a damaged digits file gives a positioned DataError', async (t) => {
  const bytes = new Uint8Array(readFileSync(ensureDigitsBuilt()));
  const badMagic = bytes.slice(0, 64);
  badMagic[0] = 0x58;
  assert.throws(
    () => decodeDigits(badMagic, undefined, 'digits.bin'),
    (e: unknown) =>
      e instanceof DataError && e.offset === 0 && /^digits\.bin: byte 0: expected the magic "GLDIGITS"/.test(e.message),
  );
  const truncated = bytes.slice(0, bytes.length - 10);
  assert.throws(
    () => decodeDigits(truncated, (p) => inflateRawSync(p), 'digits.bin'),
    /header announces \d+ payload bytes but the file holds/,
  );
  const dir = tempDir(t);
  await assert.rejects(loadBuiltinDigits(dir), /built-in digits are missing; run `npm run build`/);
});

test('the build script is a no-op while digits.bin is up to date', () => {
  const file = ensureDigitsBuilt();
  const before = statSync(file).mtimeMs;
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'build-digits.mjs')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  // Nothing printed and the file untouched: the script saw it was up to date and did no work.
  assert.equal(r.stdout, '');
  assert.equal(statSync(file).mtimeMs, before);
});

test('digits are stored interleaved by class, so any prefix is balanced', async () => {
  const d = await realDigits();
  const firstHundred = new Array(10).fill(0);
  for (let i = 0; i < 100; i++) firstHundred[d.y[i]]++;
  assert.deepEqual(firstHundred, new Array(10).fill(10));
  const firstThousand = new Array(10).fill(0);
  for (let i = 0; i < 1000; i++) firstThousand[d.y[i]]++;
  assert.deepEqual(firstThousand, new Array(10).fill(100));
});
