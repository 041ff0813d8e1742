// Entry of the training worker (bundled to dist/worker.js): wires the training loop to the real
// engine, WASM kernels and data loaders. Everything it does is in workerLoop.ts.

import { parentPort, resourceLimits, workerData } from 'node:worker_threads';
import { Trainer, referenceBackend, gradientCheck } from '../engine';
import { loadDataset } from '../data/load';
import { chooseEngineBackend, engineBackendFactory, parseEngineThreads } from '../engine-host/threads';
import { runWorker, type WorkerPort } from './workerLoop';

if (!parentPort) throw new Error('dist/worker.js runs only as a worker_thread of the Gradient Lens extension.');

// The setting gradientLens.engineThreads, given when the thread was opened (threadTransport.ts).
const threads = parseEngineThreads(workerData?.engineThreads) ?? 'auto';
// One factory for the worker's life: a one-shot job's trainers hold one helper thread at a time.
const wasmFactory = engineBackendFactory(true, threads);

runWorker(
  parentPort as unknown as WorkerPort,
  {
    createTrainer: (opts) => new Trainer(opts),
    referenceBackend,
    createWasmBackend: () => chooseEngineBackend({ dtype: 'float32' }, true, threads),
    loadDataset,
    gradientCheck: (spec, data) => gradientCheck(spec, data),
    createWasmBackendSync: () => wasmFactory({ dtype: 'float32' }),
    memoryLimit: resourceLimits.maxOldGenerationSizeMb ? resourceLimits.maxOldGenerationSizeMb * 2 ** 20 : undefined,
  },
  workerData?.interrupt instanceof SharedArrayBuffer ? new Int32Array(workerData.interrupt) : undefined,
);
