import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { DataSpec } from '../../../src/model/spec';
import { DataError, loadDataset, resolveDataPath } from '../../../src/data/load';
import { limitAndSplit } from '../../../src/data/split';
import { mediaDir, realDigits, tempDir } from './helpers';

const builtin = (limit: number | undefined, validationSplit: number): DataSpec => ({ source: 'mnist', limit, validationSplit });
const loadOpts = (seed: number) => ({ dataPath: null, labelsPath: null, mediaDir, seed });

/** Identify examples by content: the index of each train/validation image in the full set. */
function fingerprint(x: Float32Array, count: number, size: number): string[] {
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    let h = 0;
    for (let p = 0; p < size; p++) h = (Math.imul(h, 31) + Math.round(x[i * size + p] * 255)) | 0;
    keys.push(h.toString(36));
  }
  return keys;
}

test('limit and validation split of the built-in digits are seeded and deterministic', async () => {
  const a = await loadDataset(builtin(1000, 0.2), loadOpts(1));
  const b = await loadDataset(builtin(1000, 0.2), loadOpts(1));
  const c = await loadDataset(builtin(1000, 0.2), loadOpts(2));
  assert.equal(a.train.count, 800);
  assert.equal(a.validation?.count, 200);
  assert.equal(a.train.name, 'mnist');
  assert.deepEqual(a.train.y, b.train.y);
  assert.deepEqual(a.train.x, b.train.x);
  assert.deepEqual(a.validation?.x, b.validation?.x);
  assert.notDeepEqual(a.train.y, c.train.y);
  // The subset is a shuffle, not the file's class-by-class order: every class appears, roughly evenly.
  const perClass = new Array(10).fill(0);
  for (const label of a.train.y) perClass[label]++;
  for (const n of perClass) assert.ok(n > 40 && n < 130, `class counts ${perClass}`);
  // Train and validation share no image.
  const trainKeys = new Set(fingerprint(a.train.x, a.train.count, 784));
  const validationKeys = fingerprint(a.validation!.x, a.validation!.count, 784);
  assert.equal(validationKeys.filter((k) => trainKeys.has(k)).length, 0);
  // A larger limit with the same seed extends the same permutation: the first 800 of 1000 are the first 800 of 2000.
  const bigger = await loadDataset(builtin(2000, 0), loadOpts(1));
  assert.equal(bigger.validation, null);
  assert.deepEqual(bigger.train.y.subarray(0, 800), a.train.y);
});

test('no limit keeps every example, shuffled, with the labels still matching their images', async () => {
  const all = await realDigits();
  const { train, validation } = limitAndSplit(all, { validationSplit: 0.1, seed: 5 });
  assert.equal(train.count + validation!.count, all.count);
  assert.equal(validation!.count, 1000);
  assert.equal(validation!.name, 'mnist (validation)');
  const labelOf = new Map<string, number>();
  fingerprint(all.x, all.count, 784).forEach((k, i) => labelOf.set(k, all.y[i]));
  fingerprint(train.x, train.count, 784).forEach((k, i) => assert.equal(train.y[i], labelOf.get(k)));
  assert.notDeepEqual(train.y.subarray(0, 50), all.y.subarray(0, 50));
});

test('a split that leaves nothing to train on is a DataError', async () => {
  await assert.rejects(
    loadDataset(builtin(1, 0.6), loadOpts(1)),
    (e: unknown) => e instanceof DataError && /validation split of 0\.6 of 1 examples leaves none for training/.test(e.message),
  );
});

