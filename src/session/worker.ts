// Entry of the training worker (bundled to dist/worker.js): wires the training loop to the real
// engine, WASM kernels and data loaders. Everything it does is in workerLoop.ts.

import { parentPort, workerData } from 'node:worker_threads';
import { Trainer, referenceBackend, gradientCheck } from '../engine';
import { createWasmBackend, createWasmBackendSync } from '../engine/wasm/backend';
import { loadDataset } from '../data/load';
import { runWorker, type WorkerPort } from './workerLoop';

if (!parentPort) throw new Error('dist/worker.js runs only as a worker_thread of the Gradient Lens extension.');

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
