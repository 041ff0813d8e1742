// Seeded data files for the fuzz suite: a workspace with small valid CSV, IDX (plain and gzip)
// and PNG data that the base models read, and mutated data files of each format.

import fc from 'fast-check';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';

export function png(width: number, height: number, seed: number): Buffer {
  const p = new PNG({ width, height });
  for (let i = 0; i < p.data.length; i++) p.data[i] = (i * 31 + seed * 17) & 255;
  return PNG.sync.write(p);
}

export function idx(dims: number[], fill: (i: number) => number): Buffer {
  const count = dims.reduce((a, b) => a * b, 1);
  const b = Buffer.alloc(4 + 4 * dims.length + count);
  b[2] = 8;
  b[3] = dims.length;
  dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
  for (let i = 0; i < count; i++) b[4 + 4 * dims.length + i] = fill(i);
  return b;
}

/** The valid data the base models read: train.csv, images.idx(.gz) + labels.idx, imgs/. */
export function writeWorkspace(ws: string): void {
  mkdirSync(path.join(ws, '.git'), { recursive: true });
  const rows = Array.from({ length: 24 }, (_, i) => `${i % 3},${(i * 0.37) % 1},${(i * 0.11) % 1},${i % 2}`);
  writeFileSync(path.join(ws, 'train.csv'), `label,a,b,c\n${rows.join('\n')}\n`);
  const images = idx([24, 8, 8], (i) => (i * 7) & 255);
  writeFileSync(path.join(ws, 'images.idx'), images);
  writeFileSync(path.join(ws, 'images.idx.gz'), gzipSync(images));
  writeFileSync(
    path.join(ws, 'labels.idx'),
    idx([24], (i) => i % 3),
  );
  for (const c of ['a', 'b', 'c']) {
    mkdirSync(path.join(ws, 'imgs', c), { recursive: true });
    for (let k = 0; k < 3; k++) writeFileSync(path.join(ws, 'imgs', c, `${k}.png`), png(8, 8, k + c.charCodeAt(0)));
  }
}

export type DataCase =
  | { kind: 'csv'; text: string }
  | { kind: 'idx'; images: Uint8Array; labels: Uint8Array; gzip: boolean }
  | { kind: 'png'; files: { cls: string; name: string; bytes: Uint8Array }[] };

const cell = fc.oneof(
  { weight: 12, arbitrary: fc.double({ min: -10, max: 10, noNaN: true }).map(String) },
  fc.double({ noNaN: false }).map(String),
  fc.integer().map(String),
  fc.constantFrom(
    '',
    ' ',
    '"1"',
    'x',
    '3.5e38',
    '-3.5e38',
    '1e-50',
    'NaN',
    'Infinity',
    '0x10',
    '1,2',
    '"',
    '\r',
    '\u0000',
    '9'.repeat(400),
  ),
);
const csvCase: fc.Arbitrary<DataCase> = fc
  .record({
    header: fc.boolean(),
    columns: fc.integer({ min: 1, max: 6 }),
    rows: fc.array(
      fc.tuple(
        fc.oneof(
          { weight: 6, arbitrary: fc.integer({ min: 0, max: 3 }).map(String) },
          fc.integer({ min: -2, max: 300 }).map(String),
          fc.constantFrom('cat', 'dog', '', '"q"'),
        ),
        fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, fc.array(cell, { maxLength: 7 })),
        fc.array(cell, { minLength: 6, maxLength: 6 }),
      ),
      { maxLength: 30 },
    ),
    crlf: fc.boolean(),
    bom: fc.boolean(),
  })
  .map(({ header, columns, rows, crlf, bom }) => {
    const nl = crlf ? '\r\n' : '\n';
    const head = header ? `${['label', ...Array.from({ length: columns - 1 }, (_, i) => `f${i}`)].join(',')}${nl}` : '';
    // Most rows have the right width (cells cut to the column count); some a random one.
    const line = ([l, odd, cells]: [string, string[] | null, string[]]) => [l, ...(odd ?? cells.slice(0, columns - 1))].join(',');
    return { kind: 'csv' as const, text: `${bom ? '\ufeff' : ''}${head}${rows.map(line).join(nl)}${nl}` };
  });

