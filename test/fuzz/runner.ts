// Runs fuzz cases and classifies each: accepted (trained a step), refused (one of our typed
// errors: a clear, positioned message), internal (anything else: a bug), slow (took longer than
// the hang budget). Model cases go through the parser, the CLI's loader (data, shapes, memory
// estimate) and two training steps in process; a share also through the real CLI in a child
// process with a timeout. Data cases go through the loaders and a training step.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseModel } from '../../src/model';
import { loadModel } from '../../src/cli/common';
import { loadDataset } from '../../src/data/load';
import { Trainer, referenceBackend } from '../../src/engine';
import { isGradientLensError } from '../../src/errors';
import type { LayerSpec, ModelSpec } from '../../src/model/spec';
import { makeSpec } from '../unit/engine/helpers';
import { writeDataCase, type DataCase } from './data';

export type Outcome = 'accepted' | 'refused' | 'internal' | 'slow';

export interface Tally {
  accepted: number;
  refused: number;
  internal: number;
  slow: number;
  /** The slowest case, in ms. */
  slowestMs: number;
  /** Examples of internal errors and slow cases (first few), for the report. */
  problems: string[];
}

export const newTally = (): Tally => ({ accepted: 0, refused: 0, internal: 0, slow: 0, slowestMs: 0, problems: [] });

/** Memory the in-process runs may plan for: keeps the fuzz run's memory bounded. */
export const FUZZ_MEMORY_LIMIT = 256 * 2 ** 20;
/** A case taking longer than this counts as a hang. */
export const HANG_MS = 20_000;

function record(t: Tally, outcome: Outcome, ms: number, what: () => string): void {
  t[outcome]++;
  if (process.env.FUZZ_VERBOSE) process.stderr.write(`${outcome}: ${what().split('\n')[0]}\n`);
  t.slowestMs = Math.max(t.slowestMs, ms);
  if ((outcome === 'internal' || outcome === 'slow') && t.problems.length < 8) t.problems.push(what());
}

/** stderr is muted while a case runs (the loader reports problems there, as the CLI does). */
async function quietly<T>(f: () => Promise<T>): Promise<T> {
  const write = process.stderr.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return await f();
  } finally {
    process.stderr.write = write;
  }
}

function classify(e: unknown): Outcome {
  return isGradientLensError(e) ? 'refused' : 'internal';
}

function train(
  spec: ModelSpec,
  data: { train: import('../../src/data/dataset').Dataset; validation: import('../../src/data/dataset').Dataset | null },
  steps: number,
): void {
  const trainer = new Trainer({
    spec: { ...spec, epochs: 1 },
    train: data.train,
    validation: data.validation,
    backend: referenceBackend(spec.dtype),
  });
  for (let s = 0; s < steps && !trainer.done(); s++) trainer.trainStep();
}

export async function runModelCase(text: string, ws: string, n: number, t: Tally): Promise<void> {
  const file = path.join(ws, `case${n % 50}.gradlens.json`);
  writeFileSync(file, text);
  await settle(
    t,
    async () => {
      parseModel(text);
      const model = await quietly(() =>
        loadModel({ file, float64: false, wasm: false, workspace: ws, memoryLimit: FUZZ_MEMORY_LIMIT }),
      );
      train(model.spec, model, 2);
    },
    (ms, error) => `model case ${n} (${ms.toFixed(0)} ms): ${error.slice(0, 300)}\n${text.slice(0, 400)}`,
  );
}

/** Runs one case and records its outcome: accepted, refused (a typed error), internal, or slow. */
async function settle(t: Tally, body: () => Promise<void>, describe: (ms: number, error: string) => string): Promise<void> {
  const started = performance.now();
  let outcome: Outcome = 'accepted';
  let error = '';
  try {
    await body();
  } catch (e) {
    outcome = classify(e);
    error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
  const ms = performance.now() - started;
  if (ms > HANG_MS && outcome !== 'internal') outcome = 'slow';
  record(t, outcome, ms, () => describe(ms, error));
}

export async function runDataCase(c: DataCase, ws: string, n: number, t: Tally): Promise<void> {
  const { dataPath, labelsPath } = writeDataCase(ws, c, n);
  await settle(
    t,
    async () => {
      const data = await loadDataset(
        { source: path.basename(dataPath), validationSplit: 0.2 },
        { dataPath, labelsPath, mediaDir: '', seed: n, workspaceRoot: ws, onWarning: () => undefined },
      );
      const layers: LayerSpec[] = [
        { type: 'dense', units: 4, activation: 'relu' },
        { type: 'dense', units: data.train.numClasses, activation: 'linear' },
      ];
      train(makeSpec(layers, { name: 'fuzz', seed: n, dtype: 'float32', data: { source: 'x', validationSplit: 0.2 } }), data, 1);
    },
    (ms, error) => `data case ${n} (${c.kind}, ${ms.toFixed(0)} ms): ${error.slice(0, 300)}`,
  );
}

/** The real CLI in a child process: `train --epochs 1` with a memory limit and a timeout. */
export function runCliCase(text: string, ws: string, n: number, t: Tally, cli: string): void {
  const file = path.join(ws, `cli${n % 50}.gradlens.json`);
  writeFileSync(file, text);
  const started = performance.now();
  const r = spawnSync(process.execPath, [cli, 'train', file, '--epochs', '1', '--memory-limit', '256M'], {
    cwd: ws,
    encoding: 'utf8',
    timeout: HANG_MS,
    maxBuffer: 16 * 2 ** 20,
  });
  const ms = performance.now() - started;
  let outcome: Outcome;
  if (r.error || r.signal) outcome = 'slow';
  else if (r.status === 0) outcome = 'accepted';
  else if (r.status === 2 && !/internal error|\n\s+at /.test(r.stderr)) outcome = 'refused';
  else if (r.status === 1 && /training stopped/.test(r.stderr) && !/internal error/.test(r.stderr)) outcome = 'accepted';
  else outcome = 'internal';
  record(
    t,
    outcome,
    ms,
    () =>
      `cli case ${n} (exit ${r.status}, ${r.signal ?? ''} ${ms.toFixed(0)} ms): ${r.stderr.slice(-400)}\n${text.slice(0, 300)}`,
  );
}
