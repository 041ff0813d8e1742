// The built-in engine as a RunSource: a training worker_thread (dist/worker.js) behind a
// WorkerChannel. It turns the worker's events into SourceEvents and the run's controls and
// queries into requests with replies. Node only (worker_threads); no vscode.

import type { NamedTensor } from '../engine/trainer';
import type { HeatmapMode, ParamSelection, StartRequest, WalkthroughResult, WorkerAnswer, WorkerEvent } from '../protocol';
import type { RunControl, RunSource, RunSourceCapabilities, SourceEvent } from './source';
import type { ThreadMemory, WorkerChannel } from './workerChannel';

/** How long a step-through may take before the run gives up waiting (a big batch replays M+1 passes). */
const WALKTHROUGH_TIMEOUT_MS = 60_000;

export interface EngineSourceOptions {
  /** Opens the worker (a worker_thread in the extension, the same loop in-process in tests). */
  open(): WorkerChannel;
  start: Omit<StartRequest, 'type'>;
  /** Resolves when the worker may start (the panel is ready to show the run from its first step). */
  gate?: Promise<void>;
}

export class EngineSource implements RunSource {
  readonly capabilities: RunSourceCapabilities = {
    stopPoints: ['batch-start', 'after-update'],
    stepUnits: ['batch'],
    perExample: true,
  };
  private channel: WorkerChannel | null = null;
  private listener: (event: SourceEvent) => void = () => {};
  private lastTime = 0;
  private disposed = false;

  constructor(private readonly options: EngineSourceOptions) {}

  async start(listener: (event: SourceEvent) => void): Promise<void> {
    this.listener = listener;
    await this.options.gate;
    if (this.disposed) return;
    const channel = this.options.open();
    this.channel = channel;
    channel.onEvent((event) => this.onEvent(event));
    channel.onGone((reason) =>
      listener({
        type: 'failed',
        error: {
          kind: 'gone',
          message: `The training worker stopped unexpectedly (${reason}). The history so far is kept: run Train to start again, or Reset to clear it.`,
        },
      }),
    );
    channel.post({ type: 'start', ...this.options.start });
  }

  async control(control: RunControl): Promise<void> {
    // A control sent while the gate holds the start reaches the worker right after its start.
    await this.options.gate;
    const channel = this.channel;
    if (!channel || channel.isGone) return;
    if (control.type === 'restart') throw new Error('the built-in engine restarts by starting a new run.');
    if (control.type === 'step' && control.unit !== 'batch')
      throw new Error(`the built-in engine steps by batch, not by ${control.unit}.`);
    // One step of a big model may take long by itself; the step's own report turns the watch on again.
    if (control.type === 'step') channel.watch(false);
    await channel.request({ type: control.type });
  }

  follow(selection: ParamSelection | null, mode: HeatmapMode): void {
    if (selection) this.channel?.post({ type: 'select', selection });
    this.channel?.post({ type: 'heatmapMode', mode });
  }

  /** A new training pace (steps per second; 0: as fast as it goes), taken from the next step on. */
  setPace(stepsPerSecond: number): void {
    this.channel?.post({ type: 'pace', stepsPerSecond });
  }

  async walkThrough(selection: ParamSelection | null): Promise<WalkthroughResult> {
    // A long replay blocks the worker's message loop: that silence is not a hang (the request's own timeout bounds it).
    const release = this.channel?.hold();
    try {
      const answer = await this.ask(
        { type: 'walkthrough', selection },
        { ms: WALKTHROUGH_TIMEOUT_MS, message: 'the training worker did not answer the step-through in time.' },
      );
      return expect(answer, 'walkthrough').result;
    } finally {
      release?.();
    }
  }

  async weights(): Promise<NamedTensor[]> {
    return expect(await this.ask({ type: 'getWeights' }), 'weights').tensors;
  }

  async setWeights(tensors: NamedTensor[]): Promise<void> {
    expect(await this.ask({ type: 'setWeights', tensors }), 'weightsSet');
  }

  /** The training thread's own memory (null before it starts, after it ends, or when the host cannot tell). */
  memory(): Promise<ThreadMemory | null> {
    return this.channel?.memory() ?? Promise.resolve(null);
  }

  /** Writes a heap snapshot of the training thread; false when there is none. For the bench. */
  writeHeapSnapshot(file: string): Promise<boolean> {
    return this.channel?.writeHeapSnapshot(file) ?? Promise.resolve(false);
  }

  /** Ends the thread the way a crash would (no stop request), so the real crash path runs. For the host tests. */
  async crashForTests(): Promise<void> {
    await this.channel?.killForTests();
  }

  dispose(): void {
    this.disposed = true;
    const channel = this.channel;
    this.channel = null;
    void channel?.terminate();
  }

  private ask(
    request: Parameters<WorkerChannel['request']>[0],
    timeout?: { ms: number; message: string },
  ): Promise<WorkerAnswer> {
    if (!this.channel) return Promise.reject(new Error('nothing is training: start a run (Train or Step) first.'));
    return this.channel.request(request, timeout);
  }

  private onEvent(event: WorkerEvent): void {
    const emit = this.listener;
    switch (event.type) {
      case 'started':
        return emit({ type: 'loaded', run: event.run });
      case 'steps': {
        // Silence while a single step runs is allowed to grow with the slowest step seen.
        for (const p of event.points) {
          this.channel?.sawStepTaking(p.time - this.lastTime);
          this.lastTime = p.time;
        }
        this.channel?.watch(true);
        return emit({ type: 'points', points: event.points });
      }
      case 'detail':
        return emit({ type: 'detail', detail: event.detail });
      case 'epoch':
        return emit({ type: 'epoch', epoch: event.epoch });
      case 'status': {
        const { state, step, epoch, message, nonFinite } = event.status;
        const progress = { step, epoch, ...(message ? { message } : {}) };
        // Silence counts only once the worker is known to answer between steps: not while it loads
        // data (a big file may block it) and not before the first step shows how long one takes.
        if (state === 'paused' || state === 'finished' || state === 'stopped') this.channel?.watch(true);
        else if (state === 'loading') this.channel?.watch(false);
        if (state === 'running') return emit({ type: 'resumed', progress });
        if (state === 'paused')
          return emit({
            type: 'halted',
            at: null,
            reason: nonFinite ? 'nonFinite' : 'pause',
            progress,
            ...(nonFinite ? { nonFinite } : {}),
          });
        if (state === 'finished') return emit({ type: 'finished', progress });
        if (state === 'stopped') return emit({ type: 'stopped', progress });
        return; // loading is the run's own state already; failed comes with its error
      }
      case 'error':
        // A NaN that paused the run is a problem to show; anything else ended the run.
        if (event.nonFinite) return emit({ type: 'problem', message: event.message, nonFinite: event.nonFinite });
        return emit({ type: 'failed', error: { kind: 'run', message: event.message } });
      case 'compareProgress':
        return; // only one-shot job workers send these
      case 'reply':
      case 'pong':
        return; // the channel answers these itself
    }
  }
}

function expect<T extends WorkerAnswer['type']>(answer: WorkerAnswer, type: T): Extract<WorkerAnswer, { type: T }> {
  if (answer.type !== type) throw new Error(`the worker answered with ${answer.type} instead of ${type}.`);
  return answer as Extract<WorkerAnswer, { type: T }>;
}
