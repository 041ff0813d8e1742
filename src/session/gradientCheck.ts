// Runs the float64 gradient check in its own short-lived worker (the same dist/worker.js), so a
// training run keeps going meanwhile and Cancel can simply terminate the thread.

import * as vscode from 'vscode';
import { Worker } from 'node:worker_threads';
import type { WorkerEvent, WorkerRequest } from '../protocol';
import type { GradCheckResult } from '../engine/types';

export function runGradientCheckWorker(
  workerScript: string,
  request: Extract<WorkerRequest, { type: 'gradCheck' }>,
  token: vscode.CancellationToken,
): Promise<GradCheckResult> {
  return new Promise<GradCheckResult>((resolve, reject) => {
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
      if (event.type === 'gradCheck') finish(() => resolve(event.result));
      else if (event.type === 'error') finish(() => reject(new Error(event.message)));
    });
    worker.on('error', (err) => finish(() => reject(new Error(`The gradient check worker failed: ${err.message}`))));
    worker.on('exit', (code) => finish(() => reject(new Error(`The gradient check worker exited with code ${code}.`))));
    worker.postMessage(request);
  });
}
