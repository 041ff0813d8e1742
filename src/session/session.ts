// The training session on the extension-host side: one Run (src/run/run.ts) fed by the built-in
// engine in a worker_thread (src/run/engineSource.ts), and the views' side of it: updates go to
// every open view at most `updateRate` times a second (coalesced, see outbox.ts), state changes
// and answers at once. It never trains itself, so the extension host stays responsive whatever the
// model does.

import * as vscode from 'vscode';
import type {
  CompareResult,
  RepeatResult,
  HeatmapMode,
  HostMessage,
  ModelFileProblems,
  ParamSelection,
  RunInfo,
  ReadonlySnapshot,
  SessionSnapshot,
  SessionState,
  WalkthroughResult,
} from '../protocol';
import type { GradCheckResult } from '../engine/types';
import type { NamedTensor } from '../engine/trainer';
import type { ModelSpec } from '../model/spec';
import type { SessionSettings } from '../config';
import { EngineSource } from '../run/engineSource';
import { openThread } from '../run/threadTransport';
import type { ThreadMemory } from '../run/workerChannel';
import { Run, RunCancelled } from '../run/run';
import type { RunSource } from '../run/source';
import type { SessionObservable } from './observable';
import { Outbox, postIntervalMs } from './outbox';
import { isResting, RestResync } from './restResync';

export { RunCancelled };

/** A model file made ready to run: what every command hands the session. */
export interface PreparedModel {
  uri: vscode.Uri;
  /** Workspace-relative path shown in messages. */
  file: string;
  spec: ModelSpec;
  dataPath: string | null;
  labelsPath: string | null;
  /** The workspace folder holding the model file (in a multi-root workspace, that file's folder): data
   * files must stay inside it (checked by the worker on each file it opens). */
  workspaceRoot: string;
}

export interface StartOptions extends PreparedModel {
  /** Start paused and run exactly one step (the Step command with nothing running). */
  stepOnly: boolean;
  /** Start paused without stepping (Step Through Batch with nothing running: the first batch at the initial weights). */
  paused?: boolean;
  /** The worker starts once this resolves (the panel is ready), so the views see the run from its first step. */
  gate?: Promise<void>;
}

/** How long Stop waits for the worker to acknowledge before terminating it. */
const STOP_GRACE_MS = 1000;
/** How often the host checks that the training worker still answers. */
const HEARTBEAT_INTERVAL_MS = 1000;

export class TrainingSession implements SessionObservable, vscode.Disposable {
  private readonly run: Run;
  private uri: vscode.Uri | undefined;
  private problemsUri: vscode.Uri | undefined;
  private readonly outbox = new Outbox();
  /**
   * The run's snapshot as last copied, until the run changes (every change is posted or is a state
   * change). The decorations, diagnostics and status bar read it several times per update; a fresh
   * copy of the history each time was a third of what the extension host allocated while training.
   */
  private copy: SessionSnapshot | undefined;
  /** Live posts that left steps out: every view gets the whole state once training rests. */
  private readonly rest = new RestResync(() => this.postEmitter.fire(this.snapshotMessage()));
  private flushTimer: NodeJS.Timeout | undefined;
  private lastFlush = 0;
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
  /** A user-facing error from the run (bad data, NaN, crash). */
  readonly onDidError = this.errorEmitter.event;

  constructor(
    private readonly workerScript: string,
    private readonly mediaDir: string,
    private readonly settings: () => SessionSettings,
    /** Deep-freeze the shared snapshot (development builds: a view that writes into it throws there). */
    freezeSnapshots = false,
  ) {
    this.run = new Run(
      limitsFrom(settings()),
      {
        post: (message, urgent) => {
          this.copy = undefined;
          this.toViews(message, urgent);
        },
        stateChanged: (state) => {
          this.copy = undefined;
          this.stateEmitter.fire(state);
        },
        problem: (message) => this.errorEmitter.fire(message),
      },
      freezeSnapshots,
    );
    this.run.show({ type: 'pace', stepsPerSecond: settings().stepsPerSecond });
  }

