// Image-folder datasets: one sub-folder per class, each holding .png files, like torchvision's
// ImageFolder. Sub-folder names sorted (code-unit order) give the class indices and classNames.
// Images become one grayscale channel: RGB(A) is converted to luminance with the same integer
// formula as PIL's convert('L') (ITU-R 601: 0.299 R + 0.587 G + 0.114 B); alpha is ignored, as PIL
// does. Every image must have the same size. Hidden entries (starting with ".") and files that are
// not .png are skipped; symbolic links are not followed. Skipped entries are reported through
// onWarning. The image size is read from the PNG header before decoding, so a tiny file that
// declares a huge image is refused without inflating it.
import { readdir } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import type { Dataset } from './dataset';
import { DataError, readFailure } from './errors';
import { GrowableFloat32 } from './growable';
import { readDataFile } from './safeOpen';

/** Largest image accepted: 4096×4096 pixels. */
export const MAX_PNG_PIXELS = 4096 * 4096;
/** Largest dataset accepted: 2^28 pixels (1 GiB as float32). */
export const MAX_FOLDER_PIXELS = 2 ** 28;
/** Largest PNG file read. */
const MAX_PNG_FILE_BYTES = 64 * 2 ** 20;

export interface PngFolderOptions {
  /** How the folder is named in messages; defaults to the path. */
  displayName?: string;
  /** Every image file opened must really lie inside this folder (see safeOpen.ts). */
  workspaceRoot?: string;
  /** Told about skipped entries and images. */
  onWarning?: (message: string) => void;
}

export async function loadPngFolder(folderPath: string, options: PngFolderOptions = {}): Promise<Dataset> {
  const folder = options.displayName ?? folderPath;
  const shown = (...parts: string[]): string => path.join(folder, ...parts);
  const skippedLinks: string[] = [];
  const skippedOther: string[] = [];
  const skippedEmpty: string[] = [];
  const top = await listEntries(folderPath, folder);
  const classNames = top
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort(byCodeUnits);
  for (const e of top) {
    if (e.isSymbolicLink()) skippedLinks.push(shown(e.name));
    else if (!e.isDirectory()) skippedOther.push(shown(e.name));
  }
  if (classNames.length === 0) {
    report(options, skippedLinks, skippedOther, skippedEmpty);
    throw new DataError(
      folder,
      'the folder has no class sub-folders; put the images of each class in a sub-folder named after the class',
    );
  }

  const lists: string[][] = [];
  for (const className of classNames) {
    const entries = await listEntries(path.join(folderPath, className), shown(className));
    for (const e of entries) {
      if (e.isSymbolicLink()) skippedLinks.push(shown(className, e.name));
      else if (!(e.isFile() && e.name.toLowerCase().endsWith('.png'))) skippedOther.push(shown(className, e.name));
    }
    lists.push(
      entries
        .filter((e) => e.isFile() && e.name.toLowerCase().endsWith('.png'))
        .map((e) => e.name)
        .sort(byCodeUnits),
    );
  }
  const totalFiles = lists.reduce((a, l) => a + l.length, 0);

  let width = -1;
  let height = -1;
  let firstImage = '';
  const x = new GrowableFloat32();
  const labels: number[] = [];
  for (let label = 0; label < classNames.length; label++) {
    const className = classNames[label];
    const files = lists[label];
    if (files.length === 0) {
      report(options, skippedLinks, skippedOther, skippedEmpty);
      throw new DataError(shown(className), 'the class folder holds no .png files');
    }
    for (const name of files) {
      const file = shown(className, name);
      const bytes = await readDataFile(path.join(folderPath, className, name), file, MAX_PNG_FILE_BYTES, {
        workspaceRoot: options.workspaceRoot,
      });
      const size = pngSize(bytes, file);
      if (size.width === 0 || size.height === 0) {
        skippedEmpty.push(file);
        continue;
      }
      if (width < 0) {
        width = size.width;
        height = size.height;
        firstImage = file;
        if (width * height * totalFiles > MAX_FOLDER_PIXELS) {
          throw new DataError(
            folder,
            `${totalFiles} images of ${width}×${height} pixels are ${(width * height * totalFiles).toLocaleString('en-US')} pixels, more than the ${MAX_FOLDER_PIXELS.toLocaleString('en-US')} this reader accepts`,
          );
        }
        x.ensureCapacity(width * height * totalFiles);
      } else if (size.width !== width || size.height !== height) {
        throw new DataError(
          file,
          `the image is ${size.width}×${size.height} but ${firstImage} is ${width}×${height}; all images must have the same size`,
        );
      }
      appendLuminance(decodePng(bytes, file), x);
      labels.push(label);
    }
  }
  report(options, skippedLinks, skippedOther, skippedEmpty);
  if (labels.length === 0) throw new DataError(folder, 'every image is empty (0 pixels)');
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

async function listEntries(dir: string, shown: string): Promise<Dirent[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
  } catch (e) {
    throw readFailure(shown, e);
  }
}

function report(options: PngFolderOptions, links: string[], other: string[], empty: string[]): void {
  const warn = options.onWarning;
  if (!warn) return;
  const list = (xs: string[]): string => `${xs.slice(0, 3).join(', ')}${xs.length > 3 ? `, and ${xs.length - 3} more` : ''}`;
  if (links.length)
    warn(`skipped ${links.length} symbolic link${links.length === 1 ? '' : 's'} (not followed in image folders): ${list(links)}`);
  if (other.length)
    warn(
      `skipped ${other.length} entr${other.length === 1 ? 'y' : 'ies'} that ${other.length === 1 ? 'is' : 'are'} not a .png file or a class folder: ${list(other)}`,
    );
  if (empty.length) warn(`skipped ${empty.length} empty image${empty.length === 1 ? '' : 's'} (0 pixels): ${list(empty)}`);
}

/** Width and height from the IHDR chunk, checked against MAX_PNG_PIXELS before anything is inflated. */
export function pngSize(bytes: Uint8Array, file: string): { width: number; height: number } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 24 || signature.some((b, i) => bytes[i] !== b)) {
    throw new DataError(file, 'not a valid PNG image (Invalid file signature)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint32(16, false);
  const height = view.getUint32(20, false);
  if (width * height > MAX_PNG_PIXELS) {
    throw new DataError(
      file,
      `the image is ${width}×${height} pixels, more than the ${MAX_PNG_PIXELS.toLocaleString('en-US')} this reader accepts`,
      { offset: 16 },
    );
  }
  return { width, height };
}

function decodePng(bytes: Buffer, file: string): PNG {
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