test('dispatch: CSV by extension, a folder as PNG classes, IDX needs its labels, missing files', async (t) => {
  const dir = tempDir(t);
  const csv = path.join(dir, 'train.csv');
  writeFileSync(csv, 'y,a\n0,1\n1,2\n0,3\n1,4\n');
  const { train, validation } = await loadDataset(
    { source: 'train.csv', validationSplit: 0.25 },
    { ...loadOpts(3), dataPath: csv, displayName: 'data/train.csv' },
  );
  assert.equal(train.count, 3);
  assert.equal(validation?.count, 1);
  assert.equal(train.name, 'data/train.csv');
  assert.deepEqual(train.inputShape, [1]);

  const idx = path.join(dir, 'train-images-idx3-ubyte');
  writeFileSync(idx, new Uint8Array([0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]));
  await assert.rejects(
    loadDataset({ source: 'x', validationSplit: 0 }, { ...loadOpts(1), dataPath: idx, displayName: 'data/train-images' }),
    /^DataError: data\/train-images: this is read as an IDX images file, which needs its labels file: add "labels"/,
  );

  const missing = path.join(dir, 'nope.csv');
  await assert.rejects(
    loadDataset({ source: 'nope.csv', validationSplit: 0 }, { ...loadOpts(1), dataPath: missing, displayName: 'data/nope.csv' }),
    (e: unknown) => e instanceof DataError && e.message === `data/nope.csv (${missing}): cannot read: no such file or folder`,
  );

  mkdirSync(path.join(dir, 'imgs'));
  await assert.rejects(
    loadDataset(
      { source: 'imgs', validationSplit: 0 },
      { ...loadOpts(1), dataPath: path.join(dir, 'imgs'), displayName: 'imgs' },
    ),
    /^DataError: imgs: the folder has no class sub-folders/,
  );
});

test('resolveDataPath: relative to the model file, never outside the workspace', (t) => {
  const base = tempDir(t);
  const workspace = path.join(base, 'ws');
  const models = path.join(workspace, 'models');
  mkdirSync(path.join(workspace, 'data'), { recursive: true });
  mkdirSync(models);
  writeFileSync(path.join(workspace, 'data', 'train.csv'), '0,1\n');
  writeFileSync(path.join(base, 'secret.csv'), '0,1\n');

  assert.equal(resolveDataPath(workspace, models, '../data/train.csv'), path.join(workspace, 'data', 'train.csv'));
  assert.equal(resolveDataPath(workspace, models, 'local.csv'), path.join(models, 'local.csv')); // need not exist yet
  assert.equal(
    resolveDataPath(workspace, models, path.join(workspace, 'data', 'train.csv')),
    path.join(workspace, 'data', 'train.csv'),
  );

  const outside = (source: string) => (e: unknown) =>
    e instanceof DataError && e.file === source && /outside the workspace folder/.test(e.message);
  assert.throws(() => resolveDataPath(workspace, models, '../../secret.csv'), outside('../../secret.csv'));
  assert.throws(() => resolveDataPath(workspace, workspace, '../outside'), outside('../outside'));
  assert.throws(() => resolveDataPath(workspace, models, path.join(base, 'secret.csv')), outside(path.join(base, 'secret.csv')));
  assert.throws(() => resolveDataPath(workspace, models, '/etc/passwd'), outside('/etc/passwd'));

  // A symbolic link inside the workspace that points outside it is refused too.
  symlinkSync(path.join(base, 'secret.csv'), path.join(workspace, 'data', 'link.csv'));
  assert.throws(
    () => resolveDataPath(workspace, models, '../data/link.csv'),
    (e: unknown) => e instanceof DataError && /\(really .*secret\.csv\), which is outside the workspace/.test(e.message),
  );
  // A name that merely starts with two dots is inside.
  assert.equal(resolveDataPath(workspace, workspace, '..data.csv'), path.join(workspace, '..data.csv'));
});

test('reordering in place gives exactly the same split as copying', async () => {
  const all = await realDigits();
  for (const [limit, split, seed] of [
    [undefined, 0.15, 9],
    [undefined, 0, 4],
    [10000, 0.5, 1],
  ] as const) {
    const copied = limitAndSplit(all, { limit, validationSplit: split, seed });
    const own = { ...all, x: all.x.slice(), y: all.y.slice() };
    const reused = limitAndSplit(own, { limit, validationSplit: split, seed, reuseInput: true });
    assert.equal(reused.train.x.byteOffset, 0);
    assert.deepEqual(reused.train.y, copied.train.y);
    assert.deepEqual(reused.train.x, copied.train.x);
    assert.deepEqual(reused.validation?.x, copied.validation?.x);
    assert.deepEqual(reused.validation?.y, copied.validation?.y);
  }
});
