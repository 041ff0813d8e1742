// The host's one run: the state machine, the snapshot every view starts from (kept with the shared
// reducer), what the views follow (selection and heatmap mode live here and nowhere else), and the
// source producing the steps. Sources report what happened; this class turns the reports into
// machine inputs and snapshot updates and hands every update to `post` for the views.
// Pure: no vscode, no Node APIs (the source may use them).

import type {
  HeatmapMode,
  HostMessage,
  ParamSelection,
  RunInfo,
  SessionSnapshot,
  SessionStatus,
  SnapshotLimits,
  WalkthroughResult,
} from '../protocol';
import type { NamedTensor } from '../engine/trainer';
import { stepPoint } from '../session/detail';
import { RunMachine, type RunInput } from './machine';
import { apply, clearRun, emptySnapshot, limitsOf, ranksStep } from './reducer';
import { deepFreeze } from './freeze';
import type { RunSource, RunState, SourceEvent } from './source';

/** A start that was superseded (Stop, Reset or another Train) before the run began: not an error to show. */
export class RunCancelled extends Error {}

export interface RunHooks {
  /** Every update for the views, in order. `urgent`: a state change or an answer, not a stream to coalesce. */
  post(message: HostMessage, urgent: boolean): void;
  /** The state changed (context keys, menus). */
  stateChanged(state: RunState): void;
  /** A user-facing problem or failure of the run. */
  problem(message: string): void;
}

const NOTHING_TRAINING = 'nothing is training: start a run (Train or Step) first.';

export class Run {
  private readonly machine = new RunMachine();
  private readonly s: SessionSnapshot;
  private source: RunSource | null = null;
  private startWaiter: { resolve(run: RunInfo): void; reject(e: Error): void } | null = null;

  /**
   * @param freezeSnapshots deep-freeze every snapshot handed out, so a reader that writes into it
   *   throws (tests and development builds; it costs a walk over what is new in each copy).
   */
  constructor(
    limits: SnapshotLimits,
    private readonly hooks: RunHooks,
    private readonly freezeSnapshots = false,
  ) {
    this.s = emptySnapshot(limits);
    this.machine.onTransition(({ to }) => hooks.stateChanged(to));
  }

  get state(): RunState {
    return this.machine.state;
  }

  get isActive(): boolean {
    return this.machine.isActive && this.source !== null;
  }

  /** True when a source is there to answer queries about its run (loaded, training, paused or finished). */
  get canQuery(): boolean {
    return this.source !== null && this.s.run !== null;
  }

  /**
   * A copy that later updates do not change, shared by its readers: they must not change it
   * (the objects inside are the run's own). Frozen deep when the run was made with `freezeSnapshots`.
   */
  get snapshot(): SessionSnapshot {
    const copy = {
      ...this.s,
      history: this.s.history.slice(),
      epochs: this.s.epochs.slice(),
      histograms: this.s.histograms.slice(),
      limits: { ...limitsOf(this.s) },
    };
    return this.freezeSnapshots ? deepFreeze(copy) : copy;
  }

  setLimits(limits: SnapshotLimits): void {
    this.s.limits = { ...limits };
  }

  /**
   * Begins `source` (ending any previous one) and resolves once its network is built. The machine
   * is in `loading` before this returns its promise, so nobody sees an idle run in between.
   */
  start(source: RunSource, opts: { paused: boolean; stepOnly: boolean }): Promise<RunInfo> {
    this.endSource(new RunCancelled('The run was replaced or stopped before it started.'));
    clearRun(this.s, true);
    this.source = source;
    this.machine.send('start', { paused: opts.paused || opts.stepOnly });
    if (opts.stepOnly) this.machine.send('step');
    this.setStatus({ state: 'loading', step: 0, epoch: 0, message: 'Loading data…' });
    this.hooks.post({ type: 'snapshot', snapshot: this.snapshot }, true);
    const started = new Promise<RunInfo>((resolve, reject) => (this.startWaiter = { resolve, reject }));
    source
      .start((event) => {
        if (this.source === source) this.onSourceEvent(event);
      })
      .catch((e: unknown) => {
        if (this.source === source) this.onSourceEvent({ type: 'failed', error: { kind: 'start', message: messageOf(e) } });
      });
    if (opts.stepOnly) void source.control({ type: 'step', unit: 'batch' }).catch(() => undefined);
    return started;
  }

  /** Pause, Resume or Step: refused (false) when the machine says the control is illegal now. */
  control(input: 'pause' | 'resume' | 'step'): boolean {
    const source = this.source;
    if (!source || !this.machine.can(input)) return false;
    // While loading the machine remembers what to do once loaded; afterwards the source's report moves it.
    if (this.machine.state === 'loading') this.machine.send(input);
    const control = input === 'step' ? { type: 'step' as const, unit: 'batch' as const } : { type: input };
    source.control(control).catch((e: unknown) => this.hooks.problem(messageOf(e)));
    return true;
  }

  /** Stops the source (waiting at most `graceMs` for it to say so) and ends it. */
  async stop(graceMs: number): Promise<void> {
    const source = this.source;
    if (!source) return;
    if (this.machine.isActive) {
      const stopped = source.control({ type: 'stop' }).catch(() => undefined);
      let grace: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([stopped, new Promise((r) => (grace = setTimeout(r, graceMs)))]);
      // A stop answered in time leaves no timer behind (it would hold a CLI's process open for graceMs).
      clearTimeout(grace);
    }
    if (this.source !== source) return;
    this.endSource(new RunCancelled('The run was stopped before it started.'));
    if (this.machine.send('stop')) this.setStatus({ ...this.s.status, state: 'stopped', message: undefined });
  }

