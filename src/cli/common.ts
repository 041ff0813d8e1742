// What every CLI command does first: read and validate the model file, load its data, and pick
// the compute backend. Problems come out as `file:line:col: error: message`, like the editor's.

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ModelSpec } from '../model/spec';
import type { Dataset } from '../data/dataset';
import type { Backend } from '../engine/backend';
import { parseModel, checkShapes, formatProblem } from '../model';
import { loadDataset, resolveDataPath, DataError } from '../data/load';
import { chooseBackend } from '../engine/chooseBackend';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;

/** A user error: the message is already complete and positioned; exit code 2. */
export class BadInput extends Error {}

export interface CommonOptions {
  file: string;
  float64: boolean;
  wasm: boolean;
  workspace: string;
}

export interface LoadedModel {
  file: string;
  text: string;
  spec: ModelSpec;
  train: Dataset;
  validation: Dataset | null;
}

/** The folder holding the built-in digits: media/ next to dist/ in the package. */
export function mediaDir(): string {
  return path.resolve(__dirname, '..', 'media');
}

export async function loadModel(opts: CommonOptions): Promise<LoadedModel> {
  const file = path.resolve(opts.file);
  const shown = path.relative(process.cwd(), file) || file;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new BadInput(`${shown}: cannot read the model file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  // How deep the file sits below the workspace: data paths may climb (`..`) at most that far.
  const fromRoot = path.relative(path.resolve(opts.workspace), path.dirname(file));
  const location = fromRoot.startsWith('..') || path.isAbsolute(fromRoot)
    ? undefined
    : { folderDepth: fromRoot === '' ? 0 : fromRoot.split(path.sep).length };
  const parsed = parseModel(text, undefined, location);
  reportProblems(shown, text, parsed.problems);
  if (!parsed.spec) throw new BadInput(`${shown}: the model file has errors; nothing was trained`);
  const spec: ModelSpec = opts.float64 ? { ...parsed.spec, dtype: 'float64' } : parsed.spec;

  let dataPath: string | null = null;
  let labelsPath: string | null = null;
  try {
    if (spec.data.source !== 'mnist') {
      dataPath = resolveDataPath(path.resolve(opts.workspace), path.dirname(file), spec.data.source);
      if (spec.data.labels) labelsPath = resolveDataPath(path.resolve(opts.workspace), path.dirname(file), spec.data.labels);
    }
    const { train, validation } = await loadDataset(spec.data, {
      dataPath, labelsPath, mediaDir: mediaDir(), seed: spec.seed,
    });
    // The data's shape is only known now for user files: check the network against it.
    const shapeProblems = checkShapes(parsed, text, { inputShape: train.inputShape, numClasses: train.numClasses });
    reportProblems(shown, text, shapeProblems);
    if (shapeProblems.some((p) => p.severity === 'error')) {
      throw new BadInput(`${shown}: the network does not fit the data; nothing was trained`);
    }
    return { file: shown, text, spec, train, validation };
  } catch (e) {
    if (e instanceof DataError || e instanceof BadInput) throw new BadInput(e.message);
    throw e;
  }
}

function reportProblems(shown: string, text: string, problems: readonly import('../model/positions').ModelProblem[]): void {
  for (const p of problems) process.stderr.write(`${formatProblem(shown, text, p)}\n`);
}

/** The engine's backend rule (chooseBackend), with the reason on stderr when WASM does not load. */
export async function pickBackend(spec: ModelSpec, wasm: boolean): Promise<Backend> {
  const { backend, fallbackReason } = await chooseBackend(spec, { useWasm: wasm });
  if (fallbackReason) process.stderr.write(`gradient-lens: ${fallbackReason}; using plain TypeScript\n`);
  return backend;
}
