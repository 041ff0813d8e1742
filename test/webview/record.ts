// Records the message sequence the extension host sends the webview during a real run: the real
// Run (src/run/run.ts, with the shared snapshot reducer and the host's caps) fed by the real
// training loop (src/session/workerLoop.ts) with the real engine on the real built-in digits, in
// this process. Seeded, so every recording of the same model is the same apart from timings. The
// host's throttling is left out: the webview gets every update. The engine's own numbers around the
// last step are kept too, so a test can check what the page shows against them.

import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import type { HostMessage } from '../../src/protocol';
import { Trainer, referenceBackend, gradientCheck, type NamedTensor } from '../../src/engine';
import type { Dataset } from '../../src/data/dataset';
import { createWasmBackend } from '../../src/engine/wasm/backend';
import { loadDataset } from '../../src/data/load';
import { parseModel } from '../../src/model';
import { Run } from '../../src/run/run';
import { DEFAULT_LIMITS } from '../../src/run/reducer';
import { EngineSource } from '../../src/run/engineSource';
import { openLocal } from '../../src/run/localChannel';

const root = path.resolve(__dirname, '..', '..');

/** What the engine itself held around the run's last step, read from the real Trainer (not from any message). */
export interface LastStep {
  trainer: Trainer;
  train: Dataset;
  /** Every tensor just before the last step, and the optimizer's first moment (momentum's velocity) then. */
  weightsBefore: NamedTensor[];
  firstMomentBefore: Map<string, number[]>;
}

export interface Recording {
  messages: HostMessage[];
  lastStep: LastStep;
}

/** Runs `file` (relative to the repo) for `epochs` epochs and returns what the host would post. */
export async function recordRun(file: string, overrides: { epochs?: number; limit?: number } = {}): Promise<Recording> {
  const parsed = parseModel(readFileSync(path.join(root, file), 'utf8'));
  if (!parsed.spec) throw new Error(`${file}: ${parsed.problems.map((p) => p.message).join('; ')}`);
  const spec = {
    ...parsed.spec,
    epochs: overrides.epochs ?? parsed.spec.epochs,
    data: { ...parsed.spec.data, limit: overrides.limit ?? parsed.spec.data.limit },
  };
  const messages: HostMessage[] = [];
  let lastStep = null as LastStep | null;
  let finish: () => void = () => {};
  const done = new Promise<void>((r) => (finish = r));
  const run = new Run(DEFAULT_LIMITS, {
    post: (m) => messages.push(structuredClone(m)),
    stateChanged: (state) => {
      if (state === 'finished' || state === 'failed') finish();
    },
    problem: () => {},
  });
  const source = new EngineSource({
    open: () =>
      openLocal({
        createTrainer: (opts) => {
          const trainer = new Trainer(opts);
          const trainStep = trainer.trainStep.bind(trainer);
          trainer.trainStep = () => {
            const weightsBefore = trainer.getWeights();
            const firstMomentBefore = new Map(
              weightsBefore.map((w) => [w.name, Array.from(trainer.optimizerState(w.layer, w.kind).first)]),
            );
            lastStep = { trainer, train: opts.train, weightsBefore, firstMomentBefore };
            return trainStep();
          };
          return trainer;
        },
        referenceBackend,
        createWasmBackend: async () => ({ backend: await createWasmBackend(), threads: 1, fallbackReason: null }),
        loadDataset,
        gradientCheck: (s, d) => gradientCheck(s, d),
      }),
    start: {
      spec,
      dataPath: null,
      labelsPath: null,
      mediaDir: path.join(root, 'media'),
      file,
      paused: false,
      settings: { pauseOnNonFinite: true, histogramEvery: 5, heatmapMaxCells: 48, detailIntervalMs: 0, useWasm: true },
    },
  });
  await run.start(source, { paused: false, stepOnly: false });
  await done;
  run.dispose();
  if (!lastStep) throw new Error(`${file}: the run made no step`);
  return { messages, lastStep };
}