const idxCase: fc.Arbitrary<DataCase> = fc
  .record({
    count: fc.integer({ min: 0, max: 12 }),
    rows: fc.integer({ min: 0, max: 9 }),
    cols: fc.integer({ min: 0, max: 9 }),
    labelDelta: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, fc.integer({ min: -3, max: 3 })),
    maxLabel: fc.integer({ min: 0, max: 255 }),
    corrupt: fc.oneof(
      { weight: 4, arbitrary: fc.constant([] as [number, number][]) },
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 4 }),
    ),
    truncate: fc.option(fc.nat(), { freq: 4 }),
    gzip: fc.boolean(),
    hugeDims: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, fc.constant(true)),
  })
  .map((c) => {
    const images = idx([c.count, c.rows, c.cols], (i) => i & 255);
    if (c.hugeDims) images.writeUInt32BE(0xffffffff, 4);
    for (const [at, v] of c.corrupt) images[at % images.length] = v;
    const labels = idx([Math.max(0, c.count + c.labelDelta)], (i) => i % (c.maxLabel + 1));
    const cut = c.truncate === null ? images : images.subarray(0, c.truncate % (images.length + 1));
    return { kind: 'idx' as const, images: cut, labels, gzip: c.gzip };
  });

const pngCase: fc.Arbitrary<DataCase> = fc
  .array(
    fc.record({
      cls: fc.constantFrom('a', 'b', 'c', 'a b'),
      w: fc.oneof({ weight: 5, arbitrary: fc.constant(6) }, fc.integer({ min: 1, max: 12 })),
      h: fc.constant(6),
      flips: fc.oneof(
        { weight: 4, arbitrary: fc.constant([] as [number, number][]) },
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 3 }),
      ),
      headerWidth: fc.option(fc.constantFrom(0, 5000, 100000, 0xffffffff), { freq: 6 }),
    }),
    { minLength: 0, maxLength: 6 },
  )
  .map((files) => ({
    kind: 'png' as const,
    files: files.map((f, i) => {
      const bytes = png(f.w, f.h, i);
      if (f.headerWidth !== null) bytes.writeUInt32BE(f.headerWidth, 16);
      for (const [at, v] of f.flips) bytes[at % bytes.length] = v;
      return { cls: f.cls, name: `${i}.png`, bytes };
    }),
  }));

export function dataCases(seed: number, count: number): DataCase[] {
  return fc.sample(fc.oneof(csvCase, idxCase, pngCase), { seed, numRuns: count });
}

/** Writes a case into `dir`; returns the data and labels paths. */
export function writeDataCase(dir: string, c: DataCase, n: number): { dataPath: string; labelsPath: string | null } {
  if (c.kind === 'csv') {
    const f = path.join(dir, `case${n}.csv`);
    writeFileSync(f, c.text);
    return { dataPath: f, labelsPath: null };
  }
  if (c.kind === 'idx') {
    const f = path.join(dir, `case${n}-images${c.gzip ? '.gz' : ''}`);
    writeFileSync(f, c.gzip ? gzipSync(c.images) : c.images);
    const l = path.join(dir, `case${n}-labels`);
    writeFileSync(l, c.labels);
    return { dataPath: f, labelsPath: l };
  }
  const folder = path.join(dir, `case${n}-imgs`);
  mkdirSync(folder, { recursive: true });
  for (const f of c.files) {
    mkdirSync(path.join(folder, f.cls), { recursive: true });
    writeFileSync(path.join(folder, f.cls, f.name), f.bytes);
  }
  return { dataPath: folder, labelsPath: null };
}
