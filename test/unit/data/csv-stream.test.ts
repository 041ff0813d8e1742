// A large generated CSV streams: it loads correctly and peak memory stays far below twice the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../../../src/engine/random';
import { tempDir } from './helpers';

const TARGET_BYTES = 20 * 1024 * 1024;
const FEATURES = 100;

test('a 20 MB CSV streams with bounded memory and exact values', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'big.csv');
  const rng = new Rng(7);
  const fd = openSync(file, 'w');
  let written = 0,
    rows = 0,
    sum = 0,
    labelSum = 0;
  writeSync(fd, `label,${Array.from({ length: FEATURES }, (_, i) => `f${i}`).join(',')}\n`);
  while (written < TARGET_BYTES) {
    const batch: string[] = [];
    for (let r = 0; r < 500; r++) {
      const label = rng.int(10);
      labelSum += label;
      const fields = [String(label)];
      for (let f = 0; f < FEATURES; f++) {
        const v = (rng.int(2000001) - 1000000) / 100000; // -10.00000 .. 10.00000, five decimals
        sum += Math.fround(v);
        fields.push(v.toFixed(5));
      }
      batch.push(fields.join(','));
      rows++;
    }
    const text = `${batch.join('\n')}\n`;
    writeSync(fd, text);
    written += text.length;
  }
  closeSync(fd);
  const fileBytes = statSync(file).size;

  const child = spawnSync(
    process.execPath,
    ['--expose-gc', '--max-semi-space-size=1', '--import', 'tsx', path.join(__dirname, 'csv-memory-child.ts'), file],
    { encoding: 'utf8', cwd: path.resolve(__dirname, '..', '..', '..') },
  );
  assert.equal(child.status, 0, child.stderr);
  const r = JSON.parse(child.stdout.trim().split('\n').pop()!);
  t.diagnostic(
    `${(fileBytes / 2 ** 20).toFixed(1)} MB, ${rows} rows: ${r.ms.toFixed(0)} ms ` +
      `(${(fileBytes / 2 ** 20 / (r.ms / 1000)).toFixed(0)} MB/s), peak RSS growth ${(r.peakRssGrowth / 2 ** 20).toFixed(1)} MB, ` +
      `values ${(r.xBytes / 2 ** 20).toFixed(1)} MB`,
  );

  assert.equal(r.count, rows);
  assert.equal(r.features, FEATURES);
  assert.equal(r.numClasses, 10);
  assert.equal(r.labelSum, labelSum);
  assert.ok(Math.abs(r.sum - sum) < 1e-6 * rows * FEATURES, `sum ${r.sum} vs ${sum}`);
  // Values are stored once as float32 (4 bytes against ~9 bytes of text). Beyond them, the reader
  // may only hold a chunk or two of text: holding the whole file as a string would add 1× the file
  // size, splitting it into lines 2×. (A 1 MB young generation, set above, keeps collected chunk
  // garbage from being counted as if it were held.)
  const overhead = r.peakRssGrowth - r.xBytes;
  assert.ok(
    overhead < 0.25 * fileBytes,
    `peak RSS grew ${r.peakRssGrowth} bytes: ${overhead} beyond the ${r.xBytes} bytes of values, for a ${fileBytes}-byte file`,
  );
  assert.ok(r.peakRssGrowth < fileBytes, `peak RSS grew ${r.peakRssGrowth} bytes for a ${fileBytes}-byte file`);
});
