import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { loadPngFolder } from '../../../src/data/pngFolder';
import { DataError } from '../../../src/data/errors';
import { sampleDigits, tempDir } from './helpers';

type ColorType = 0 | 2 | 4 | 6;

/** A PNG of a grayscale image (row-major bytes), stored with the given PNG colour type. */
function grayPng(width: number, height: number, gray: Uint8Array, colorType: ColorType = 0): Buffer {
  const png = new PNG({ width, height });
  for (let p = 0; p < width * height; p++) png.data.set([gray[p], gray[p], gray[p], 255], 4 * p);
  return PNG.sync.write(png, { colorType });
}

test('a folder of real digit PNGs: class folders sorted, pixels exact, any colour type', async (t) => {
  const dir = tempDir(t);
  const { images, labels } = await sampleDigits(2);
  const names = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
  const colorTypes: ColorType[] = [0, 2, 4, 6];
  images.forEach((im, i) => {
    const classDir = path.join(dir, names[labels[i]]);
    mkdirSync(classDir, { recursive: true });
    writeFileSync(path.join(classDir, `img${i}.png`), grayPng(28, 28, im, colorTypes[i % 4]));
  });
  writeFileSync(path.join(dir, 'one', 'notes.txt'), 'not an image');
  mkdirSync(path.join(dir, '.hidden'));
  writeFileSync(path.join(dir, 'README.md'), 'top-level files are ignored');

  const d = await loadPngFolder(dir, { displayName: 'data/digits' });
  const sorted = [...names].sort();
  assert.deepEqual(d.classNames, sorted);
  assert.equal(d.numClasses, 10);
  assert.equal(d.count, 20);
  assert.deepEqual(d.inputShape, [1, 28, 28]);
  // Each loaded image equals the digit it was written from, and carries its folder's class.
  const expected = images
    .map((im, i) => ({ im, cls: sorted.indexOf(names[labels[i]]), file: `img${i}.png` }))
    .sort((a, b) => a.cls - b.cls || (a.file < b.file ? -1 : 1));
  expected.forEach((e, i) => {
    assert.equal(d.y[i], e.cls);
    for (let p = 0; p < 784; p++) assert.equal(d.x[i * 784 + p], Math.fround(e.im[p] / 255));
  });
});

test('colour is converted with the PIL luminance formula, alpha ignored', async (t) => {
  const dir = tempDir(t);
  mkdirSync(path.join(dir, 'c'));
  const png = new PNG({ width: 4, height: 1 });
  png.data.set([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 200, 100, 50, 0]);
  writeFileSync(path.join(dir, 'c', 'a.png'), PNG.sync.write(png, { colorType: 6 }));
  const d = await loadPngFolder(dir);
  // PIL: L = R*299/1000 + G*587/1000 + B*114/1000 -> 76, 150, 29, 124 for these pixels.
  assert.deepEqual(
    [...d.x],
    [76, 150, 29, 124].map((v) => Math.fround(v / 255)),
  );
});

test('a corrupt PNG and an image of a different size are named in the error', async (t) => {
  const dir = tempDir(t);
  const { images } = await sampleDigits(1);
  mkdirSync(path.join(dir, 'a'));
  mkdirSync(path.join(dir, 'b'));
  writeFileSync(path.join(dir, 'a', '1.png'), grayPng(28, 28, images[0]));
  const good = grayPng(28, 28, images[1]);
  writeFileSync(path.join(dir, 'b', '2.png'), good.subarray(0, good.length - 30));
  await assert.rejects(loadPngFolder(dir, { displayName: 'imgs' }), (e: unknown) => {
    assert.ok(e instanceof DataError);
    assert.equal(e.file, path.join('imgs', 'b', '2.png'));
    assert.match(e.message, /^imgs\/b\/2\.png: not a valid PNG image \(/);
    return true;
  });
  writeFileSync(path.join(dir, 'b', '2.png'), grayPng(14, 28, images[1].subarray(0, 14 * 28)));
  await assert.rejects(
    loadPngFolder(dir, { displayName: 'imgs' }),
    /^DataError: imgs\/b\/2\.png: the image is 14×28 but imgs\/a\/1\.png is 28×28; all images must have the same size$/,
  );
});

test('folders without classes or without images are clear errors', async (t) => {
  const dir = tempDir(t);
  await assert.rejects(loadPngFolder(dir, { displayName: 'imgs' }), /^DataError: imgs: the folder has no class sub-folders/);
  mkdirSync(path.join(dir, 'cat'));
  writeFileSync(path.join(dir, 'cat', 'x.jpg'), 'jpeg');
  await assert.rejects(
    loadPngFolder(dir, { displayName: 'imgs' }),
    /^DataError: imgs\/cat: the class folder holds no \.png files$/,
  );
});
