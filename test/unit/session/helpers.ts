// Shared fixtures of the session tests.
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Trainer, gradientCheck, referenceBackend } from '../../../src/engine';
import { Rng } from '../../../src/engine/random';
import type { WorkerEvent } from '../../../src/protocol';
import { runWorker, type WorkerDeps, type WorkerPort } from '../../../src/session/workerLoop';
import type { Dataset } from '../../../src/data/dataset';
import type { LayerSpec, ModelSpec } from '../../../src/model/spec';
import { EngineSource, type EngineSourceOptions } from '../../../src/run/engineSource';
import { openLocal } from '../../../src/run/localChannel';
import { makeSpec, optimizer } from '../specs';

/** A small seeded tabular dataset with class-dependent means, so the loss can fall. */
export function dataset(count: number, features: number, classes: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const x = new Float32Array(count * features);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    y[i] = i % classes;
    for (let f = 0; f < features; f++) x[i * features + f] = rng.next() * 0.5 + (f % classes === y[i] ? 0.5 : 0);
  }
  return { name: 'generated', inputShape: [features], numClasses: classes, count, x, y };
}

/** A small MLP over `dataset(…, 12 features, 4 classes)`: the worker-loop and run tests change only what they test. */
export function loopSpec(overrides: Partial<ModelSpec> = {}): ModelSpec {
  const layers: LayerSpec[] = [
    { type: 'dense', units: 16, activation: 'relu' },
    { type: 'dense', units: 4, activation: 'linear' },
  ];
  const data = { source: 'generated.csv', validationSplit: 0.25 };
  return makeSpec(layers, {
    name: 'loop',
    seed: 3,
    dtype: 'float32',
    data,
    optimizer: optimizer({ momentum: 0.9 }),
    batchSize: 8,
    epochs: 3,
    ...overrides,
  });
}

/** The worker's training loop on one end of a real MessageChannel, with the real engine. */
export interface LoopHarness {
  events: WorkerEvent[];
  /** The host's end: post requests here. */
  port: MessagePort;
  /** Calls `listener` after every event the loop posts. */
  onEvent(listener: () => void): void;
  /** Resolves once `pred` holds (checked after each event); rejects after `ms` naming what was awaited and the events seen. */
  until(pred: () => boolean, what?: string, ms?: number): Promise<void>;
  close(): void;
}

/**
 * Starts the loop over in-memory data. `createTrainer` defaults to the engine's Trainer; a test may
 * pass its own to keep a handle on the real trainer (to read what the engine computed).
 */
export function openLoop(
  data: { train: Dataset; validation: Dataset | null },
  options: { interrupt?: Int32Array; createTrainer?: WorkerDeps['createTrainer'] } = {},
): LoopHarness {
  const { port1, port2 } = new MessageChannel();
  runWorker(
    port1 as unknown as WorkerPort,
    {
      createTrainer: options.createTrainer ?? ((o) => new Trainer(o)),
      referenceBackend,
      createWasmBackend: () => Promise.reject(new Error('no WASM in the worker-loop tests')),
      loadDataset: async () => data,
      gradientCheck: (sp, d) => gradientCheck(sp, d),
    },
    options.interrupt,
  );
  const events: WorkerEvent[] = [];
  const listeners: Array<() => void> = [];
  port2.on('message', (e: WorkerEvent) => {
    events.push(e);
    listeners.forEach((l) => l());
  });
  const until = (pred: () => boolean, what = 'the awaited event', ms = 60000) =>
    new Promise<void>((resolve, reject) => {
      if (pred()) return resolve();
      const timer = setTimeout(
        () => reject(new Error(`no ${what} within ${ms / 1000} s; events: ${events.map((e) => e.type).join(', ')}`)),
        ms,
      );
      listeners.push(() => {
        if (pred()) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  return {
    events,
    port: port2,
    onEvent: (l) => listeners.push(l),
    until,
    close: () => {
      port1.close();
      port2.close();
    },
  };
}

/**
 * The run's engine source with the real training loop and engine in this thread (reference
 * backend, no WASM), on fixed datasets: what the extension runs in its worker_thread.
 */
export function localEngineSource(
  start: EngineSourceOptions['start'],
  data: { train: Dataset; validation: Dataset | null },
): EngineSource {
  return new EngineSource({
    open: () =>
      openLocal({
        createTrainer: (o) => new Trainer(o),
        referenceBackend,
        createWasmBackend: () => Promise.reject(new Error('no WASM here')),
        loadDataset: async () => data,
        gradientCheck: (s, d) => gradientCheck(s, d),
      }),
    start,
  });
}
