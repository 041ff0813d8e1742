// Shared by the PyTorch tests: load a model from text, train it on the engine and on PyTorch
// from the same start, and collect the PyTorch run's events until it ends.
import * as path from 'node:path';
import { loadDataset } from '../../../src/data/load';
import { Trainer } from '../../../src/engine';
import { parseModel } from '../../../src/model';
import type { ModelSpec } from '../../../src/model/spec';
import type { Dataset } from '../../../src/data/dataset';
import type { StepStats } from '../../../src/engine/types';
import type { SourceEvent, StepRecord } from '../../../src/run/source';
import { TorchSource, type TorchSourceOptions } from '../../../src/torch/source';

export const root = path.resolve(__dirname, '../../..');
const media = path.join(root, 'media');

export interface Loaded {
  spec: ModelSpec;
  train: Dataset;
  validation: Dataset | null;
}

export async function load(text: string): Promise<Loaded> {
  const parsed = parseModel(text);
  if (!parsed.spec) throw new Error(`bad test model: ${JSON.stringify(parsed.problems)}`);
  const spec = parsed.spec;
  const { train, validation } = await loadDataset(spec.data, {
    dataPath: null,
    labelsPath: null,
    mediaDir: media,
    seed: spec.seed,
  });
  return { spec, train, validation };
}

export function engineSteps(m: Loaded, steps: number): StepStats[] {
  const t = new Trainer({ spec: m.spec, train: m.train, validation: m.validation });
  const out: StepStats[] = [];
  for (let i = 0; i < steps && !t.done(); i++) out.push(t.trainStep());
  return out;
}

export interface TorchRun {
  events: SourceEvent[];
  steps: StepRecord[];
  failed: { kind: string; message: string } | null;
  pids: number[];
}

/** A PyTorch source for `m` from the engine's initial weights (not started). */
export function torchSource(m: Loaded, opts: Partial<TorchSourceOptions>): TorchSource {
  const t = new Trainer({ spec: m.spec, train: m.train, validation: m.validation });
  return new TorchSource({
    file: 'test.gradlens.json',
    spec: m.spec,
    train: m.train,
    validation: m.validation,
    weights: t.getWeights(),
    layers: t.layers,
    ...opts,
  });
}

/** Whether a process (a rank) still exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function torchRun(m: Loaded, opts: Partial<TorchSourceOptions>): Promise<TorchRun> {
  const source = torchSource(m, opts);
  const events: SourceEvent[] = [];
  await source.start((e) => events.push(e));
  await source.whenEnded();
  source.dispose();
  const steps = events.flatMap((e) => (e.type === 'step' ? [e.record] : []));
  const end = events.at(-1);
  return { events, steps, failed: end?.type === 'failed' ? end.error : null, pids: source.rankPids };
}

export const relative = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);

/** The largest relative difference of loss and of each layer's gradNorm over the steps compared. */
export function maxDifferences(a: StepStats[], b: StepStats[]): { loss: number; gradNorm: Map<number, number> } {
  let loss = 0;
  const gradNorm = new Map<number, number>();
  for (let s = 0; s < Math.min(a.length, b.length); s++) {
    loss = Math.max(loss, relative(a[s].loss, b[s].loss));
    for (let l = 0; l < b[s].layers.length; l++) {
      const layer = b[s].layers[l].layer;
      gradNorm.set(layer, Math.max(gradNorm.get(layer) ?? 0, relative(a[s].layers[l].gradNorm, b[s].layers[l].gradNorm)));
    }
  }
  return { loss, gradNorm };
}
