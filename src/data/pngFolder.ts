// Image-folder datasets: one sub-folder per class, each holding .png files, like torchvision's
// ImageFolder. Sub-folder names sorted (code-unit order) give the class indices and classNames.
// Images become one grayscale channel: RGB(A) is converted to luminance with the same integer
// formula as PIL's convert('L') (ITU-R 601: 0.299 R + 0.587 G + 0.114 B); alpha is ignored, as PIL
// does. Every image must have the same size. Hidden entries (starting with ".") and files that are
// not .png are skipped.
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import type { Dataset } from './dataset';
import { DataError, readFailure } from './errors';
import { GrowableFloat32 } from './growable';

export interface PngFolderOptions {
  /** How the folder is named in messages; defaults to the path. */
  displayName?: string;
}

export async function loadPngFolder(folderPath: string, options: PngFolderOptions = {}): Promise<Dataset> {
  const folder = options.displayName ?? folderPath;
  const shown = (...parts: string[]): string => path.join(folder, ...parts);
  const classNames = (await listEntries(folderPath, folder))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort(byCodeUnits);
  if (classNames.length === 0) {
    throw new DataError(folder, 'the folder has no class sub-folders; put the images of each class in a sub-folder named after the class');
  }

  let width = -1;
  let height = -1;
  let firstImage = '';
  const x = new GrowableFloat32();
  const labels: number[] = [];
  for (let label = 0; label < classNames.length; label++) {
    const className = classNames[label];
    const files = (await listEntries(path.join(folderPath, className), shown(className)))
      .filter((e) => e.isFile() && e.name.toLowerCase().endsWith('.png'))
      .map((e) => e.name)
      .sort(byCodeUnits);
    if (files.length === 0) throw new DataError(shown(className), 'the class folder holds no .png files');
    for (const name of files) {
      const file = shown(className, name);
      const image = await decodePng(path.join(folderPath, className, name), file);
      if (width < 0) {
        width = image.width;
        height = image.height;
        firstImage = file;
        x.ensureCapacity(width * height * files.length * classNames.length);
      } else if (image.width !== width || image.height !== height) {
        throw new DataError(file, `the image is ${image.width}×${image.height} but ${firstImage} is ${width}×${height}; all images must have the same size`);
      }
      appendLuminance(image, x);
      labels.push(label);
    }
  }
  return {
    name: folder,
    inputShape: [1, height, width],
    numClasses: classNames.length,
    count: labels.length,
    x: x.finish(),
    y: Int32Array.from(labels),
    classNames,
  };
}

async function listEntries(dir: string, shown: string) {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
  } catch (e) {
    throw readFailure(shown, e);
  }
}

async function decodePng(filePath: string, file: string): Promise<PNG> {
  let bytes: Buffer;
  try {
    bytes = await readFile(filePath);
  } catch (e) {
    throw readFailure(file, e);
  }
  try {
    return PNG.sync.read(bytes);
  } catch (e) {
    throw new DataError(file, `not a valid PNG image (${(e as Error).message})`);
  }
}

/** pngjs always hands back 8-bit RGBA; keep PIL's integer luminance, scaled to [0, 1]. */
function appendLuminance(image: PNG, x: GrowableFloat32): void {
  const pixels = image.width * image.height;
  x.reserve(pixels);
  const out = x.buffer;
  const rgba = image.data;
  let at = x.length;
  for (let p = 0; p < pixels; p++) {
    const r = rgba[4 * p];
    const g = rgba[4 * p + 1];
    const b = rgba[4 * p + 2];
    out[at++] = ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16) / 255;
  }
  x.length = at;
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
