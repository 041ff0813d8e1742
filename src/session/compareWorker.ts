// Runs Compare Batch Sizes in its own short-lived worker (the same dist/worker.js), like the
// gradient check: a training run keeps going meanwhile, progress comes back as events, and
// Cancel simply terminates the thread.

import * as vscode from 'vscode';
import { Worker } from 'node:worker_threads';
import type { CompareResult, WorkerEvent, WorkerRequest } from '../protocol';

export interface CompareProgress { run: number; runs: number; examplesSeen: number; examplesTotal: number }

export function runCompareWorker(
  workerScript: string,
  request: Extract<WorkerRequest, { type: 'compare' }>,
  token: vscode.CancellationToken,
  onProgress: (p: CompareProgress) => void,
): Promise<CompareResult> {
  return new Promise<CompareResult>((resolve, reject) => {
    const worker = new Worker(workerScript);
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      cancel.dispose();
      void worker.terminate();
      fn();
    };
    const cancel = token.onCancellationRequested(() => finish(() => reject(new vscode.CancellationError())));
    worker.on('message', (event: WorkerEvent) => {
      if (event.type === 'compareProgress') onProgress(event);
      else if (event.type === 'compare') finish(() => resolve(event.result));
      else if (event.type === 'error') finish(() => reject(new Error(event.message)));
    });
    worker.on('error', (err) => finish(() => reject(new Error(`The comparison worker failed: ${err.message}`))));
    worker.on('exit', (code) => finish(() => reject(new Error(`The comparison worker exited with code ${code}.`))));
    worker.postMessage(request);
  });
}
