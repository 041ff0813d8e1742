// Records the message sequence the extension host sends the webview during a real run: the real
// training loop (src/session/workerLoop.ts) with the real engine on the real built-in digits, in
// this process. Seeded, so every recording of the same model is the same apart from timings.

import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import type { HostMessage, SessionSnapshot, WorkerEvent, WorkerRequest, WorkerSettings } from '../../src/protocol';
import { runWorker, type WorkerPort } from '../../src/session/workerLoop';
import { Trainer, referenceBackend, gradientCheck } from '../../src/engine';
import { createWasmBackend } from '../../src/engine/wasm/backend';
import { loadDataset } from '../../src/data/load';
import { parseModel } from '../../src/model';

const root = path.resolve(__dirname, '..', '..');

export interface Recording { messages: HostMessage[] }

const settings: WorkerSettings = { pauseOnNonFinite: true, histogramEvery: 5, heatmapMaxCells: 48, detailIntervalMs: 0, useWasm: true };

/** Runs `file` (relative to the repo) for `epochs` epochs and returns what the host would post. */
export async function recordRun(file: string, overrides: { epochs?: number; limit?: number } = {}): Promise<Recording> {
  const parsed = parseModel(readFileSync(path.join(root, file), 'utf8'));
  if (!parsed.spec) throw new Error(`${file}: ${parsed.problems.map((p) => p.message).join('; ')}`);
  const spec = { ...parsed.spec, epochs: overrides.epochs ?? parsed.spec.epochs, data: { ...parsed.spec.data, limit: overrides.limit ?? parsed.spec.data.limit } };
  const messages: HostMessage[] = [];
  const listeners: ((r: WorkerRequest) => void)[] = [];
  let finish: () => void = () => {};
  const done = new Promise<void>((r) => (finish = r));
  const port: WorkerPort = {
    postMessage(e: WorkerEvent) {
      const m = toHost(e, spec);
      if (m) messages.push(m);
      if ((e.type === 'status' && (e.status.state === 'finished' || e.status.state === 'error')) || e.type === 'error' || e.type === 'gradCheck') finish();
    },
    on(_event, listener) { listeners.push(listener); },
  };
  runWorker(port, {
    createTrainer: (opts) => new Trainer(opts),
    referenceBackend,
    createWasmBackend: () => createWasmBackend(),
    loadDataset,
    gradientCheck: (s, d) => gradientCheck(s, d),
  });
  const post = (r: WorkerRequest): void => listeners.forEach((l) => l(r));
  post({ type: 'start', spec, dataPath: null, labelsPath: null, mediaDir: path.join(root, 'media'), file, settings, paused: false });
  await done;
  return { messages };
}

/** The worker's events as the host forwards them to the webview. */
function toHost(e: WorkerEvent, spec: SessionSnapshot['run'] extends infer R ? any : never): HostMessage | null {
  switch (e.type) {
    case 'started': {
      const snapshot: SessionSnapshot = {
        run: e.run, status: { state: 'running', step: 0, epoch: 1 }, history: [], epochs: [], histograms: [],
        detail: null, heatmapMode: 'grad', selection: null, gradCheck: null, compare: null,
      };
      void spec;
      return { type: 'snapshot', snapshot };
    }
    case 'steps': return { type: 'steps', points: e.points };
    case 'detail': return { type: 'detail', detail: e.detail };
    case 'epoch': return { type: 'epoch', epoch: e.epoch };
    case 'status': return { type: 'status', status: e.status };
    case 'gradCheck': return { type: 'gradCheck', result: e.result };
    case 'error': return { type: 'status', status: { state: 'error', message: e.message, step: 0, epoch: 0, nonFinite: e.nonFinite } };
    default: return null;
  }
}
