// What every CLI command does first: read and validate the model file, load its data, estimate
// the memory the run needs, and pick the compute backend. Problems come out as
// `file:line:col: error: message`, like the editor's (rendered by src/errors/render.ts).

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { ModelSpec } from '../model/spec';
import type { Dataset } from '../data/dataset';
import type { Backend } from '../engine/backend';
import { parseModel, checkShapes, formatProblem, type ParsedModel } from '../model';
import { valueRange } from '../model/locate';
import { memoryRefusal } from '../model/estimate';
import { loadDataset, resolveDataPath } from '../data/load';
import { readModelFile } from '../data/safeOpen';
import { DataError, ModelError, UsageError } from '../errors/types';
import { locate } from '../errors/location';
import type { BackendChoice } from '../engine/chooseBackend';
import { chooseEngineBackend, engineBackendFactory, parseEngineThreads, type EngineThreads } from '../engine-host/threads';
import { findWorkspace } from './workspace';
import { defaultMemoryLimit, heapLimit } from './memory';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;

/** A user error: exit code 2. Kept as a name for the subcommands that throw it. */
export const BadInput = UsageError;
export type BadInput = UsageError;

/** The flags every command that loads and runs a model file reads (node:util parseArgs options). */
export const MODEL_RUN_FLAGS = {
  json: { type: 'boolean', default: false },
  float64: { type: 'boolean', default: false },
  'no-wasm': { type: 'boolean', default: false },
  threads: { type: 'string' },
  workspace: { type: 'string' },
} as const;

/** The command line of a command that runs a model file: its own flags and the shared ones; throws on an unknown flag. */
export function parseModelCommand<T extends ParseArgsConfig['options']>(argv: string[], flags: T) {
  return parseArgs({ args: argv, allowPositionals: true, options: { ...MODEL_RUN_FLAGS, ...flags } });
}

export interface CommonOptions {
  file: string;
  float64: boolean;
  wasm: boolean;
  /** `--threads` (default "auto"). */
  threads?: EngineThreads;
  /** `--workspace`; without it, the folder found by findWorkspace. */
  workspace?: string;
  /** `--memory-limit` in bytes; without it, half of the machine's memory. */
  memoryLimit?: number;
}

export interface LoadedModel {
  file: string;
  text: string;
  spec: ModelSpec;
  parsed: ParsedModel;
  train: Dataset;
  validation: Dataset | null;
}

/** The folder holding the built-in digits: media/ next to dist/ in the package (or above src/cli, run from source). */
export function mediaDir(): string {
  const bundled = path.resolve(__dirname, '..', 'media');
  const fromSource = path.resolve(__dirname, '..', '..', 'media');
  return existsSync(bundled) || !existsSync(fromSource) ? bundled : fromSource;
}

export interface LoadModelOptions {
  /** Overrides applied before the estimate (e.g. `train --batch-size`). */
  override?: Partial<Pick<ModelSpec, 'batchSize' | 'epochs'>>;
  /** Also check that a batch snapshot fits. */
  snapshot?: boolean;
}

