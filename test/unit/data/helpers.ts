// Shared by the data tests: the real built-in digits (built on demand) and temporary folders.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Dataset } from '../../../src/data/dataset';
import { loadBuiltinDigits } from '../../../src/data/builtin';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const mediaDir = path.join(repoRoot, 'media');

/** media/digits.bin, built by the real build script when it is absent. */
export function ensureDigitsBuilt(): string {
  const file = path.join(mediaDir, 'digits.bin');
  if (!existsSync(file)) {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'build-digits.mjs')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`build-digits failed: ${r.stderr}`);
  }
  return file;
}

let digits: Promise<Dataset> | null = null;
export function realDigits(): Promise<Dataset> {
  ensureDigitsBuilt();
  digits ??= loadBuiltinDigits(mediaDir);
  return digits;
}

/** The first `perClass` digits of each class, as uint8 images (row-major 28×28) with labels. */
export async function sampleDigits(perClass: number): Promise<{ images: Uint8Array[]; labels: number[] }> {
  const d = await realDigits();
  const images: Uint8Array[] = [];
  const labels: number[] = [];
  const taken = new Array(10).fill(0);
  for (let i = 0; i < d.count && labels.length < perClass * 10; i++) {
    const label = d.y[i];
    if (taken[label] >= perClass) continue;
    taken[label]++;
    images.push(Uint8Array.from(d.x.subarray(i * 784, (i + 1) * 784), (v) => Math.round(v * 255)));
    labels.push(label);
  }
  return { images, labels };
}

export function tempDir(t: { after(fn: () => void): void }, prefix = 'gl-data-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
