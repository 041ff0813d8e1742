// Jobs that run in their own short-lived worker (the same dist/worker.js): the gradient check,
// Compare Batch Sizes and the batch snapshot. A training run keeps going meanwhile, progress comes
// back as events, and Cancel simply terminates the thread.

import * as vscode from 'vscode';
import { Worker } from 'node:worker_threads';
import type { CompareResult, RepeatResult, WorkerEvent, WorkerRequest } from '../protocol';
import type { BatchSnapshot } from '../engine/snapshot';
import type { GradCheckResult } from '../engine/types';

export interface CompareProgress { run: number; runs: number; examplesSeen: number; examplesTotal: number }

export function runCompareWorker(
  workerScript: string,
  request: Extract<WorkerRequest, { type: 'compare' }>,
  token: vscode.CancellationToken,
  onProgress: (p: CompareProgress) => void,
): Promise<CompareResult> {
  return runOneShot(workerScript, request, token, 'comparison', (event) => {
    if (event.type === 'compareProgress') onProgress(event);
    return event.type === 'compare' ? event.result : undefined;
  });
}

export function runRepeatWorker(
  workerScript: string,
  request: Extract<WorkerRequest, { type: 'repeat' }>,
  token: vscode.CancellationToken,
): Promise<RepeatResult> {
  return runOneShot(workerScript, request, token, 'Repeat One Example', (event) => (event.type === 'repeat' ? event.result : undefined));
}

export function runGradientCheckWorker(
  workerScript: string,
  request: Extract<WorkerRequest, { type: 'gradCheck' }>,
  token: vscode.CancellationToken,
): Promise<GradCheckResult> {
  return runOneShot(workerScript, request, token, 'gradient check', (event) => (event.type === 'gradCheck' ? event.result : undefined));
}

export function runBatchSnapshotWorker(
  workerScript: string,
  request: Extract<WorkerRequest, { type: 'batchSnapshot' }>,
  token: vscode.CancellationToken,
): Promise<BatchSnapshot> {
  return runOneShot(workerScript, request, token, 'batch snapshot', (event) => (event.type === 'batchSnapshot' ? event.snapshot : undefined));
}

/** Posts `request` to a fresh worker and resolves with the first event `answer` maps to a value. */
function runOneShot<T>(
  workerScript: string, request: WorkerRequest, token: vscode.CancellationToken, what: string,
  answer: (event: WorkerEvent) => T | undefined,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
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
      if (event.type === 'error') return finish(() => reject(new Error(event.message)));
      const value = answer(event);
      if (value !== undefined) finish(() => resolve(value));
    });
    worker.on('error', (err) => finish(() => reject(new Error(`The ${what} worker failed: ${err.message}`))));
    worker.on('exit', (code) => finish(() => reject(new Error(`The ${what} worker exited with code ${code}.`))));
    worker.postMessage(request);
  });
}
