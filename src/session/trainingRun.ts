// One training run inside the worker: loads the data, builds the trainer, and trains in slices of
// at most SLICE_MS of work, yielding with setImmediate in between so pause/step/stop/select are
// handled within a slice (well under 100 ms). Its lifecycle is the run machine (src/run/machine.ts):
// this class only asks the machine whether an input is legal and acts on the transitions.
// It reports `steps` (the slice's StepPoints, batched), `detail` (at most every detailIntervalMs,
// plus on pause/step/finish), `epoch` after each epoch and `status` on every state change.

import type { HeatmapMode, Histogram, ParamSelection, RunInfo, StepPoint, WorkerRequest, WorkerSettings } from '../protocol';
import type { Backend } from '../engine/backend';
import { backendLabel } from '../engine/chooseBackend';
import { closeHelper } from '../engine-host/threads';
import type { StepStats } from '../engine/types';
import { lastUpdateTerms, walkThroughBatch, weightsBeforeLastStep } from '../engine/walkthrough';
import type { Dataset } from '../data/dataset';
import { RunMachine } from '../run/machine';
import type { RunState } from '../run/source';
import { buildDetail, defaultSelection, gradientHistograms, isValidSelection, stepPoint } from './detail';
import { checkFit, checkMemoryFit, firstBatchIndices, messageOf } from './oneShotJobs';
import type { TrainerLike, WorkerDeps, WorkerPort } from './workerLoop';

/** Work done per slice before yielding to the message queue. */
export const SLICE_MS = 20;
/** Data warnings a run reports at most (each names a file or a class; a folder may skip thousands). */
const MAX_DATA_WARNINGS = 20;

export type StartRequest = Extract<WorkerRequest, { type: 'start' }>;

export class TrainingRun {
  private trainer: TrainerLike | null = null;
  /** Its helper thread, if any, stops when the run ends (finished, stopped, failed): nothing is left spinning. */
  private backend: Backend | null = null;
  private train: Dataset | null = null;
  private readonly machine = new RunMachine();
  private readonly settings: WorkerSettings;
  private selection: ParamSelection | null = null;
  private mode: HeatmapMode = 'grad';
  private pendingPoints: StepPoint[] = [];
  private pendingHistograms: Histogram[] = [];
  private lastStats: StepStats | null = null;
  private lastDetailAt = 0;
  /** The newest step's detail has not been sent yet. */
  private detailDirty = false;
  /** Seconds of training work so far (time spent paused does not count). */
  private trainingSeconds = 0;
  private loopScheduled = false;
  /** Steps per second while running (0: as fast as it goes); the pace timer waits between two paced steps. */
  private stepsPerSecond: number;
  private paceTimer: ReturnType<typeof setTimeout> | undefined;
  private lastPacedStepAt = -Infinity;

  constructor(
    private readonly port: WorkerPort,
    private readonly deps: WorkerDeps,
    private readonly request: StartRequest,
    private readonly interrupt?: Int32Array,
  ) {
    this.settings = request.settings;
    this.stepsPerSecond = pace(request.settings.stepsPerSecond);
    this.machine.send('start', { paused: request.paused });
  }

  get state(): RunState {
    return this.machine.state;
  }

