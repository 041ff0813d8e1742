// The training loop that runs inside the worker_thread (src/session/worker.ts wires it to the real
// engine and data loaders). It trains in slices of at most SLICE_MS of work and then yields with
// setImmediate, so pause/step/stop/select messages are handled within a slice (well under 100 ms),
// and it reports: `steps` (the slice's StepPoints, batched), `detail` (at most every
// detailIntervalMs, plus on pause/step/finish), `epoch` after each epoch, `status` on state changes.

import type {
  HeatmapMode, Histogram, ParamSelection, RunInfo, SessionState, StepPoint, WorkerEvent, WorkerRequest, WorkerSettings,
} from '../protocol';
import type { Backend } from '../engine/backend';
import type { EpochStats, GradCheckResult, StepStats } from '../engine/types';
import type { NamedTensor } from '../engine/trainer';
import { compareBatchSizes, type CompareOptions } from '../engine/compare';
import { repeatOneExample, type RepeatOptions } from '../engine/repeat';
import { lastUpdateTerms, walkThroughBatch, weightsBeforeLastStep, type WalkthroughOptions } from '../engine/walkthrough';
import { BatchSchedule } from '../engine/batching';
import type { BatchSnapshot } from '../engine/snapshot';
import type { CompareResult, WalkthroughResult } from '../protocol';
import type { Dataset } from '../data/dataset';
import type { DataSpec, ModelSpec } from '../model/spec';
import { inferShapes } from '../model/shapes';
import { buildDetail, defaultSelection, gradientHistograms, isValidSelection, stepPoint, type TrainerView } from './detail';

/** Work done per slice before yielding to the message queue. */
export const SLICE_MS = 20;

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
  createWasmBackend(): Promise<Backend>;
  loadDataset(data: DataSpec, opts: {
    dataPath: string | null; labelsPath: string | null; mediaDir: string; seed: number; displayName?: string; labelsDisplayName?: string;
  }):
    Promise<{ train: Dataset; validation: Dataset | null }>;
  gradientCheck(spec: ModelSpec, data: Dataset): GradCheckResult;
  /** Defaults to the engine's compareBatchSizes. */
  compareBatchSizes?(opts: CompareOptions): CompareResult;
  /** Defaults to the engine's walkThroughBatch. */
  walkThroughBatch?(opts: WalkthroughOptions): WalkthroughResult;
  /** A new WASM backend, synchronously (one per comparison run); throws when WASM is unavailable.
   *  Without it comparisons use the reference backend. */
  createWasmBackendSync?(): Backend;
}
export interface WorkerPort {
  postMessage(event: WorkerEvent): void;
  on(event: 'message', listener: (request: WorkerRequest) => void): void;
}

type StartRequest = Extract<WorkerRequest, { type: 'start' }>;

/**
 * @param interrupt optional shared flag (an Int32Array over a SharedArrayBuffer, from workerData):
 *   the host sets element 0 to 1 right before posting pause/step/stop, and the loop checks it before
 *   every step, so a slice ends at once instead of after its full time budget. Every message clears it.
 */
export function runWorker(port: WorkerPort, deps: WorkerDeps, interrupt?: Int32Array): void {
  let run: TrainingRun | null = null;
  port.on('message', (request) => {
    if (interrupt) Atomics.store(interrupt, 0, 0);
    switch (request.type) {
      case 'start':
        if (run) return port.postMessage({ type: 'error', message: 'This training worker is already running a model.' });
        run = new TrainingRun(port, deps, request, interrupt);
        void run.begin();
        return;
      case 'gradCheck':
        void runGradientCheck(port, deps, request);
        return;
      case 'compare':
        void runCompare(port, deps, request);
        return;
      case 'batchSnapshot':
        void runBatchSnapshot(port, deps, request);
        return;
      case 'repeat':
        void runRepeat(port, deps, request);
        return;
      case 'getWeights':
      case 'setWeights':
        if (!run) return port.postMessage({ type: 'requestFailed', id: request.id, message: 'Nothing is training in this worker, so it has no weights.' });
        run.handle(request);
        return;
      case 'walkthrough':
        if (!run) return port.postMessage({ type: 'walkthroughFailed', message: 'Nothing is training in this worker, so there is no batch to step through.' });
        run.handle(request);
        return;
      default:
        run?.handle(request);
    }
  });
}

