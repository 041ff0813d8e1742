// The worker loop in this thread, as a Transport: what the tests and the webview recorder use to
// drive the real loop, the real engine and the real Run without a worker_thread. Messages go
// through structuredClone and a macrotask each way, as they would between threads.

import type { WorkerEvent, WorkerRequest } from '../protocol';
import { runWorker, type WorkerDeps } from '../session/workerLoop';
import { WorkerChannel, type HeartbeatOptions, type Transport } from './workerChannel';

export function localTransport(deps: WorkerDeps, interrupt?: Int32Array): Transport {
  let toWorker: (request: unknown) => void = () => {};
  let toHost: (raw: unknown) => void = () => {};
  let ended = false;
  runWorker(
    {
      postMessage: (event: WorkerEvent) => {
        const copy = structuredClone(event);
        setImmediate(() => {
          if (!ended) toHost(copy);
        });
      },
      on: (_event, listener) => {
        toWorker = listener;
      },
    },
    deps,
    interrupt,
  );
  return {
    postMessage: (message: WorkerRequest) => {
      const copy = structuredClone(message);
      setImmediate(() => {
        if (!ended) toWorker(copy);
      });
    },
    terminate: async () => {
      ended = true;
    },
    onMessage: (listener) => {
      toHost = listener;
    },
    onEnd: () => {},
  };
}

export function openLocal(deps: WorkerDeps, heartbeat?: HeartbeatOptions): WorkerChannel {
  const interrupt = new Int32Array(new SharedArrayBuffer(4));
  return new WorkerChannel(localTransport(deps, interrupt), heartbeat, interrupt);
}