  async begin(): Promise<void> {
    const { spec, file } = this.request;
    this.status('Loading data…');
    let train: Dataset;
    let validation: Dataset | null;
    const dataWarnings: string[] = [];
    try {
      ({ train, validation } = await this.deps.loadDataset(spec.data, {
        dataPath: this.request.dataPath,
        labelsPath: this.request.labelsPath,
        mediaDir: this.request.mediaDir,
        // Data files are named in messages as the model file names them (relative to it).
        seed: spec.seed,
        displayName: spec.data.source,
        labelsDisplayName: spec.data.labels,
        workspaceRoot: this.request.workspaceRoot,
        onWarning: (message) => {
          if (dataWarnings.length < MAX_DATA_WARNINGS) dataWarnings.push(message);
        },
      }));
    } catch (e) {
      return this.fail(`${file}: ${messageOf(e)}`);
    }
    const fit = checkFit(spec, train);
    if (fit) return this.fail(`${file}: ${fit}`);
    const memory = checkMemoryFit(spec, { train, validation }, this.deps.memoryLimit);
    if (memory) return this.fail(`${file}: ${memory}`);
    let backend: Backend = this.deps.referenceBackend(spec.dtype);
    let label: string | null = null;
    let backendNote = '';
    if (spec.dtype === 'float32' && this.settings.useWasm) {
      try {
        const choice = await this.deps.createWasmBackend();
        backend = choice.backend;
        // The toolbar shows it: `wasm-simd, up to 2 threads (the 2nd joins after 250 ms of training)`, or one thread and why.
        label = backendLabel(choice);
        if (choice.fallbackReason) backendNote = ` (${choice.fallbackReason})`;
      } catch (e) {
        backendNote = ` (WASM kernels unavailable: ${messageOf(e)})`;
      }
    }
    this.backend = backend;
    try {
      this.trainer = this.deps.createTrainer({ spec, train, validation, backend });
    } catch (e) {
      return this.fail(`${file}: cannot build the network: ${messageOf(e)}`);
    }
    this.train = train;
    const run: RunInfo = {
      file,
      spec,
      layers: this.trainer.layers,
      trainSize: train.count,
      validationSize: validation?.count ?? 0,
      numClasses: train.numClasses,
      backend: (label ?? this.trainer.backendName) + backendNote,
      ...(dataWarnings.length > 0 ? { dataWarnings } : {}),
    };
    this.port.postMessage({ type: 'started', run });
    // Stopped while loading: the run is described (so the views can show it) but never trains.
    if (this.machine.state === 'stopped') {
      closeHelper(backend);
      return this.status();
    }
    this.machine.send('loaded');
    if (this.machine.state === 'stepping') return this.stepOnce();
    this.status();
    this.schedule();
  }

  handle(request: WorkerRequest): void {
    switch (request.type) {
      case 'pause':
        if (this.machine.state === 'running' && this.machine.send('pause')) {
          this.flush(true);
          this.status();
        } else if (this.machine.state === 'loading') {
          this.machine.send('pause');
        }
        return;
      case 'resume':
        if (this.machine.send('resume') && this.machine.state === 'running') {
          this.status();
          this.schedule();
        }
        return;
      case 'step':
        if (this.machine.state === 'loading') {
          this.machine.send('step');
          return;
        }
        // Step while running means: stop here and go one batch at a time from now on.
        if (this.machine.state === 'running') this.flush(true);
        if ((this.machine.state === 'running' || this.machine.state === 'paused') && this.trainer && !this.trainer.done()) {
          this.machine.send('step');
          this.stepOnce();
        } else if (this.machine.state === 'running') {
          this.machine.send('pause');
          this.status();
        }
        return;
      case 'stop': {
        const was = this.machine.state;
        if (!this.machine.send('stop')) return;
        closeHelper(this.backend);
        if (was !== 'loading') {
          this.flush(true);
          this.status();
        }
        return;
      }
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
      case 'pace':
        this.stepsPerSecond = pace(request.stepsPerSecond);
        // A step waiting for the old pace's timer is taken at the new pace instead.
        if (this.paceTimer !== undefined) {
          clearTimeout(this.paceTimer);
          this.paceTimer = undefined;
          this.loopScheduled = false;
          this.schedule();
        }
        return;
      case 'walkthrough':
        this.walkThrough(request.id, request.selection);
        return;
      case 'getWeights':
        if (!this.trainer) return this.refuse(request.id, `${this.request.file}: the network is not built yet.`);
        this.port.postMessage({
          type: 'reply',
          id: request.id,
          ok: true,
          value: { type: 'weights', tensors: this.trainer.getWeights() },
        });
        return;
      case 'setWeights':
        if (!this.trainer) return this.refuse(request.id, `${this.request.file}: the network is not built yet.`);
        try {
          this.trainer.setWeights(request.tensors);
        } catch (e) {
          return this.refuse(request.id, `cannot load these weights into ${this.request.file}: ${messageOf(e)}`);
        }
        this.port.postMessage({ type: 'reply', id: request.id, ok: true, value: { type: 'weightsSet' } });
        return;
      default:
        return;
    }
  }

  private refuse(id: number, message: string): void {
    this.port.postMessage({ type: 'reply', id, ok: false, error: message });
  }

  /** Exactly one batch, then hold (the machine is in `stepping`). */
  private stepOnce(): void {
    this.runSteps(Infinity, 1);
    this.flush(true);
    if (this.machine.state !== 'stepping') return; // a NaN already paused and reported the run
    if (this.trainer!.done()) return this.finish();
    this.machine.send('stepped');
    this.status();
  }