class TrainingRun {
  private trainer: TrainerLike | null = null;
  private train: Dataset | null = null;
  private state: SessionState = 'starting';
  private readonly settings: WorkerSettings;
  private selection: ParamSelection | null = null;
  private mode: HeatmapMode = 'grad';
  private pendingPoints: StepPoint[] = [];
  private pendingHistograms: Histogram[] = [];
  private lastStats: StepStats | null = null;
  private lastDetailAt = 0;
  private detailDirty = false;
  /** Seconds of training work so far (time spent paused does not count). */
  private trainingSeconds = 0;
  private loopScheduled = false;
  /** Pause/resume/stop requests that arrive while the data is still loading. */
  private startPaused: boolean;
  private stopRequested = false;
  private stepAfterStart = false;

  constructor(
    private readonly port: WorkerPort, private readonly deps: WorkerDeps, private readonly request: StartRequest,
    private readonly interrupt?: Int32Array,
  ) {
    this.settings = request.settings;
    this.startPaused = request.paused;
  }

  async begin(): Promise<void> {
    const { spec, file } = this.request;
    this.status('starting', 'Loading data…');
    let train: Dataset;
    let validation: Dataset | null;
    try {
      ({ train, validation } = await this.deps.loadDataset(spec.data, {
        dataPath: this.request.dataPath, labelsPath: this.request.labelsPath, mediaDir: this.request.mediaDir,
        // Data files are named in messages as the model file names them (relative to it).
        seed: spec.seed, displayName: spec.data.source, labelsDisplayName: spec.data.labels,
      }));
    } catch (e) {
      return this.fail(`${file}: ${messageOf(e)}`);
    }
    const fit = checkFit(spec, train);
    if (fit) return this.fail(`${file}: ${fit}`);
    let backend: Backend = this.deps.referenceBackend(spec.dtype);
    let backendNote = '';
    if (spec.dtype === 'float32' && this.settings.useWasm) {
      try {
        backend = await this.deps.createWasmBackend();
      } catch (e) {
        backendNote = ` (WASM kernels unavailable: ${messageOf(e)})`;
      }
    }
    try {
      this.trainer = this.deps.createTrainer({ spec, train, validation, backend });
    } catch (e) {
      return this.fail(`${file}: cannot build the network: ${messageOf(e)}`);
    }
    this.train = train;
    const run: RunInfo = {
      file, spec, layers: this.trainer.layers, trainSize: train.count, validationSize: validation?.count ?? 0,
      numClasses: train.numClasses, backend: this.trainer.backendName + backendNote,
    };
    this.port.postMessage({ type: 'started', run });
    if (this.stopRequested) {
      this.state = 'stopped';
      this.status('stopped');
      return;
    }
    this.state = this.startPaused ? 'paused' : 'running';
    this.status(this.state);
    if (this.stepAfterStart) this.handle({ type: 'step' });
    this.schedule();
  }

  handle(request: WorkerRequest): void {
    switch (request.type) {
      case 'pause':
        if (this.state === 'running') {
          this.state = 'paused';
          this.flush(true);
          this.status('paused');
        } else if (this.state === 'starting') {
          this.startPaused = true;
        }
        return;
      case 'resume':
        if (this.state === 'paused') {
          this.state = 'running';
          this.status('running');
          this.schedule();
        } else if (this.state === 'starting') {
          this.startPaused = false;
        }
        return;
      case 'step':
        if (this.state === 'starting') {
          this.startPaused = true;
          this.stepAfterStart = true;
          return;
        }
        if (this.state === 'running') {
          // Step while running means: stop here and go one batch at a time from now on.
          this.state = 'paused';
          this.flush(true);
          this.status('paused');
        }
        if (this.state === 'paused' && this.trainer && !this.trainer.done()) {
          this.runSteps(Infinity, 1);
          this.flush(true);
          if (this.trainer.done()) this.finish();
          else this.status('paused');
        }
        return;
      case 'stop':
        if (this.state === 'starting') { this.stopRequested = true; return; }
        if (this.state === 'running' || this.state === 'paused') {
          this.flush(true);
          this.state = 'stopped';
          this.status('stopped');
        }
        return;
      case 'select':
        if (this.trainer && isValidSelection(this.trainer, request.selection)) {
          this.selection = request.selection;
          this.sendDetailNow();
        }
        return;
      case 'heatmapMode':
        this.mode = request.mode;
        this.sendDetailNow();
        return;
      case 'walkthrough':
        this.walkThrough(request.selection);
        return;
      case 'getWeights':
        if (!this.trainer) return this.port.postMessage({ type: 'requestFailed', id: request.id, message: `${this.request.file}: the network is not built yet.` });
        this.port.postMessage({ type: 'weights', id: request.id, tensors: this.trainer.getWeights() });
        return;
      case 'setWeights':
        if (!this.trainer) return this.port.postMessage({ type: 'requestFailed', id: request.id, message: `${this.request.file}: the network is not built yet.` });
        try {
          this.trainer.setWeights(request.tensors);
        } catch (e) {
          return this.port.postMessage({ type: 'requestFailed', id: request.id, message: `cannot load these weights into ${this.request.file}: ${messageOf(e)}` });
        }
        this.port.postMessage({ type: 'weightsSet', id: request.id });
        return;
      default:
        return;
    }
  }

