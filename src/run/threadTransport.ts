// A worker_thread as a Transport: dist/worker.js with a heap limit, and the shared interrupt flag
// the training loop checks between steps. Node only.

import { createWriteStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { WorkerRequest } from '../protocol';
import { WorkerChannel, type HeartbeatOptions, type ThreadMemory, type Transport, type WorkerLimits } from './workerChannel';

export function threadTransport(script: string, limits: WorkerLimits, interrupt?: Int32Array): Transport {
  const worker = new Worker(script, {
    workerData: { ...(interrupt ? { interrupt: interrupt.buffer } : {}), engineThreads: limits.engineThreads ?? 'auto' },
    resourceLimits: { maxOldGenerationSizeMb: Math.max(64, Math.floor(limits.heapMb)) },
  });
  return {
    postMessage: (message: WorkerRequest) => worker.postMessage(message),
    terminate: async () => {
      await worker.terminate();
    },
    onMessage: (listener) => {
      worker.on('message', listener);
    },
    onEnd: (listener) => {
      worker.on('error', (err: Error & { code?: string }) =>
        listener(
          err.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? `it ran out of memory: the model or its batch needs more than the ${limits.heapMb} MB of the setting gradientLens.workerMemoryMb`
            : err.message,
        ),
      );
      worker.on('exit', (code) => listener(`it exited with code ${code}`));
    },
    memory: () => threadMemory(worker),
    writeHeapSnapshot: async (file) => pipeline(await worker.getHeapSnapshot(), createWriteStream(file)),
  };
}

/** V8's heap statistics of a worker's isolate (Node ≥ 22.16 has them; older hosts: null). */
async function threadMemory(worker: Worker): Promise<ThreadMemory | null> {
  const stats = (worker as Worker & { getHeapStatistics?(): Promise<Record<string, number>> }).getHeapStatistics;
  if (typeof stats !== 'function') return null;
  const h = await stats.call(worker);
  return { heapUsed: h.used_heap_size, heapTotal: h.total_heap_size, external: h.external_memory };
}

/** A channel to a fresh worker_thread running `script`; its heartbeat allows for the machine's load unless told otherwise. */
export function openThread(script: string, limits: WorkerLimits, heartbeat?: HeartbeatOptions): WorkerChannel {
  const interrupt = new Int32Array(new SharedArrayBuffer(4));
  return new WorkerChannel(
    threadTransport(script, limits, interrupt),
    heartbeat && { load: machineLoad, ...heartbeat },
    interrupt,
  );
}

/**
 * Runnable threads per CPU core (at least 1): on Linux the larger of the running count in
 * /proc/loadavg (now) and the 1-minute load average; elsewhere the load average (0 on Windows,
 * which gives 1: there, the setting gradientLens.workerTimeoutSeconds is the way to allow more).
 */
export function machineLoad(): number {
  let proc = '';
  try {
    proc = readFileSync('/proc/loadavg', 'utf8');
  } catch {
    // Not Linux: the load average alone.
  }
  return loadPerCore(loadavg()[0], proc, availableParallelism());
}

/**
 * machineLoad's arithmetic on its readings (exported so that it can be checked on values chosen by
 * hand, the live readings being the machine's): `average` the 1-minute load average, `procLoadavg`
 * the text of /proc/loadavg ('' where there is none), `cores` the available parallelism.
 */
export function loadPerCore(average: number, procLoadavg: string, cores: number): number {
  let runnable = average;
  const running = /^\S+ \S+ \S+ (\d+)\//.exec(procLoadavg);
  if (running) runnable = Math.max(runnable, Number(running[1]));
  return Number.isFinite(runnable) ? Math.max(1, runnable / Math.max(1, cores)) : 1;
}