  /** Replays the latest batch (or the first batch at the initial weights before any step) example by example. */
  private walkThrough(id: number, requested: ParamSelection | null): void {
    const trainer = this.trainer;
    if (!trainer || !this.train) {
      return this.refuse(
        id,
        `${this.request.file}: the data is not loaded yet (or failed to load), so there is no batch to step through yet.`,
      );
    }
    try {
      const last = trainer.lastBatchInputs().indices;
      // Before any step, trainer weights are the initial ones and the first batch is the one Step would use.
      const indices = trainer.step > 0 && last.length > 0 ? last : firstBatchIndices(this.request.spec, this.train.count);
      const selection =
        requested && isValidSelection(trainer, requested)
          ? requested
          : (this.selection ?? (trainer.step > 0 ? defaultSelection(trainer, last.length) : selectionBeforeAnyStep(trainer)));
      if (!selection) throw new Error('the model has no weights to follow');
      // After a step: that step's batch at the weights before its update, and what the optimizer did.
      const replay = trainer.step > 0 && last.length > 0;
      const result = (this.deps.walkThroughBatch ?? walkThroughBatch)({
        spec: this.request.spec,
        train: this.train,
        indices,
        selection,
        weights: replay ? weightsBeforeLastStep(trainer) : trainer.getWeights(),
        replayOf: replay ? { applied: lastUpdateTerms(trainer, this.request.spec.optimizer, selection) } : undefined,
      });
      this.port.postMessage({ type: 'reply', id, ok: true, value: { type: 'walkthrough', result } });
    } catch (e) {
      this.refuse(id, `${this.request.file}: cannot step through the batch: ${messageOf(e)}`);
    }
  }

  private schedule(): void {
    if (this.loopScheduled || this.machine.state !== 'running') return;
    this.loopScheduled = true;
    const paced = this.stepsPerSecond > 0;
    const slice = (): void => {
      this.paceTimer = undefined;
      this.loopScheduled = false;
      if (this.machine.state !== 'running' || !this.trainer) return;
      // Paced: one step, then a wait, so a person can follow the loss and the gradients step by step.
      this.lastPacedStepAt = performance.now();
      this.runSteps(SLICE_MS, paced ? 1 : Infinity);
      this.flush(paced);
      if (this.machine.state !== 'running') return;
      if (this.trainer.done()) this.finish();
      else this.schedule();
    };
    if (!paced) {
      setImmediate(slice);
      return;
    }
    const wait = Math.max(0, this.lastPacedStepAt + 1000 / this.stepsPerSecond - performance.now());
    this.paceTimer = setTimeout(slice, wait);
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
        this.machine.send(this.machine.state === 'stepping' ? 'stepped' : 'pause');
        this.port.postMessage({
          type: 'error',
          message: `${this.request.file}: step ${stats.step}: ${stats.nonFinite.message}. Training is paused.`,
          file: this.request.file,
          nonFinite: stats.nonFinite,
        });
        this.status(`Paused at step ${stats.step}: ${stats.nonFinite.message}`, stats.nonFinite);
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
    this.machine.send('finish');
    closeHelper(this.backend);
    this.status(`Finished ${this.trainer!.step} steps.`);
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
      selection: this.selection,
      mode: this.mode,
      heatmapMaxCells: this.settings.heatmapMaxCells,
      histograms: this.pendingHistograms,
    });
    this.pendingHistograms = [];
    this.lastDetailAt = performance.now();
    this.detailDirty = false;
    this.port.postMessage({ type: 'detail', detail });
  }

  /** Reports the machine's state (never `stepping`: a step is over by the time anyone could see it). */
  private status(message?: string, nonFinite?: StepStats['nonFinite']): void {
    const state = this.machine.state === 'stepping' ? 'paused' : this.machine.state;
    this.port.postMessage({
      type: 'status',
      status: {
        state,
        step: this.trainer?.step ?? 0,
        epoch: this.trainer?.epoch ?? 0,
        ...(message ? { message } : {}),
        ...(nonFinite ? { nonFinite } : {}),
      },
    });
  }

  private fail(message: string): void {
    this.machine.send('fail');
    closeHelper(this.backend);
    this.port.postMessage({ type: 'error', message, file: this.request.file });
    this.status(message);
  }
}

/** A usable pace: steps per second ≥ 0 (0 and anything not a number: as fast as it goes), at most 1000. */
function pace(stepsPerSecond: number | undefined): number {
  return typeof stepsPerSecond === 'number' && Number.isFinite(stepsPerSecond) && stepsPerSecond > 0
    ? Math.min(1000, stepsPerSecond)
    : 0;
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
