// The one-shot jobs a worker can do instead of training: the float64 gradient check, the
// batch-size comparison and the batch snapshot. Each loads the data, checks that the network fits
// it, and answers its request with one reply.

import type { JobRequest, WorkerAnswer } from '../protocol';
import type { Backend } from '../engine/backend';
import { compareBatchSizes } from '../engine/compare';
import { repeatOneExample } from '../engine/repeat';
import { BatchSchedule } from '../engine/batching';
import type { Dataset } from '../data/dataset';
import type { ModelSpec } from '../model/spec';
import { inferShapes } from '../model/shapes';
import { memoryRefusal } from '../model/estimate';
import type { WorkerDeps, WorkerPort } from './workerLoop';

/** A user-facing reason why the network cannot take this data, or null when it fits. */
export function checkFit(spec: ModelSpec, train: Dataset): string | null {
  const { shapes, error } = inferShapes(spec.layers, train.inputShape);
  if (error)
    return `layers[${error.layer}]: ${error.message} (the data ${train.name} has examples of shape [${train.inputShape.join(', ')}])`;
  const out = shapes[shapes.length - 1] ?? train.inputShape;
  const units = out.reduce((a, b) => a * b, 1);
  if (units !== train.numClasses) {
    return `layers[${spec.layers.length - 1}]: the last layer has ${units} outputs but the data has ${train.numClasses} classes`;
  }
  return null;
}

/**
 * A user-facing reason why training `spec` on this data would need more memory than `limit` bytes
 * (the estimate, naming the layer that needs the most), or null when it fits or there is no limit.
 */
export function checkMemoryFit(
  spec: ModelSpec,
  data: { train: Dataset; validation: Dataset | null },
  limit: number | undefined,
  snapshot = false,
): string | null {
  if (limit === undefined) return null;
  const refusal = memoryRefusal({
    spec,
    inputShape: data.train.inputShape,
    numClasses: data.train.numClasses,
    trainCount: data.train.count,
    validationCount: data.validation?.count,
    limit,
    snapshot,
    limitName: 'the worker memory of the setting gradientLens.workerMemoryMb',
  });
  return refusal ? refusal.message : null;
}

/** A failure that is already a full user-facing sentence (no "… failed:" prefix). */
class JobRefused extends Error {}

const FAILED: Record<JobRequest['type'], string> = {
  gradCheck: 'gradient check failed',
  compare: 'the batch-size comparison failed',
  batchSnapshot: 'the batch snapshot failed',
  repeat: 'Repeat One Example failed',
};

export async function runJob(port: WorkerPort, deps: WorkerDeps, request: JobRequest): Promise<void> {
  try {
    const value = await answer(port, deps, request);
    port.postMessage({ type: 'reply', id: request.id, ok: true, value });
  } catch (e) {
    const message = e instanceof JobRefused ? e.message : `${request.file}: ${FAILED[request.type]}: ${messageOf(e)}`;
    port.postMessage({ type: 'reply', id: request.id, ok: false, error: message });
  }
}

async function answer(port: WorkerPort, deps: WorkerDeps, request: JobRequest): Promise<WorkerAnswer> {
  const data = await deps.loadDataset(request.spec.data, {
    dataPath: request.dataPath,
    labelsPath: request.labelsPath,
    mediaDir: request.mediaDir,
    seed: request.spec.seed,
    displayName: request.spec.data.source,
    labelsDisplayName: request.spec.data.labels,
    workspaceRoot: request.workspaceRoot,
  });
  const fit = checkFit(request.spec, data.train);
  if (fit) throw new JobRefused(`${request.file}: ${fit}`);
  // Each batch size the job trains with (a comparison's largest, a snapshot's every per-example gradient) must fit.
  const sizes = request.type === 'compare' ? request.batchSizes.map((m) => (m === 'full' ? data.train.count : m)) : [];
  const batchSize = Math.min(data.train.count, Math.max(request.spec.batchSize, ...sizes));
  const memory = checkMemoryFit({ ...request.spec, batchSize }, data, deps.memoryLimit, request.type === 'batchSnapshot');
  if (memory) throw new JobRefused(`${request.file}: ${memory}`);
  const { train, validation } = data;
  switch (request.type) {
    case 'gradCheck':
      return { type: 'gradCheck', result: deps.gradientCheck(request.spec, train) };
    case 'compare': {
      const runs = new Set(
        request.batchSizes.map((m) => (m === 'full' ? train.count : Math.min(Math.max(1, Math.floor(m)), train.count))),
      ).size;
      const result = (deps.compareBatchSizes ?? compareBatchSizes)({
        spec: request.spec,
        train,
        validation,
        batchSizes: request.batchSizes,
        examples: request.examples,
        rateMode: request.rateMode,
        backendFactory: wasmFactory(deps, request),
        onProgress: (run, examplesSeen, examplesTotal) =>
          port.postMessage({ type: 'compareProgress', run, runs, examplesSeen, examplesTotal }),
      });
      return { type: 'compare', result };
    }
    case 'repeat': {
      if (request.example !== undefined && request.example >= train.count) {
        throw new JobRefused(
          `${request.file}: example ${request.example} is not a training example: it has ${train.count} (0 to ${train.count - 1})`,
        );
      }
      return {
        type: 'repeat',
        result: repeatOneExample({
          spec: request.spec,
          train,
          validation,
          example: request.example,
          times: request.times,
          backendFactory: wasmFactory(deps, request),
        }),
      };
    }
    case 'batchSnapshot': {
      // As the CLI does: a fresh trainer (initial weights), WASM for float32 when it loads.
      let backend: Backend = deps.referenceBackend(request.spec.dtype);
      if (request.useWasm && request.spec.dtype === 'float32') {
        try {
          backend = (await deps.createWasmBackend()).backend;
        } catch {
          /* the reference backend gives the same numbers */
        }
      }
      const trainer = deps.createTrainer({ spec: request.spec, train, validation, backend });
      if (!trainer.batchSnapshot) throw new Error('this engine cannot take batch snapshots');
      return { type: 'batchSnapshot', snapshot: trainer.batchSnapshot() };
    }
  }
}

/**
 * A new WASM backend per trainer (each allocates its own buffers), for float32 models when the
 * setting allows it and a probe instance loads; otherwise undefined: the reference backend.
 */
function wasmFactory(deps: WorkerDeps, request: { useWasm: boolean; spec: ModelSpec }): (() => Backend) | undefined {
  const wasm = deps.createWasmBackendSync;
  if (!wasm || !request.useWasm || request.spec.dtype !== 'float32') return undefined;
  try {
    wasm();
    return () => wasm();
  } catch {
    return undefined;
  }
}

/** The training-set indices of the first batch a fresh run takes: what Trainer.trainStep uses for step 1. */
export function firstBatchIndices(spec: ModelSpec, trainCount: number): number[] {
  const schedule = new BatchSchedule(spec.seed, trainCount, spec.batchSize);
  const [start, end] = schedule.range(0);
  return Array.from(schedule.permutation(1).subarray(start, end));
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
