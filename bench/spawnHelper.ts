// Starts the WASM backend's helper thread in Node: an eval'd worker_thread running the engine's
// helper source (src/engine/wasm/team.ts) on the shared memory. unref'd, so a helper waiting for
// work never keeps the process alive.

import { Worker } from 'node:worker_threads';
import type { SpawnHelper } from '../src/engine/wasm/team';

export const nodeSpawnHelper: SpawnHelper = (source, init) => {
  const worker = new Worker(`const { workerData } = require('node:worker_threads');\n(${source})(workerData);`, {
    eval: true,
    workerData: init,
  });
  worker.unref();
  return { terminate: () => void worker.terminate() };
};
