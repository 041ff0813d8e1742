// The debugger's run as a RunSource (src/run/source.ts), for consumers that drive a run by the
// contract's controls rather than by DAP: the same phased step, the same slices, every stop point.
// A control resolves once it is carried out (pause and step: when the run has halted again).

import type { RunControl, RunSource, RunSourceCapabilities, SourceEvent } from '../run/source';
import type { PhasePoint } from '../engine/trainer';
import { DebugRun, type Halt } from './run';
import type { LoadedRun } from './load';

export class DebugRunSource implements RunSource {
  readonly capabilities: RunSourceCapabilities = {
    stopPoints: ['batch-start', 'example-backward', 'forward-done', 'layer-backward', 'before-update', 'after-update'],
    stepUnits: ['batch', 'example', 'layer', 'update'],
    perExample: true,
  };
  private run: DebugRun | null = null;
  private listener: (e: SourceEvent) => void = () => {};
  private waiting: { resolve: () => void; reject: (e: Error) => void } | null = null;

  /** `halts` can stop the run at chosen stop points (breakpoints), like the debug adapter does. */
  constructor(
    private readonly load: () => Promise<LoadedRun>,
    private readonly options: { file: string; stopOnEntry?: boolean; halts?: (p: PhasePoint) => Halt | null } = { file: '' },
  ) {}

  async start(listener: (event: SourceEvent) => void): Promise<void> {
    this.listener = listener;
    await this.begin();
  }

  private async begin(): Promise<void> {
    let loaded: LoadedRun;
    try {
      loaded = await this.load();
    } catch (e) {
      this.listener({ type: 'failed', error: { kind: 'load', message: (e as Error).message } });
      return;
    }
    const run = new DebugRun(loaded, {
      decide: (p) => this.options.halts?.(p) ?? null,
      halted: () => this.settle(),
      event: (e) => {
        if (e.type === 'finished' || e.type === 'failed')
          this.settle(e.type === 'failed' ? new Error(e.error.message) : undefined);
        this.listener(e);
      },
    });
    this.run = run;
    this.listener({ type: 'loaded', run: run.describe(this.options.file) });
    run.start(this.options.stopOnEntry ?? false);
  }

  control(c: RunControl): Promise<void> {
    const run = this.run;
    if (!run) return Promise.reject(new Error('The run has not started.'));
    if (c.type === 'stop') {
      const progress = run.progress();
      this.dispose();
      this.listener({ type: 'stopped', progress });
      return Promise.resolve();
    }
    if (c.type === 'restart') {
      run.dispose();
      this.run = null;
      return this.begin();
    }
    if (c.type === 'resume') {
      run.resume();
      return Promise.resolve();
    }
    if (run.state === 'finished') return Promise.reject(new Error('Training is finished.'));
    if (c.type === 'pause' && run.state !== 'running') return Promise.resolve();
    if (c.type === 'step' && run.state === 'running') return Promise.reject(new Error('Pause the run before stepping.'));
    const done = new Promise<void>((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
    if (c.type === 'pause') run.pause();
    else if (c.unit === 'batch') run.stepOver();
    else if (c.unit === 'example') run.stepIn();
    else if (c.unit === 'layer') run.stepPoint();
    else run.stepOut();
    return done;
  }

  /** The run itself, for inspecting tensors at a stop point (StopView). */
  get current(): DebugRun | null {
    return this.run;
  }

  private settle(error?: Error): void {
    const w = this.waiting;
    this.waiting = null;
    if (!w) return;
    if (error) w.reject(error);
    else w.resolve();
  }

  dispose(): void {
    this.run?.dispose();
    this.run = null;
    this.settle();
  }
}