  /** Ends any run and forgets everything: history, detail, checks, comparison. */
  reset(): void {
    this.endSource(new RunCancelled('The run was reset before it started.'));
    clearRun(this.s, false);
    this.machine.send('reset');
    this.hooks.post({ type: 'snapshot', snapshot: this.snapshot }, true);
  }

  /** What the views follow: kept here, passed on to the source, echoed to every view. */
  follow(selection: ParamSelection | null, mode: HeatmapMode): void {
    this.s.selection = selection ?? this.s.selection;
    this.s.heatmapMode = mode;
    this.source?.follow?.(this.s.selection, mode);
    this.hooks.post({ type: 'view', selection: this.s.selection, heatmapMode: mode }, false);
  }

  /** Results of one-shot jobs belong to the snapshot too. */
  show(message: Extract<HostMessage, { type: 'gradCheck' | 'compare' | 'walkthrough' | 'repeat' | 'problems' | 'pace' }>): void {
    apply(this.s, message);
    this.hooks.post(message, message.type !== 'gradCheck');
  }

  async walkThrough(selection?: ParamSelection): Promise<WalkthroughResult> {
    const source = this.source;
    if (!source?.walkThrough || !this.s.run) {
      throw new Error('nothing is training: start a run (Train or Step) to step through one of its batches.');
    }
    const result = await source.walkThrough(selection ?? this.s.selection);
    this.show({ type: 'walkthrough', result });
    return result;
  }

  async weights(): Promise<NamedTensor[]> {
    if (!this.source?.weights || !this.s.run) throw new Error(NOTHING_TRAINING);
    return this.source.weights();
  }

  async setWeights(tensors: NamedTensor[]): Promise<void> {
    if (!this.source?.setWeights || !this.s.run) throw new Error(NOTHING_TRAINING);
    await this.source.setWeights(tensors);
  }

  /** The current source, for tests that must reach it (crash it). */
  get currentSource(): RunSource | null {
    return this.source;
  }

  dispose(): void {
    this.endSource(new RunCancelled('The run ended.'));
  }

  private onSourceEvent(event: SourceEvent): void {
    switch (event.type) {
      case 'loaded':
        this.s.run = event.run;
        this.startWaiter?.resolve(event.run);
        this.startWaiter = null;
        this.hooks.post({ type: 'snapshot', snapshot: this.snapshot }, true);
        return;
      case 'points':
        return this.update({ type: 'steps', points: event.points });
      case 'step': {
        this.update({ type: 'steps', points: [stepPoint(event.record, event.record.time)] });
        const ranks = ranksStep(event.record);
        if (ranks) this.update({ type: 'ranks', ranks });
        return;
      }
      case 'detail':
        return this.update({ type: 'detail', detail: event.detail });
      case 'epoch':
        return this.update({ type: 'epoch', epoch: event.epoch });
      case 'resumed':
        return this.reached('running', event.progress);
      case 'halted':
        return this.reached('paused', event.progress, event.nonFinite);
      case 'finished':
        return this.reached('finished', event.progress);
      case 'stopped':
        return this.reached('stopped', event.progress);
      case 'problem':
        this.hooks.problem(event.message);
        return;
      case 'failed': {
        const message = event.error.message;
        this.startWaiter?.reject(new Error(message));
        this.startWaiter = null;
        // A failed source is over; its history stays until Reset or the next Train.
        const source = this.source;
        this.source = event.error.kind === 'gone' ? null : this.source;
        if (source && event.error.kind === 'gone') source.dispose();
        // A worker that dies after its run ended is no news to the user.
        if (this.machine.send('fail')) {
          this.setStatus({ ...this.s.status, state: 'failed', message });
          this.hooks.problem(message);
        }
        return;
      }
    }
  }

  /** The source says it is in `state`: the inputs that lead the machine there. */
  private reached(
    state: RunState,
    given: { step: number; epoch: number; message?: string } | undefined,
    nonFinite?: SessionStatus['nonFinite'],
  ): void {
    for (const input of inputsToward(this.machine.state, state)) this.machine.send(input);
    const progress = given ?? { step: this.s.status.step, epoch: this.s.status.epoch };
    this.setStatus({
      state: this.machine.state,
      step: progress.step,
      epoch: progress.epoch,
      ...(progress.message ? { message: progress.message } : {}),
      ...(nonFinite ? { nonFinite } : {}),
    });
  }

  private update(message: HostMessage): void {
    apply(this.s, message);
    this.hooks.post(message, false);
  }

  private setStatus(status: SessionStatus): void {
    const message: HostMessage = { type: 'status', status };
    apply(this.s, message);
    this.hooks.post({ type: 'status', status: this.s.status }, true);
  }

  private endSource(reason: Error): void {
    this.startWaiter?.reject(reason);
    this.startWaiter = null;
    const source = this.source;
    this.source = null;
    source?.dispose();
  }
}

/** The machine inputs that take a run from `from` to the state a source reported. */
export function inputsToward(from: RunState, to: RunState): RunInput[] {
  if (from === to) return [];
  switch (to) {
    case 'running':
      return from === 'loading' ? ['resume', 'loaded'] : ['resume'];
    case 'paused':
      if (from === 'loading') return ['pause', 'loaded'];
      if (from === 'stepping') return ['stepped'];
      return ['pause'];
    case 'finished':
      return from === 'loading' ? ['loaded', 'finish'] : ['finish'];
    case 'stopped':
      return ['stop'];
    case 'failed':
      return ['fail'];
    default:
      return [];
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
