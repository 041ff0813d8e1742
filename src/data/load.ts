// The one entry point the CLI and the training worker use: a model's `data` section -> datasets.
//
// Dispatch on `data.source`: "mnist" is the built-in digits (media/digits.bin); otherwise the
// resolved `dataPath` is a folder of PNGs (one sub-folder per class), a .csv file, or an IDX
// images file whose labels file is `labelsPath` (.gz accepted). Then `limit` and the validation
// split are applied with the model's seed (see split.ts).
import { stat } from 'node:fs/promises';
import type { DataSpec } from '../model/spec';
import type { Dataset } from './dataset';
import { loadBuiltinDigits } from './builtin';
import { loadCsv } from './csv';
import { DataError, readFailure } from './errors';
import { loadIdx } from './idx';
import { loadPngFolder } from './pngFolder';
import { displayPath } from './resolve';
import { limitAndSplit } from './split';

export { DataError } from './errors';
export { resolveDataPath, displayPath } from './resolve';
export { loadBuiltinDigits } from './builtin';
export { decodeDigits } from './digits';

export interface LoadOptions {
  /** Absolute path of `data.source` (already checked by resolveDataPath); null for "mnist". */
  dataPath: string | null;
  /** Absolute path of `data.labels` (IDX only). */
  labelsPath: string | null;
  /** Folder holding the built-in digits (media/). */
  mediaDir: string;
  seed: number;
  /** How the data file is named in messages; defaults to its path relative to the current folder. */
  displayName?: string;
  /** How the labels file is named in messages; defaults to its path relative to the current folder. */
  labelsDisplayName?: string;
}

export async function loadDataset(data: DataSpec, opts: LoadOptions): Promise<{ train: Dataset; validation: Dataset | null }> {
  const all = await loadAll(data, opts);
  try {
    return limitAndSplit(all, { limit: data.limit, validationSplit: data.validationSplit, seed: opts.seed, reuseInput: true });
  } catch (e) {
    throw new DataError(all.name, (e as Error).message);
  }
}

async function loadAll(data: DataSpec, opts: LoadOptions): Promise<Dataset> {
  if (data.source === 'mnist') return loadBuiltinDigits(opts.mediaDir);
  if (opts.dataPath === null) {
    throw new DataError(data.source, 'the data path was not resolved (internal: dataPath is null)');
  }
  const name = opts.displayName ?? displayPath(opts.dataPath);
  let isFolder: boolean;
  try {
    isFolder = (await stat(opts.dataPath)).isDirectory();
  } catch (e) {
    throw readFailure(name === opts.dataPath ? name : `${name} (${opts.dataPath})`, e);
  }
  if (isFolder) return loadPngFolder(opts.dataPath, { displayName: name });
  if (opts.dataPath.toLowerCase().endsWith('.csv')) return loadCsv(opts.dataPath, { displayName: name });
  if (opts.labelsPath === null) {
    throw new DataError(name, 'this is read as an IDX images file, which needs its labels file: add "labels": "<path>" to the data section (or use a .csv file or a folder of PNGs)');
  }
  const labelsName = opts.labelsDisplayName ?? displayPath(opts.labelsPath);
  return loadIdx(opts.dataPath, opts.labelsPath, { imagesName: name, labelsName, displayName: name });
}
