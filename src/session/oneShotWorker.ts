// Jobs that run in their own short-lived worker (the same dist/worker.js): the gradient check,
// Compare Batch Sizes, Repeat One Example and the batch snapshot. A training run keeps going meanwhile, progress comes
// back as events, and Cancel simply terminates the thread.

import * as vscode from 'vscode';
import type { CompareResult, JobRequest, WorkerAnswer } from '../protocol';
import type { RequestWithoutId, WorkerChannel } from '../run/workerChannel';
import { openThread } from '../run/threadTransport';

export interface CompareProgress {
  run: number;
  runs: number;
  examplesSeen: number;
  examplesTotal: number;
}

type Job<T extends JobRequest['type']> = Extract<RequestWithoutId, { type: T }>;

/** The worker script and its heap limit in MB (the setting gradientLens.workerMemoryMb). */
export interface JobWorker {
  script: string;
  heapMb: number;
  /** The setting gradientLens.engineThreads. */
  engineThreads?: 'auto' | 1 | 2;
}

export async function runCompareWorker(
  worker: JobWorker,
  request: Job<'compare'>,
  token: vscode.CancellationToken,
  onProgress: (p: CompareProgress) => void,
): Promise<CompareResult> {
  const answer = await runOneShot(worker, request, token, 'comparison', (channel) =>
    channel.onEvent((event) => {
      if (event.type === 'compareProgress') onProgress(event);
    }),
  );
  return (answer as Extract<WorkerAnswer, { type: 'compare' }>).result;
}

const WHAT: Record<'gradCheck' | 'repeat' | 'batchSnapshot', string> = {
  gradCheck: 'gradient check',
  repeat: 'Repeat One Example',
  batchSnapshot: 'batch snapshot',
};

/** The gradient check, Repeat One Example or the batch snapshot in a fresh worker: its answer. */
export async function runJobWorker<T extends keyof typeof WHAT>(
  worker: JobWorker,
  request: Job<T>,
  token: vscode.CancellationToken,
): Promise<Extract<WorkerAnswer, { type: T }>> {
  const answer = await runOneShot(worker, request, token, WHAT[(request as { type: T }).type]);
  return answer as Extract<WorkerAnswer, { type: T }>;
}

/** Posts `request` to a fresh worker and resolves with its reply; the worker ends either way. */
async function runOneShot(
  worker: JobWorker,
  request: RequestWithoutId,
  token: vscode.CancellationToken,
  what: string,
  wire: (channel: WorkerChannel) => void = () => {},
): Promise<WorkerAnswer> {
  const channel = openThread(worker.script, { heapMb: worker.heapMb, engineThreads: worker.engineThreads });
  wire(channel);
  let cancel: vscode.Disposable | undefined;
  const ended = new Promise<never>((_, reject) => {
    channel.onGone((reason) => reject(new Error(`The ${what} worker stopped unexpectedly (${reason}).`)));
    if (token.isCancellationRequested) reject(new vscode.CancellationError());
    cancel = token.onCancellationRequested(() => reject(new vscode.CancellationError()));
  });
  ended.catch(() => undefined); // settled after the answer: nobody waits for it any more
  try {
    return await Promise.race([channel.request(request), ended]);
  } finally {
    cancel?.dispose();
    void channel.terminate();
  }
}
