// Loads what a debug session trains: the model file (validated, with positioned problems), its
// data and a compute backend. Problems come back as text lines for the Debug Console instead of
// going to stderr, because over stdio stdout is the protocol channel and the user reads the console.

import * as path from 'node:path';
import type { ModelSpec } from '../model/spec';
import type { Dataset } from '../data/dataset';
import type { Backend } from '../engine/backend';
import { parseModel, checkShapes, formatProblem, type ParsedModel } from '../model';
import { loadDataset, resolveDataPath, DataError } from '../data/load';
import { readModelFile } from '../data/safeOpen';
import { GradientLensError } from '../errors/types';
import { backendLabel } from '../engine/chooseBackend';
import { chooseEngineBackend, type EngineThreads } from '../engine-host/threads';

export interface LaunchOverrides {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
}

export interface LoadedRun {
  file: string;
  text: string;
  parsed: ParsedModel;
  spec: ModelSpec;
  train: Dataset;
  validation: Dataset | null;
  backend: Backend;
  /** The backend as the panel names it (`wasm-simd, up to 2 threads (…)`, backendLabel); default its name. */
  label?: string;
  /** Warnings worth showing in the Debug Console. */
  warnings: string[];
}

/** A failure the user can fix; the message is complete (positioned where it is about the file). */
export class LaunchError extends Error {}

export interface LoadOptions {
  model: string;
  /** The folder data paths must stay inside. */
  workspace: string;
  /** Folder holding the built-in digits (media/ of the package). */
  mediaDir: string;
  overrides: LaunchOverrides;
  wasm: boolean;
  /** The engine's threads (the setting gradientLens.engineThreads; default "auto"). */
  threads?: EngineThreads;
}

export async function loadRun(o: LoadOptions): Promise<LoadedRun> {
  const file = path.resolve(o.model);
  let text: string;
  try {
    // Opened and checked first: a FIFO or device named as the model must be refused, not block the adapter.
    text = await readModelFile(file, file);
  } catch (e) {
    const why = e instanceof GradientLensError ? e.detail : (e as Error).message;
    throw new LaunchError(`Cannot read the model file ${file} (${why.replace(/^cannot read the model file \((.*)\)$/, '$1')}).`);
  }
  const fromRoot = path.relative(path.resolve(o.workspace), path.dirname(file));
  const location =
    fromRoot.startsWith('..') || path.isAbsolute(fromRoot)
      ? undefined
      : { folderDepth: fromRoot === '' ? 0 : fromRoot.split(path.sep).length };
  const parsed = parseModel(text, undefined, location);
  const shown = path.basename(file);
  const lines = parsed.problems.map((p) => formatProblem(shown, text, p));
  if (!parsed.spec) throw new LaunchError(`${shown} has errors; nothing was trained:\n${lines.join('\n')}`);
  let spec = parsed.spec;
  const { epochs, batchSize, learningRate } = o.overrides;
  if (epochs !== undefined) spec = { ...spec, epochs: positiveInt('epochs', epochs) };
  if (batchSize !== undefined) spec = { ...spec, batchSize: positiveInt('batchSize', batchSize) };
  if (learningRate !== undefined) {
    if (!(typeof learningRate === 'number' && learningRate >= 0 && Number.isFinite(learningRate)))
      throw new LaunchError(`The launch attribute "learningRate" must be a number ≥ 0, got ${JSON.stringify(learningRate)}.`);
    spec = { ...spec, optimizer: { ...spec.optimizer, learningRate } };
  }
  try {
    let dataPath: string | null = null,
      labelsPath: string | null = null;
    if (spec.data.source !== 'mnist') {
      dataPath = resolveDataPath(path.resolve(o.workspace), path.dirname(file), spec.data.source);
      if (spec.data.labels) labelsPath = resolveDataPath(path.resolve(o.workspace), path.dirname(file), spec.data.labels);
    }
    const { train, validation } = await loadDataset(spec.data, {
      dataPath,
      labelsPath,
      mediaDir: o.mediaDir,
      seed: spec.seed,
      workspaceRoot: path.resolve(o.workspace),
    });
    const shapeProblems = checkShapes(parsed, text, { inputShape: train.inputShape, numClasses: train.numClasses });
    const shapeLines = shapeProblems.map((p) => formatProblem(shown, text, p));
    if (shapeProblems.some((p) => p.severity === 'error'))
      throw new LaunchError(`The network in ${shown} does not fit its data:\n${shapeLines.join('\n')}`);
    return {
      file,
      text,
      parsed,
      spec,
      train,
      validation,
      ...(await pickBackend(spec, o.wasm, o.threads ?? 'auto')),
      warnings: [...lines, ...shapeLines],
    };
  } catch (e) {
    if (e instanceof DataError) throw new LaunchError(e.message);
    throw e;
  }
}

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw new LaunchError(`The launch attribute "${name}" must be a positive whole number, got ${JSON.stringify(v)}.`);
  return v;
}

/** The engine's rule (chooseBackend) on the launch's threads: the plain kernels and one thread compute the same. */
async function pickBackend(spec: ModelSpec, wasm: boolean, threads: EngineThreads): Promise<{ backend: Backend; label: string }> {
  const choice = await chooseEngineBackend(spec, wasm, threads);
  return { backend: choice.backend, label: backendLabel(choice) + (choice.fallbackReason ? ` (${choice.fallbackReason})` : '') };
}