  /** Replays the latest batch (or the first batch at the initial weights before any step) example by example. */
  private walkThrough(requested: ParamSelection | null): void {
    const trainer = this.trainer;
    if (!trainer || !this.train) {
      return this.port.postMessage({ type: 'walkthroughFailed', message: `${this.request.file}: the data is not loaded yet (or failed to load), so there is no batch to step through yet.` });
    }
    try {
      const last = trainer.lastBatchInputs().indices;
      // Before any step, trainer weights are the initial ones and the first batch is the one Step would use.
      const indices = trainer.step > 0 && last.length > 0 ? last : firstBatchIndices(this.request.spec, this.train.count);
      const selection = requested && isValidSelection(trainer, requested) ? requested
        : this.selection ?? (trainer.step > 0 ? defaultSelection(trainer, last.length) : selectionBeforeAnyStep(trainer));
      if (!selection) throw new Error('the model has no weights to follow');
      const replay = trainer.step > 0 && last.length > 0;
      const result = (this.deps.walkThroughBatch ?? walkThroughBatch)({
        spec: this.request.spec, train: this.train, indices, selection,
        weights: replay ? weightsBeforeLastStep(trainer) : trainer.getWeights(),
        replayOf: replay ? { applied: lastUpdateTerms(trainer, this.request.spec.optimizer, selection) } : undefined,
      });
      this.port.postMessage({ type: 'walkthrough', result });
    } catch (e) {
      this.port.postMessage({ type: 'walkthroughFailed', message: `${this.request.file}: cannot step through the batch: ${messageOf(e)}` });
    }
  }

  private schedule(): void {
    if (this.loopScheduled || this.state !== 'running') return;
    this.loopScheduled = true;
    setImmediate(() => {
      this.loopScheduled = false;
      if (this.state !== 'running' || !this.trainer) return;
      this.runSteps(SLICE_MS, Infinity);
      this.flush(false);
      if (this.trainer.done()) this.finish();
      else this.schedule();
    });
  }

  /** Trains until `budgetMs` of work is spent or `maxSteps` steps are done, whichever comes first. */
  private runSteps(budgetMs: number, maxSteps: number): void {
    const trainer = this.trainer!;
    const t0 = performance.now();
    let done = 0;
    while (done < maxSteps && !trainer.done()) {
      // A pause/step/stop is on its way: end the slice now so it is handled next.
      if (maxSteps === Infinity && this.interrupt && Atomics.load(this.interrupt, 0) !== 0) return;
      const s0 = performance.now();
      const stats = trainer.trainStep();
      this.trainingSeconds += (performance.now() - s0) / 1000;
      done++;
      this.lastStats = stats;
      this.detailDirty = true;
      this.pendingPoints.push(stepPoint(stats, this.trainingSeconds));
      if (this.selection === null) this.selection = defaultSelection(trainer, stats.batchSize);
      if (this.settings.histogramEvery > 0 && stats.step % this.settings.histogramEvery === 0) {
        this.pendingHistograms.push(...gradientHistograms(trainer, stats.step));
      }
      // The detail must be built right after its step: per-example gradients exist for the last step only.
      if (performance.now() - this.lastDetailAt >= this.settings.detailIntervalMs) this.sendDetail();
      if (stats.nonFinite && this.settings.pauseOnNonFinite) {
        this.flushPoints();
        this.sendDetail();
        this.state = 'paused';
        this.port.postMessage({ type: 'error', message: `${this.request.file}: step ${stats.step}: ${stats.nonFinite.message}. Training is paused.`, file: this.request.file, nonFinite: stats.nonFinite });
        this.status('paused', `Paused at step ${stats.step}: ${stats.nonFinite.message}`, stats.nonFinite);
        return;
      }
      if (trainer.epochJustEnded()) {
        this.flushPoints();
        this.port.postMessage({ type: 'epoch', epoch: trainer.evaluate() });
      }
      if (performance.now() - t0 >= budgetMs) return;
    }
  }