export async function loadModel(opts: CommonOptions, how: LoadModelOptions = {}): Promise<LoadedModel> {
  const file = path.resolve(opts.file);
  const shown = path.relative(process.cwd(), file) || file;
  const text = await readModelFile(file, shown);
  const workspace = findWorkspace(file, opts.workspace);
  // How deep the file sits below the workspace: data paths may climb (`..`) at most that far.
  const fromRoot = path.relative(workspace, path.dirname(file));
  const location =
    fromRoot.startsWith('..') || path.isAbsolute(fromRoot)
      ? undefined
      : { folderDepth: fromRoot === '' ? 0 : fromRoot.split(path.sep).length };
  const parsed = parseModel(text, undefined, location);
  reportProblems(shown, text, parsed.problems);
  if (!parsed.spec) throw new ModelError('the model file has errors; nothing was trained', firstError(shown, text, parsed));
  const base: ModelSpec = opts.float64 ? { ...parsed.spec, dtype: 'float64' } : parsed.spec;
  const spec: ModelSpec = { ...base, ...how.override };

  const at = (field: 'source' | 'labels') => locate(shown, text, valueRange(text, ['data', field]));
  let dataPath: string | null = null;
  let labelsPath: string | null = null;
  let labelsName: string | undefined;
  let loaded: { train: Dataset; validation: Dataset | null };
  try {
    if (spec.data.source !== 'mnist') {
      dataPath = resolveDataPath(workspace, path.dirname(file), spec.data.source);
      if (spec.data.labels) {
        try {
          labelsPath = resolveDataPath(workspace, path.dirname(file), spec.data.labels);
        } catch (e) {
          throw e instanceof DataError ? e.at(at('labels')) : e;
        }
      }
    }
    labelsName = labelsPath ? path.relative(process.cwd(), labelsPath) || labelsPath : undefined;
    loaded = await loadDataset(spec.data, {
      dataPath,
      labelsPath,
      mediaDir: mediaDir(),
      seed: spec.seed,
      workspaceRoot: workspace,
      onWarning: (w) => process.stderr.write(`${locationText(at('source'))}: warning: ${w}\n`),
    });
  } catch (e) {
    if (e instanceof DataError) {
      const labels = labelsName !== undefined && (e.file === labelsName || e.file.startsWith(`${labelsName}:`));
      throw e.at(at(labels ? 'labels' : 'source'));
    }
    throw e;
  }
  const { train, validation } = loaded;
  // The data's shape is only known now for user files: check the network against it.
  const shapeProblems = checkShapes(parsed, text, { inputShape: train.inputShape, numClasses: train.numClasses });
  reportProblems(shown, text, shapeProblems);
  if (shapeProblems.some((p) => p.severity === 'error')) {
    throw new ModelError('the network does not fit the data; nothing was trained', locate(shown, text, shapeProblems[0].range));
  }
  const limit = opts.memoryLimit ?? defaultMemoryLimit();
  const refusal = memoryRefusal({
    spec,
    inputShape: train.inputShape,
    numClasses: train.numClasses,
    trainCount: train.count,
    validationCount: validation?.count,
    limit,
    snapshot: how.snapshot,
    snapshotLimit: heapLimit(limit),
    locateLayer: (i) => locate(shown, text, parsed.layerRanges[i] ?? { offset: 0, length: 0 }),
  });
  if (refusal) throw refusal;
  return { file: shown, text, spec, parsed, train, validation };
}

function firstError(shown: string, text: string, parsed: ParsedModel) {
  const p = parsed.problems.find((x) => x.severity === 'error');
  return locate(shown, text, p?.range ?? { offset: 0, length: 0 });
}

function locationText(l: { file: string; line: number; column: number }): string {
  return `${l.file}:${l.line}:${l.column}`;
}

function reportProblems(shown: string, text: string, problems: readonly import('../model/positions').ModelProblem[]): void {
  for (const p of problems) process.stderr.write(`${formatProblem(shown, text, p)}\n`);
}

/** The engine's backend rule (chooseBackend) on `--threads`, with the reason on stderr when WASM or a second thread does not load. */
export async function pickBackend(spec: ModelSpec, opts: Pick<CommonOptions, 'wasm' | 'threads'>): Promise<Backend> {
  return (await pickBackendChoice(spec, opts)).backend;
}

/** pickBackend, with the threads it got: the train command names them (`wasm-simd, up to 2 threads (…)`: backendLabel). */
export async function pickBackendChoice(spec: ModelSpec, opts: Pick<CommonOptions, 'wasm' | 'threads'>): Promise<BackendChoice> {
  const choice = await chooseEngineBackend(spec, opts.wasm, opts.threads ?? 'auto');
  if (choice.fallbackReason) process.stderr.write(`gradient-lens: ${choice.fallbackReason}\n`);
  return choice;
}

/** A backend per trainer for compare and repeat, on `--threads` (one helper thread at a time). */
export function backendFactory(opts: Pick<CommonOptions, 'wasm' | 'threads'>): (spec: ModelSpec) => Backend {
  return engineBackendFactory(opts.wasm, opts.threads ?? 'auto');
}

/** `--threads`: "auto" (absent), 1 or 2; anything else is refused, saying what is allowed. */
export function parseThreadsFlag(value: string | undefined): EngineThreads {
  if (value === undefined) return 'auto';
  const threads = parseEngineThreads(value);
  if (threads === undefined) throw new BadInput(`--threads: expected auto, 1 or 2, got "${value}"`);
  return threads;
}
