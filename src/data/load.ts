// The one entry point the CLI and the training worker use: a model's `data` section -> datasets.
//
// Dispatch on `data.source`: "mnist" is the built-in digits (media/digits.bin); otherwise the
// resolved `dataPath` is a folder of PNGs (one sub-folder per class), a .csv file, or an IDX
// images file whose labels file is `labelsPath` (.gz accepted). Then `limit` and the validation
// split are applied with the model's seed (see split.ts).
import type { DataSpec } from '../model/spec';
import type { Dataset } from './dataset';
import { loadBuiltinDigits } from './builtin';
import { loadCsv } from './csv';
import { DataError } from './errors';
import { loadIdx } from './idx';
import { loadPngFolder } from './pngFolder';
import { displayPath } from './resolve';
import { openChecked } from './safeOpen';
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
  /**
   * The workspace folder: every file is checked, after it is opened, to really lie inside it
   * (so a symbolic link swapped in after resolveDataPath cannot lead outside). Pass it always.
   */
  workspaceRoot?: string;
  /** Told about data that loads but is suspicious (one class, skipped files...). */
  onWarning?: (message: string) => void;
}

export async function loadDataset(data: DataSpec, opts: LoadOptions): Promise<{ train: Dataset; validation: Dataset | null }> {
  const all = await loadAll(data, opts);
  warnIfDegenerate(all, opts.onWarning);
  return limitAndSplit(all, { limit: data.limit, validationSplit: data.validationSplit, seed: opts.seed, reuseInput: true });
}

async function loadAll(data: DataSpec, opts: LoadOptions): Promise<Dataset> {
  if (data.source === 'mnist') return loadBuiltinDigits(opts.mediaDir);
  if (opts.dataPath === null) {
    throw new DataError(data.source, 'the data path was not resolved (internal: dataPath is null)');
  }
  const name = opts.displayName ?? displayPath(opts.dataPath);
  const opened = await openChecked(opts.dataPath, name === opts.dataPath ? name : `${name} (${opts.dataPath})`, {
    workspaceRoot: opts.workspaceRoot,
    allowFolder: true,
  });
  const isFolder = opened.stats.isDirectory();
  await opened.handle.close();
  if (isFolder)
    return loadPngFolder(opts.dataPath, { displayName: name, workspaceRoot: opts.workspaceRoot, onWarning: opts.onWarning });
  if (opts.dataPath.toLowerCase().endsWith('.csv'))
    return loadCsv(opts.dataPath, { displayName: name, workspaceRoot: opts.workspaceRoot });
  if (opts.labelsPath === null) {
    throw new DataError(
      name,
      'this is read as an IDX images file, which needs its labels file: add "labels": "<path>" to the data section (or use a .csv file or a folder of PNGs)',
    );
  }
  const labelsName = opts.labelsDisplayName ?? displayPath(opts.labelsPath);
  return loadIdx(opts.dataPath, opts.labelsPath, {
    imagesName: name,
    labelsName,
    displayName: name,
    workspaceRoot: opts.workspaceRoot,
  });
}

/** Data that loads but cannot teach much: one class only, or classes without any example. */
function warnIfDegenerate(d: Dataset, warn: ((m: string) => void) | undefined): void {
  if (!warn) return;
  const counts = new Array<number>(d.numClasses).fill(0);
  for (let i = 0; i < d.count; i++) counts[d.y[i]]++;
  const present = counts.filter((c) => c > 0).length;
  if (present === 1) {
    warn(
      `${d.name}: every example has the same class${d.classNames ? ` (${d.classNames[d.y[0]]})` : ''}; the network can only learn to predict it`,
    );
  } else if (present < d.numClasses) {
    const missing = counts.flatMap((c, k) => (c === 0 ? [d.classNames?.[k] ?? String(k)] : []));
    warn(
      `${d.name}: ${missing.length} of ${d.numClasses} classes have no example (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''})`,
    );
  }
}
