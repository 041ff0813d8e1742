// The message loop of a worker_thread (src/session/worker.ts wires it to the real engine and data
// loaders): one training run (trainingRun.ts) or one-shot jobs (oneShotJobs.ts). Every request is
// checked against the protocol before use; a malformed one is answered (when it has an id) or
// dropped, never allowed to throw inside the worker.

import type { WorkerEvent, WorkerRequest } from '../protocol';
import { validateWorkerRequest } from '../protocol/validate';
import type { Backend } from '../engine/backend';
import type { BackendChoice } from '../engine/chooseBackend';
import type { EpochStats, GradCheckResult, StepStats } from '../engine/types';
import type { NamedTensor } from '../engine/trainer';
import type { CompareOptions } from '../engine/compare';
import type { WalkthroughOptions } from '../engine/walkthrough';
import type { BatchSnapshot } from '../engine/snapshot';
import type { CompareResult, WalkthroughResult } from '../protocol';
import type { Dataset } from '../data/dataset';
import type { LoadOptions } from '../data/load';
import type { DataSpec, ModelSpec } from '../model/spec';
import type { TrainerView } from './detail';
import { runJob } from './oneShotJobs';
import { TrainingRun } from './trainingRun';

export { SLICE_MS } from './trainingRun';
export { checkFit, firstBatchIndices } from './oneShotJobs';

/** The engine and data APIs the loop uses (src/engine/index.ts, src/data/load.ts). */
export interface TrainerLike extends TrainerView {
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  readonly backendName: string;
  readonly step: number;
  readonly epoch: number;
  done(): boolean;
  trainStep(): StepStats;
  epochJustEnded(): boolean;
  evaluate(): EpochStats;
  lastBatchInputs(): { indices: number[] };
  getWeights(): NamedTensor[];
  setWeights(weights: NamedTensor[]): void;
  /** The first batch of epoch 1 at the current weights, with every per-example gradient (Trainer.batchSnapshot). */
  batchSnapshot?(): BatchSnapshot;
}
export interface WorkerDeps {
  createTrainer(opts: { spec: ModelSpec; train: Dataset; validation: Dataset | null; backend: Backend }): TrainerLike;
  referenceBackend(dtype: ModelSpec['dtype']): Backend;
  /** The WASM backend on the threads the worker was opened with (chooseBackend: a fallback says why). */
  createWasmBackend(): Promise<BackendChoice>;
  loadDataset(
    data: DataSpec,
    opts: Pick<
      LoadOptions,
      'dataPath' | 'labelsPath' | 'mediaDir' | 'seed' | 'displayName' | 'labelsDisplayName' | 'workspaceRoot' | 'onWarning'
    >,
  ): Promise<{ train: Dataset; validation: Dataset | null }>;
  gradientCheck(spec: ModelSpec, data: Dataset): GradCheckResult;
  /** Defaults to the engine's compareBatchSizes. */
  compareBatchSizes?(opts: CompareOptions): CompareResult;
  /** Defaults to the engine's walkThroughBatch. */
  walkThroughBatch?(opts: WalkthroughOptions): WalkthroughResult;
  /**
   * Bytes a run may plan for (the worker's heap limit, the setting gradientLens.workerMemoryMb):
   * a model estimated to need more is refused before anything is allocated. None: no check.
   */
  memoryLimit?: number;
  /** A new WASM backend, synchronously (one per comparison run); throws when WASM is unavailable.
   *  Without it comparisons use the reference backend. */
  createWasmBackendSync?(): Backend;
}
export interface WorkerPort {
  postMessage(event: WorkerEvent): void;
  on(event: 'message', listener: (request: unknown) => void): void;
}

const NO_RUN = 'Nothing is training in this worker';

/**
 * @param interrupt optional shared flag (an Int32Array over a SharedArrayBuffer, from workerData):
 *   the host sets element 0 to 1 right before posting pause/step/stop, and the loop checks it before
 *   every step, so a slice ends at once instead of after its full time budget. Every message clears it.
 */
export function runWorker(port: WorkerPort, deps: WorkerDeps, interrupt?: Int32Array): void {
  let run: TrainingRun | null = null;
  port.on('message', (raw) => {
    if (interrupt) Atomics.store(interrupt, 0, 0);
    const checked = validateWorkerRequest(raw);
    if (!checked.ok) {
      const id = idOf(raw);
      if (id !== null)
        port.postMessage({ type: 'reply', id, ok: false, error: `the worker refused a malformed request: ${checked.error}` });
      return;
    }
    const request: WorkerRequest = checked.value;
    switch (request.type) {
      case 'ping':
        return port.postMessage({ type: 'pong', id: request.id });
      case 'start':
        if (run) return port.postMessage({ type: 'error', message: 'This training worker is already running a model.' });
        run = new TrainingRun(port, deps, request, interrupt);
        void run.begin();
        return;
      case 'gradCheck':
      case 'compare':
      case 'repeat':
      case 'batchSnapshot':
        void runJob(port, deps, request);
        return;
      case 'getWeights':
      case 'setWeights':
        if (!run)
          return port.postMessage({ type: 'reply', id: request.id, ok: false, error: `${NO_RUN}, so it has no weights.` });
        return run.handle(request);
      case 'walkthrough':
        if (!run)
          return port.postMessage({
            type: 'reply',
            id: request.id,
            ok: false,
            error: `${NO_RUN}, so there is no batch to step through.`,
          });
        return run.handle(request);
      case 'pause':
      case 'resume':
      case 'step':
      case 'stop':
        run?.handle(request);
        return port.postMessage({ type: 'reply', id: request.id, ok: true, value: { type: 'done' } });
      default:
        run?.handle(request);
    }
  });
}

function idOf(raw: unknown): number | null {
  const id = raw && typeof raw === 'object' ? (raw as { id?: unknown }).id : undefined;
  return typeof id === 'number' && Number.isSafeInteger(id) ? id : null;
}