  get modelUri(): vscode.Uri | undefined {
    return this.uri;
  }

  get state(): SessionState {
    return this.run.state;
  }

  /** True while a run is loading, training or paused. */
  get isActive(): boolean {
    return this.run.isActive;
  }

  /** The current state; shared by every reader until the run changes, so read it, never change it. */
  get snapshot(): ReadonlySnapshot {
    return this.shared();
  }

  /** The whole state as a message for a view (posting serialises it: the view gets its own copy). */
  snapshotMessage(): HostMessage {
    return { type: 'snapshot', snapshot: this.shared() };
  }

  private shared(): SessionSnapshot {
    this.copy ??= this.run.snapshot;
    return this.copy;
  }

  /** Starts a new run (replacing any current one) and resolves once the data is loaded and the network built. */
  start(opts: StartOptions): Promise<RunInfo> {
    const settings = this.settings();
    this.run.setLimits(limitsFrom(settings));
    this.copy = undefined;
    const source = new EngineSource({
      open: () =>
        openThread(
          this.workerScript,
          { heapMb: settings.workerMemoryMb, engineThreads: settings.engineThreads },
          { intervalMs: HEARTBEAT_INTERVAL_MS, timeoutMs: settings.workerTimeoutSeconds * 1000 },
        ),
      start: {
        spec: opts.spec,
        dataPath: opts.dataPath,
        labelsPath: opts.labelsPath,
        mediaDir: this.mediaDir,
        file: opts.file,
        workspaceRoot: opts.workspaceRoot,
        paused: opts.stepOnly || !!opts.paused,
        settings: {
          pauseOnNonFinite: settings.pauseOnNonFinite,
          histogramEvery: Math.max(1, Math.floor(settings.histogramEvery)),
          heatmapMaxCells: Math.max(4, Math.floor(settings.heatmapMaxCells)),
          detailIntervalMs: postIntervalMs(settings.updateRate),
          useWasm: settings.useWasm,
          stepsPerSecond: settings.stepsPerSecond,
        },
      },
      gate: opts.gate,
    });
    return this.startSource(source, opts.uri, { paused: !!opts.paused, stepOnly: opts.stepOnly });
  }

  /**
   * Shows a run of any RunSource (the debug adapter, a PyTorch process) in every view, replacing
   * the current run. Resolves once the source has described its run.
   */
  startSource(source: RunSource, uri: vscode.Uri | undefined, opts: { paused: boolean; stepOnly: boolean }): Promise<RunInfo> {
    this.uri = uri;
    return this.run.start(source, opts);
  }

  pause(): void {
    this.run.control('pause');
  }

  resume(): void {
    this.run.control('resume');
  }

  /** Exactly one more batch; pauses first when running. */
  step(): void {
    this.run.control('step');
  }

  async stop(): Promise<void> {
    await this.run.stop(STOP_GRACE_MS);
    this.flushNow();
  }

  /** Stops any run and forgets everything: history, detail, checks. */
  async reset(): Promise<void> {
    this.run.reset();
    this.uri = undefined;
  }

  select(selection: ParamSelection): void {
    this.run.follow(selection, this.run.snapshot.heatmapMode);
  }

  setHeatmapMode(mode: HeatmapMode): void {
    this.run.follow(null, mode);
  }

  setGradCheck(result: GradCheckResult): void {
    this.run.show({ type: 'gradCheck', result });
  }

  /** True when a run's worker is there to replay a batch (loaded, training, paused or finished). */
  get canWalkThrough(): boolean {
    return this.run.canQuery;
  }

  /** The training pace for the running training (at once) and the next runs, shown in every view. */
  setPace(stepsPerSecond: number): void {
    if (this.run.snapshot.pace === stepsPerSecond) return;
    this.run.show({ type: 'pace', stepsPerSecond });
    const source = this.run.currentSource;
    if (source instanceof EngineSource) source.setPace(stepsPerSecond);
  }