  private finish(): void {
    this.flush(true);
    this.state = 'finished';
    this.status('finished', `Finished ${this.trainer!.step} steps.`);
  }

  /** Sends the batched step points, and the detail when forced or still unsent for the last step. */
  private flush(forceDetail: boolean): void {
    this.flushPoints();
    if (forceDetail && this.detailDirty) this.sendDetail();
  }

  private flushPoints(): void {
    if (this.pendingPoints.length === 0) return;
    this.port.postMessage({ type: 'steps', points: this.pendingPoints });
    this.pendingPoints = [];
  }

  private sendDetailNow(): void {
    if (this.lastStats) this.sendDetail();
  }

  private sendDetail(): void {
    if (!this.trainer || !this.train || !this.lastStats) return;
    const detail = buildDetail(this.trainer, this.lastStats, this.request.spec, this.train, {
      selection: this.selection, mode: this.mode, heatmapMaxCells: this.settings.heatmapMaxCells,
      histograms: this.pendingHistograms,
    });
    this.pendingHistograms = [];
    this.lastDetailAt = performance.now();
    this.detailDirty = false;
    this.port.postMessage({ type: 'detail', detail });
  }

  private status(state: SessionState, message?: string, nonFinite?: StepStats['nonFinite']): void {
    this.port.postMessage({
      type: 'status',
      status: {
        state, step: this.trainer?.step ?? 0, epoch: this.trainer?.epoch ?? 0,
        ...(message ? { message } : {}), ...(nonFinite ? { nonFinite } : {}),
      },
    });
  }

  private fail(message: string): void {
    this.state = 'error';
    this.port.postMessage({ type: 'error', message, file: this.request.file });
    this.status('error', message);
  }
}

/** A user-facing reason why the network cannot take this data, or null when it fits. */
export function checkFit(spec: ModelSpec, train: Dataset): string | null {
  const { shapes, error } = inferShapes(spec.layers, train.inputShape);
  if (error) return `layers[${error.layer}]: ${error.message} (the data ${train.name} has examples of shape [${train.inputShape.join(', ')}])`;
  const out = shapes[shapes.length - 1] ?? train.inputShape;
  const units = out.reduce((a, b) => a * b, 1);
  if (units !== train.numClasses) {
    return `layers[${spec.layers.length - 1}]: the last layer has ${units} outputs but the data has ${train.numClasses} classes`;
  }
  return null;
}

type OneShotRequest = Extract<WorkerRequest, { type: 'gradCheck' | 'compare' | 'batchSnapshot' | 'repeat' }>;

/** The data of a one-shot job, or null after reporting that the network does not fit it. */
async function loadFittingData(
  port: WorkerPort, deps: WorkerDeps, request: OneShotRequest,
): Promise<{ train: Dataset; validation: Dataset | null } | null> {
  const data = await deps.loadDataset(request.spec.data, {
    dataPath: request.dataPath, labelsPath: request.labelsPath, mediaDir: request.mediaDir, seed: request.spec.seed,
    displayName: request.spec.data.source, labelsDisplayName: request.spec.data.labels,
  });
  const fit = checkFit(request.spec, data.train);
  if (fit) {
    port.postMessage({ type: 'error', message: `${request.file}: ${fit}`, file: request.file });
    return null;
  }
  return data;
}

async function runGradientCheck(port: WorkerPort, deps: WorkerDeps, request: Extract<WorkerRequest, { type: 'gradCheck' }>): Promise<void> {
  try {
    const data = await loadFittingData(port, deps, request);
    if (!data) return;
    const { train } = data;
    port.postMessage({ type: 'gradCheck', result: deps.gradientCheck(request.spec, train) });
  } catch (e) {
    port.postMessage({ type: 'error', message: `${request.file}: gradient check failed: ${messageOf(e)}`, file: request.file });
  }
}

