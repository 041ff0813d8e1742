// Entry of the training worker (bundled to dist/worker.js): wires the training loop to the real
// engine, WASM kernels and data loaders. Everything it does is in workerLoop.ts.

import { parentPort, workerData } from 'node:worker_threads';
import { setPriority } from 'node:os';
import { Trainer, referenceBackend, gradientCheck } from '../engine';
import { createWasmBackend, createWasmBackendSync } from '../engine/wasm/backend';
import { loadDataset } from '../data/load';
import { runWorker, type WorkerPort } from './workerLoop';

/** The training thread's nice value (0 normal, 19 lowest). */
const TRAINING_THREAD_NICE = 10;

if (!parentPort) throw new Error('dist/worker.js runs only as a worker_thread of the Gradient Lens extension.');

// Training at full speed must not starve the extension host's own thread (the same process runs
// every extension's event loop): on a busy machine that thread is served first. On Linux the nice
// value belongs to the calling thread alone; elsewhere it would lower the whole process, so there
// the thread keeps its priority.
if (process.platform === 'linux') {
  try {
    setPriority(TRAINING_THREAD_NICE);
  } catch {
    // Not allowed here: train at the normal priority.
  }
}

runWorker(
  parentPort as unknown as WorkerPort,
  {
    createTrainer: (opts) => new Trainer(opts),
    referenceBackend,
    createWasmBackend: () => createWasmBackend(),
    loadDataset,
    gradientCheck: (spec, data) => gradientCheck(spec, data),
    createWasmBackendSync: () => createWasmBackendSync(),
  },
  workerData?.interrupt instanceof SharedArrayBuffer ? new Int32Array(workerData.interrupt) : undefined,
);
