// Starts the WASM backend's helper thread in Node: an eval'd worker_thread running the engine's
// helper source (src/engine/wasm/team.ts) on the shared memory. The source is a string, so this
// works unchanged from a bundle (dist/cli.js, dist/worker.js) and from inside another
// worker_thread (the training worker): Node ends a thread's child threads when the thread ends.

import { Worker } from 'node:worker_threads';
import type { SpawnHelper } from '../engine/wasm/team';

/**
 * unref'd, so a helper waiting for work never keeps the process alive. A helper that fails to
 * start (its 'error' event) leaves the backend on one thread: the team counts it as not started,
 * and without a listener the error would end the whole process.
 */
export const nodeSpawnHelper: SpawnHelper = (source, init) => {
  const worker = new Worker(`const { workerData } = require('node:worker_threads');\n(${source})(workerData);`, {
    eval: true,
    workerData: init,
    // The helper only runs kernels on the shared memory: a small heap is plenty.
    resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 },
  });
  worker.on('error', () => {});
  worker.unref();
  return { terminate: () => void worker.terminate() };
};