async function runCompare(port: WorkerPort, deps: WorkerDeps, request: Extract<WorkerRequest, { type: 'compare' }>): Promise<void> {
  try {
    const data = await loadFittingData(port, deps, request);
    if (!data) return;
    const { train, validation } = data;
    // Each run gets its own backend (each trainer allocates its own buffers). WASM only for float32
    // models, and only when a probe instance loads; otherwise the reference backend (the default).
    let backendFactory: CompareOptions['backendFactory'];
    const wasm = deps.createWasmBackendSync;
    if (wasm && request.useWasm && request.spec.dtype === 'float32') {
      try {
        wasm();
        backendFactory = () => wasm();
      } catch {
        backendFactory = undefined;
      }
    }
    const runs = new Set(request.batchSizes.map((m) => (m === 'full' ? train.count : Math.min(Math.max(1, Math.floor(m)), train.count)))).size;
    const result = (deps.compareBatchSizes ?? compareBatchSizes)({
      spec: request.spec, train, validation, batchSizes: request.batchSizes, examples: request.examples, backendFactory,
      onProgress: (run, examplesSeen, examplesTotal) => port.postMessage({ type: 'compareProgress', run, runs, examplesSeen, examplesTotal }),
    });
    port.postMessage({ type: 'compare', result });
  } catch (e) {
    port.postMessage({ type: 'error', message: `${request.file}: the batch-size comparison failed: ${messageOf(e)}`, file: request.file });
  }
}

async function runRepeat(port: WorkerPort, deps: WorkerDeps, request: Extract<WorkerRequest, { type: 'repeat' }>): Promise<void> {
  try {
    const data = await loadFittingData(port, deps, request);
    if (!data) return;
    const wasm = deps.createWasmBackendSync;
    let backendFactory: RepeatOptions['backendFactory'];
    if (wasm && request.useWasm && request.spec.dtype === 'float32') {
      try { wasm(); backendFactory = () => wasm(); } catch { backendFactory = undefined; }
    }
    const result = repeatOneExample({ spec: request.spec, train: data.train, validation: data.validation, example: request.example, times: request.times, backendFactory });
    port.postMessage({ type: 'repeat', result });
  } catch (e) {
    port.postMessage({ type: 'error', message: `${request.file}: Repeat One Example failed: ${messageOf(e)}`, file: request.file });
  }
}

async function runBatchSnapshot(port: WorkerPort, deps: WorkerDeps, request: Extract<WorkerRequest, { type: 'batchSnapshot' }>): Promise<void> {
  try {
    const data = await loadFittingData(port, deps, request);
    if (!data) return;
    const { train, validation } = data;
    // As the CLI does: a fresh trainer (initial weights), WASM for float32 when it loads.
    let backend: Backend = deps.referenceBackend(request.spec.dtype);
    if (request.useWasm && request.spec.dtype === 'float32') {
      try { backend = await deps.createWasmBackend(); } catch { /* the reference backend gives the same numbers */ }
    }
    const trainer = deps.createTrainer({ spec: request.spec, train, validation, backend });
    if (!trainer.batchSnapshot) throw new Error('this engine cannot take batch snapshots');
    port.postMessage({ type: 'batchSnapshot', snapshot: trainer.batchSnapshot() });
  } catch (e) {
    port.postMessage({ type: 'error', message: `${request.file}: the batch snapshot failed: ${messageOf(e)}`, file: request.file });
  }
}

/**
 * What to follow before any step, when there is no gradient yet to pick the busiest weight by: the
 * last layer's first bias (its gradient pᵢ − yᵢ is never zero for every example, unlike a corner
 * pixel's weight), else the first weight of the last parameterised layer.
 */
function selectionBeforeAnyStep(trainer: TrainerLike): ParamSelection | null {
  const withParams = trainer.layers.filter((l) => l.params.length > 0);
  const last = withParams[withParams.length - 1];
  if (!last) return null;
  const kind = last.params.some((p) => p.kind === 'bias') ? 'bias' : 'weight';
  return { layer: last.index, kind, index: 0 };
}

/** The training-set indices of the first batch a fresh run takes: what Trainer.trainStep uses for step 1. */
export function firstBatchIndices(spec: ModelSpec, trainCount: number): number[] {
  const schedule = new BatchSchedule(spec.seed, trainCount, spec.batchSize);
  const [start, end] = schedule.range(0);
  return Array.from(schedule.permutation(1).subarray(start, end));
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
