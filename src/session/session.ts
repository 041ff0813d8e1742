// The training session on the extension-host side: owns the worker_thread, keeps the bounded
// history, builds the SessionSnapshot every view starts from, and forwards what the worker reports
// to the views at most `updateRate` times a second (coalesced, see outbox.ts). It never trains
// itself, so the extension host stays responsive whatever the model does.

import * as vscode from 'vscode';
import { Worker } from 'node:worker_threads';
import type {
  CompareResult, RepeatResult, HeatmapMode, HostMessage, Histogram, ParamSelection, RunInfo, SessionSnapshot, SessionState, SessionStatus,
  StepDetail, WalkthroughResult, WorkerEvent, WorkerRequest, WorkerSettings,
} from '../protocol';
import type { EpochStats, GradCheckResult } from '../engine/types';
import type { NamedTensor } from '../engine/trainer';
import type { ModelSpec } from '../model/spec';
import type { SessionObservable } from './observable';
import { StepHistory } from './history';
import { Outbox, postIntervalMs } from './outbox';

export interface SessionConfig {
  updateRate: number;
  historyLength: number;
  pauseOnNonFinite: boolean;
  heatmapMaxCells: number;
  histogramEvery: number;
  useWasm: boolean;
}

export interface StartOptions {
  uri: vscode.Uri;
  /** Workspace-relative path shown in messages. */
  file: string;
  spec: ModelSpec;
  dataPath: string | null;
  labelsPath: string | null;
  /** Start paused and run exactly one step (the Step command with nothing running). */
  stepOnly: boolean;
  /** Start paused without stepping (Step Through Batch with nothing running: the first batch at the initial weights). */
  paused?: boolean;
}

/** A start that was superseded (Stop, Reset or another Train) before the run began: not an error to show. */
export class RunCancelled extends Error {}

/** Histograms kept per layer: the strip shows recent history; older columns scroll away. */
const HISTOGRAMS_PER_LAYER = 100;
/** How long a step-through may take before the session gives up waiting (a big batch replays M+1 passes). */
const WALKTHROUGH_TIMEOUT_MS = 60_000;
/** How long Stop waits for the worker to acknowledge before terminating it. */
const STOP_GRACE_MS = 1000;

export class TrainingSession implements SessionObservable, vscode.Disposable {
  private worker: Worker | null = null;
  /** Shared with the worker (see runWorker): set right before pause/step/stop so its slice ends at once. */
  private interrupt = new Int32Array(new SharedArrayBuffer(4));
  private uri: vscode.Uri | undefined;
  private run: RunInfo | null = null;
  private status: SessionStatus = { state: 'idle', step: 0, epoch: 0 };
  private history: StepHistory;
  private epochs: EpochStats[] = [];
  private histograms: Histogram[] = [];
  private detail: StepDetail | null = null;
  private heatmapMode: HeatmapMode = 'grad';
  private selection: ParamSelection | null = null;
  private gradCheck: GradCheckResult | null = null;
  private compare: CompareResult | null = null;
  private repeat: RepeatResult | null = null;
  private walkthrough: WalkthroughResult | null = null;
  private nextRequestId = 1;
  /** getWeights/setWeights requests waiting for the worker's answer, by id. */
  private readonly requests = new Map<number, { resolve(value: NamedTensor[] | null): void; reject(e: Error): void }>();
  private walkthroughWaiter: { resolve(r: WalkthroughResult): void; reject(e: Error): void } | null = null;
  private readonly outbox = new Outbox();
  /** Some step points were left out of live posts since the views last got a full snapshot. */
  private viewsThinned = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private lastFlush = 0;
  private startWaiter: { resolve(run: RunInfo): void; reject(e: Error): void } | null = null;
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  private readonly postEmitter = new vscode.EventEmitter<HostMessage>();
  private readonly stateEmitter = new vscode.EventEmitter<SessionState>();
  private readonly errorEmitter = new vscode.EventEmitter<string>();

  /** Throttled (≤ updateRate): the snapshot changed. */
  readonly onDidChange = this.changeEmitter.event;
  /** Throttled, coalesced messages for every open view (views that are not ready yet drop them and take a snapshot later). */
  readonly onDidPost = this.postEmitter.event;
  /** Immediately, whenever the state changes (context keys, menus). */
  readonly onDidChangeState = this.stateEmitter.event;
  /** A user-facing error from the worker (bad data, NaN, crash). */
  readonly onDidError = this.errorEmitter.event;