  /** Lists the model file's errors in the panel (why a Train did not start), or clears them (null). */
  setProblems(problems: ModelFileProblems | null, uri?: vscode.Uri): void {
    this.problemsUri = problems ? uri : undefined;
    if (problems === null && !this.run.snapshot.problems) return;
    this.run.show({ type: 'problems', problems });
  }

  /** The model file whose errors the panel lists. */
  get problemsFile(): vscode.Uri | undefined {
    return this.problemsUri;
  }

  /** Shows a finished Repeat One Example experiment (it runs in its own worker, see oneShotWorker.ts). */
  setRepeat(result: RepeatResult): void {
    this.run.show({ type: 'repeat', result });
  }

  /** Shows a finished batch-size comparison (it runs in its own worker, see oneShotWorker.ts). */
  setCompare(result: CompareResult): void {
    this.run.show({ type: 'compare', result });
  }

  /**
   * Replays the current run's latest batch example by example (the first batch at the initial
   * weights when no step ran yet), in the training worker, following `selection` or the current one.
   * Rejects with a user-facing message when there is no run.
   */
  walkThrough(selection?: ParamSelection): Promise<WalkthroughResult> {
    return this.run.walkThrough(selection);
  }

  /** The current run's weights (to save them). Rejects with a user-facing message when there is no run. */
  weights(): Promise<NamedTensor[]> {
    return this.run.weights();
  }

  /** Replaces the current run's weights (the worker checks every name and shape). Optimizer state is kept. */
  setWeights(tensors: NamedTensor[]): Promise<void> {
    return this.run.setWeights(tensors);
  }

  /** The training worker's own memory (its V8 heap and the buffers it owns), or null. For the bench. */
  workerMemory(): Promise<ThreadMemory | null> {
    const source = this.run.currentSource;
    return source instanceof EngineSource ? source.memory() : Promise.resolve(null);
  }

  /** Writes a heap snapshot of the training worker; false when there is none. For the bench. */
  writeWorkerHeapSnapshot(file: string): Promise<boolean> {
    const source = this.run.currentSource;
    return source instanceof EngineSource ? source.writeHeapSnapshot(file) : Promise.resolve(false);
  }

  /** Ends the training worker the way a crash would (no stop request), so the real crash path runs. For the host tests. */
  async crashWorkerForTests(): Promise<void> {
    const source = this.run.currentSource;
    if (source instanceof EngineSource) await source.crashForTests();
  }

  dispose(): void {
    this.run.dispose();
    clearTimeout(this.flushTimer);
    this.changeEmitter.dispose();
    this.postEmitter.dispose();
    this.stateEmitter.dispose();
    this.errorEmitter.dispose();
  }

  private toViews(message: HostMessage, urgent: boolean): void {
    if (message.type === 'snapshot') {
      // Views replace their whole state (new run, reset): nothing queued before it still matters.
      this.outbox.clear();
      this.rest.reset();
      this.postEmitter.fire(message);
      this.changeEmitter.fire();
      return;
    }
    if (message.type === 'walkthrough') {
      // One answer to a command: after what is queued, at once.
      this.flushNow();
      this.postEmitter.fire(message);
      this.changeEmitter.fire();
      return;
    }
    this.outbox.add(message);
    if (urgent) return this.flushNow();
    if (this.flushTimer) return;
    const wait = Math.max(0, this.lastFlush + postIntervalMs(this.settings().updateRate) - Date.now());
    this.flushTimer = setTimeout(() => this.flushNow(), wait);
  }

  private flushNow(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.lastFlush = Date.now();
    if (this.outbox.isEmpty) return;
    for (const message of this.outbox.drain()) this.postEmitter.fire(message);
    this.rest.noteDrain(this.outbox.lastDrainThinned);
    this.rest.settle(isResting(this.state));
    this.changeEmitter.fire();
  }
}

function limitsFrom(settings: SessionSettings) {
  return { historyLength: settings.historyLength, histogramsPerLayer: 100 };
}