  constructor(
    private readonly workerScript: string,
    private readonly mediaDir: string,
    private readonly config: () => SessionConfig,
  ) {
    this.history = new StepHistory(config().historyLength);
  }

  get modelUri(): vscode.Uri | undefined {
    return this.uri;
  }

  get state(): SessionState {
    return this.status.state;
  }

  /** True while a worker is loading, training or paused on a run. */
  get isActive(): boolean {
    return this.worker !== null && (this.state === 'starting' || this.state === 'running' || this.state === 'paused');
  }

  get snapshot(): SessionSnapshot {
    return {
      run: this.run,
      status: this.status,
      history: this.history.toArray(),
      epochs: this.epochs.slice(),
      histograms: this.histograms.slice(),
      detail: this.detail,
      heatmapMode: this.heatmapMode,
      selection: this.selection,
      gradCheck: this.gradCheck,
      compare: this.compare,
      repeat: this.repeat,
      walkthrough: this.walkthrough,
    };
  }

  /** Starts a new run (replacing any current one) and resolves once the data is loaded and the network built. */
  async start(opts: StartOptions): Promise<RunInfo> {
    await this.terminateWorker();
    this.clearRun();
    this.uri = opts.uri;
    this.history.setCapacity(this.config().historyLength);
    this.setStatus({ state: 'starting', step: 0, epoch: 0, message: 'Loading data…' });
    this.postSnapshotToViews();
    this.interrupt = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(this.workerScript, { workerData: { interrupt: this.interrupt.buffer } });
    this.worker = worker;
    worker.on('message', (event: WorkerEvent) => {
      if (this.worker === worker) this.onWorkerEvent(event);
    });
    worker.on('error', (err) => {
      if (this.worker === worker) this.onCrash(err.message);
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) {
        this.worker = null;
        if (this.state === 'starting' || this.state === 'running' || this.state === 'paused') {
          this.onCrash(`it exited with code ${code}`);
        }
      }
    });
    const started = new Promise<RunInfo>((resolve, reject) => (this.startWaiter = { resolve, reject }));
    const config = this.config();
    const settings: WorkerSettings = {
      pauseOnNonFinite: config.pauseOnNonFinite,
      histogramEvery: Math.max(1, Math.floor(config.histogramEvery)),
      heatmapMaxCells: Math.max(4, Math.floor(config.heatmapMaxCells)),
      detailIntervalMs: postIntervalMs(config.updateRate),
      useWasm: config.useWasm,
    };
    this.send({
      type: 'start', spec: opts.spec, dataPath: opts.dataPath, labelsPath: opts.labelsPath, mediaDir: this.mediaDir,
      file: opts.file, settings, paused: opts.stepOnly || !!opts.paused,
    });
    if (opts.stepOnly) this.send({ type: 'step' });
    return started;
  }

  pause(): void {
    this.sendNow({ type: 'pause' });
  }

  resume(): void {
    this.send({ type: 'resume' });
  }

  /** Exactly one more batch; pauses first when running. */
  step(): void {
    this.sendNow({ type: 'step' });
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const stopped = new Promise<void>((resolve) => {
      const done = this.onDidChangeState((s) => {
        if (s === 'stopped' || s === 'finished' || s === 'error') { done.dispose(); resolve(); }
      });
      setTimeout(() => { done.dispose(); resolve(); }, STOP_GRACE_MS);
    });
    this.sendNow({ type: 'stop' });
    if (this.isActive) await stopped;
    await this.terminateWorker();
    if (this.state === 'starting' || this.state === 'running' || this.state === 'paused') {
      this.setStatus({ ...this.status, state: 'stopped', message: undefined });
    }
    this.flushNow();
  }

  /** Stops any run and forgets everything: history, detail, checks. */
  async reset(): Promise<void> {
    await this.terminateWorker();
    this.clearRun();
    this.compare = null;
    this.repeat = null;
    this.uri = undefined;
    this.setStatus({ state: 'idle', step: 0, epoch: 0 });
    this.postSnapshotToViews();
  }

  select(selection: ParamSelection): void {
    this.selection = selection;
    this.send({ type: 'select', selection });
  }

  setHeatmapMode(mode: HeatmapMode): void {
    this.heatmapMode = mode;
    this.send({ type: 'heatmapMode', mode });
  }

  setGradCheck(result: GradCheckResult): void {
    this.gradCheck = result;
    this.queue({ type: 'gradCheck', result });
  }

  /** True when a run's worker is there to replay a batch (loaded, training, paused or finished). */
  get canWalkThrough(): boolean {
    return this.worker !== null && this.run !== null;
  }

  /** Shows a finished Repeat One Example experiment (it runs in its own worker, see oneShotWorker.ts). */
  setRepeat(result: RepeatResult): void {
    this.repeat = result;
    this.queue({ type: 'repeat', result });
    this.flushNow();
  }

  /** Shows a finished batch-size comparison (it runs in its own worker, see oneShotWorker.ts). */
  setCompare(result: CompareResult): void {
    this.compare = result;
    this.queue({ type: 'compare', result });
    this.flushNow();
  }

  /**
   * Replays the current run's latest batch example by example (the first batch at the initial
   * weights when no step ran yet), in the training worker, following `selection` or the current one.
   * Rejects with a user-facing message when there is no run.
   */
  walkThrough(selection?: ParamSelection): Promise<WalkthroughResult> {
    if (!this.worker || !this.run) {
      return Promise.reject(new Error('nothing is training: start a run (Train or Step) to step through one of its batches.'));
    }
    this.walkthroughWaiter?.reject(new Error('a newer step-through replaced this one.'));
    const result = new Promise<WalkthroughResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.walkthroughWaiter === waiter) this.walkthroughWaiter = null;
        reject(new Error('the training worker did not answer the step-through in time.'));
      }, WALKTHROUGH_TIMEOUT_MS);
      const waiter = {
        resolve: (r: WalkthroughResult) => { clearTimeout(timer); resolve(r); },
        reject: (e: Error) => { clearTimeout(timer); reject(e); },
      };
      this.walkthroughWaiter = waiter;
    });
    // Interrupts a running slice so the answer comes within one step, not after the slice budget.
    this.sendNow({ type: 'walkthrough', selection: selection ?? this.selection });
    return result;
  }

  /** The current run's weights (to save them). Rejects with a user-facing message when there is no run. */
  async weights(): Promise<NamedTensor[]> {
    return (await this.request((id) => ({ type: 'getWeights', id }))) ?? [];
  }

  /** Replaces the current run's weights (the worker checks every name and shape). Optimizer state is kept. */
  async setWeights(tensors: NamedTensor[]): Promise<void> {
    await this.request((id) => ({ type: 'setWeights', id, tensors }));
  }

  private request(make: (id: number) => WorkerRequest): Promise<NamedTensor[] | null> {
    if (!this.worker || !this.run) {
      return Promise.reject(new Error('nothing is training: start a run (Train or Step) first.'));
    }
    const id = this.nextRequestId++;
    const answer = new Promise<NamedTensor[] | null>((resolve, reject) => this.requests.set(id, { resolve, reject }));
    // Between two steps, not after the whole slice.
    this.sendNow(make(id));
    return answer;
  }

  private settleRequests(error: Error): void {
    for (const waiter of this.requests.values()) waiter.reject(error);
    this.requests.clear();
  }

  /** Ends the worker thread the way a crash would (no stop request), so the real crash path runs. For the host tests. */
  async crashWorkerForTests(): Promise<void> {
    await this.worker?.terminate();
  }

  dispose(): void {
    void this.terminateWorker();
    clearTimeout(this.flushTimer);
    this.changeEmitter.dispose();
    this.postEmitter.dispose();
    this.stateEmitter.dispose();
    this.errorEmitter.dispose();
  }

  private onWorkerEvent(event: WorkerEvent): void {
    switch (event.type) {
      case 'started':
        this.run = event.run;
        this.startWaiter?.resolve(event.run);
        this.startWaiter = null;
        this.postSnapshotToViews();
        return;
      case 'steps': {
        this.history.push(event.points);
        const last = event.points[event.points.length - 1];
        if (last) this.status = { ...this.status, step: last.step, epoch: last.epoch };
        this.queue(event);
        return;
      }
      case 'detail':
        this.detail = event.detail;
        if (event.detail.perExample) this.selection = event.detail.perExample.selection;
        if (event.detail.histograms.length) this.keepHistograms(event.detail.histograms);
        this.queue(event);
        return;
      case 'epoch':
        this.epochs.push(event.epoch);
        this.queue(event);
        return;
      case 'status':
        this.setStatus({ ...event.status, nonFinite: event.status.nonFinite ?? this.status.nonFinite });
        return;
      case 'gradCheck':
      case 'compare':
      case 'compareProgress':
      case 'repeat':
        return; // only gradient-check and comparison workers send these (gradientCheck.ts, oneShotWorker.ts)
      case 'walkthrough':
        this.walkthrough = event.result;
        this.walkthroughWaiter?.resolve(event.result);
        this.walkthroughWaiter = null;
        // Posted at once rather than queued: it is one answer to a command, not a stream to coalesce.
        this.flushNow();
        this.postEmitter.fire(event);
        this.changeEmitter.fire();
        return;
      case 'weights':
      case 'weightsSet':
      case 'requestFailed': {
        const waiter = this.requests.get(event.id);
        this.requests.delete(event.id);
        if (event.type === 'weights') waiter?.resolve(event.tensors);
        else if (event.type === 'weightsSet') waiter?.resolve(null);
        else waiter?.reject(new Error(event.message));
        return;
      }
      case 'batchSnapshot':
        return; // only one-shot workers send this (oneShotWorker.ts)
      case 'walkthroughFailed':
        this.walkthroughWaiter?.reject(new Error(event.message));
        this.walkthroughWaiter = null;
        return;
      case 'error':
        this.startWaiter?.reject(new Error(event.message));
        this.startWaiter = null;
        this.errorEmitter.fire(event.message);
        return;
    }
  }

  private onCrash(reason: string): void {
    const message = `The training worker stopped unexpectedly (${reason}). The history so far is kept: ` +
      'run Train to start again, or Reset to clear it.';
    this.worker = null;
    this.startWaiter?.reject(new Error(message));
    this.startWaiter = null;
    this.walkthroughWaiter?.reject(new Error(message));
    this.walkthroughWaiter = null;
    this.settleRequests(new Error(message));
    this.setStatus({ ...this.status, state: 'error', message });
    this.errorEmitter.fire(message);
    this.flushNow();
  }

  private keepHistograms(added: Histogram[]): void {
    this.histograms.push(...added);
    const layers = new Set(this.histograms.map((h) => h.layer)).size || 1;
    const cap = HISTOGRAMS_PER_LAYER * layers;
    if (this.histograms.length > cap) this.histograms.splice(0, this.histograms.length - cap);
  }

  private setStatus(status: SessionStatus): void {
    const changed = status.state !== this.status.state;
    this.status = status;
    this.queue({ type: 'status', status });
    if (changed) {
      this.stateEmitter.fire(status.state);
      // A state change (pause, stop, error) should reach the views without waiting for the timer.
      this.flushNow();
    }
  }

  private clearRun(): void {
    this.run = null;
    this.history.clear();
    this.epochs = [];
    this.histograms = [];
    this.detail = null;
    this.selection = null;
    this.gradCheck = null;
    this.walkthrough = null;
    this.outbox.clear();
  }

  private send(request: WorkerRequest): void {
    this.worker?.postMessage(request);
  }

  /** A request that must interrupt the current slice of training (pause, step, stop). */
  private sendNow(request: WorkerRequest): void {
    if (!this.worker) return;
    Atomics.store(this.interrupt, 0, 1);
    this.worker.postMessage(request);
  }

  private async terminateWorker(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.startWaiter?.reject(new RunCancelled('The run was replaced or stopped before it started.'));
    this.startWaiter = null;
    this.walkthroughWaiter?.reject(new Error('the run ended before the step-through was ready.'));
    this.walkthroughWaiter = null;
    this.settleRequests(new Error('the run ended before the worker answered.'));
    if (worker) await worker.terminate();
  }

  private queue(message: HostMessage): void {
    this.outbox.add(message);
    if (this.flushTimer) return;
    const wait = Math.max(0, this.lastFlush + postIntervalMs(this.config().updateRate) - Date.now());
    this.flushTimer = setTimeout(() => this.flushNow(), wait);
  }

  private flushNow(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.lastFlush = Date.now();
    if (this.outbox.isEmpty) return;
    for (const message of this.outbox.drain()) this.postEmitter.fire(message);
    this.viewsThinned ||= this.outbox.lastDrainThinned;
    // The live posts may have left steps out; once training rests, the views get every step.
    if (this.viewsThinned && this.state !== 'running' && this.state !== 'starting') {
      this.viewsThinned = false;
      this.postSnapshotToViews();
      return;
    }
    this.changeEmitter.fire();
  }

  /** Views replace their whole state (new run, reset). */
  private postSnapshotToViews(): void {
    this.outbox.clear();
    this.viewsThinned = false;
    this.postEmitter.fire({ type: 'snapshot', snapshot: this.snapshot });
    this.changeEmitter.fire();
  }
}
