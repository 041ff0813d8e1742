// The training run inside a debug session: the engine's phased step driven in short slices so
// the event loop stays free (Pause lands within one slice; inline in the extension host the
// host keeps responding), with the stepping rules of the debugger. It reports what happens as
// run-source events (src/run/source.ts); whether a stop point halts is asked of `decide`, so
// breakpoints and exception filters are predicates over the same stop points as stepping.

import { closeHelper } from '../engine-host/threads';
import { Trainer, type PhasePoint } from '../engine/trainer';
import type { EpochStats, StepStats } from '../engine/types';
import type { RunDescription, RunProgress, SourceEvent, StopPoint } from '../run/source';
import type { WalkthroughResult } from '../protocol';
import { walkThroughBatch } from '../engine/walkthrough';
import type { LoadedRun } from './load';
import { BatchExamples } from './examples';

/** Engine work between two turns of the event loop. */
const SLICE_MS = 15;

export type HaltReason = 'entry' | 'pause' | 'step' | 'breakpoint' | 'exception';

export interface Halt {
  reason: HaltReason;
  /** Shown beside the stop (exception text, the breakpoint's condition). */
  description?: string;
  breakpointIds?: number[];
  /** For an exception stop: which filter fired. */
  filter?: string;
}

/** Step In replays the batch one example at a time; this is where that replay stands. */
export interface ExampleStop {
  /** Position within the batch. */
  i: number;
  replay: WalkthroughResult;
  /** Every example's own pass, for its frame. */
  examples: BatchExamples;
}

export interface RunCallbacks {
  /** Whether a stop point halts (breakpoints, exception filters); null to go on. */
  decide(point: PhasePoint): Halt | null;
  halted(halt: Halt): void;
  event(e: SourceEvent): void;
}

type Plan = (p: PhasePoint) => boolean;

export class DebugRun {
  readonly trainer: Trainer;
  /** The stop point the run is at (null between steps and before the first). */
  at: PhasePoint | null = null;
  example: ExampleStop | null = null;
  lastStats: StepStats | null = null;
  lastEpoch: EpochStats | null = null;
  state: 'stopped' | 'running' | 'finished' | 'disposed' = 'stopped';
  private phases: Generator<PhasePoint, StepStats, void> | null = null;
  private plan: Plan | null = null;
  private enterExamplesOnHalt = false;
  private pauseRequested = false;
  private timer: ReturnType<typeof setImmediate> | null = null;
  private seconds = 0;

  constructor(
    readonly loaded: LoadedRun,
    private readonly cb: RunCallbacks,
  ) {
    this.trainer = new Trainer({
      spec: loaded.spec,
      train: loaded.train,
      validation: loaded.validation,
      backend: loaded.backend,
    });
  }

  describe(file: string): RunDescription {
    return {
      file,
      spec: this.loaded.spec,
      layers: this.trainer.layers,
      trainSize: this.loaded.train.count,
      validationSize: this.loaded.validation?.count ?? 0,
      numClasses: this.loaded.train.numClasses,
      backend: this.loaded.label ?? this.trainer.backendName,
    };
  }

  /** Starts training; with stopOnEntry halts at the start of the first batch. */
  start(stopOnEntry: boolean): void {
    if (stopOnEntry) this.plan = (p) => p.kind === 'batch-start';
    this.go(stopOnEntry ? 'entry' : null);
  }

  resume(): void {
    this.go(null);
  }

  pause(): void {
    if (this.state === 'running') this.pauseRequested = true;
  }

  /** Step Over: the same stop point in the next batch (in an example replay: the next example). */
  stepOver(): void {
    if (this.example) return this.nextExample();
    const here = this.at;
    if (!here) {
      this.plan = (p) => p.kind === 'batch-start';
      return this.go(null);
    }
    this.plan = (p) => p.step > here.step && p.kind === here.kind && p.layer === here.layer;
    this.go(null);
  }

  /** Step In: into the batch's examples, each with its own forward and backward pass. */
  stepIn(): void {
    if (this.example) return this.nextExample();
    if (this.at && this.at.kind !== 'after-update') return this.enterExamples();
    this.plan = (p) => p.kind === 'batch-start';
    this.enterExamplesOnHalt = true;
    this.go(null);
  }

  /** Step Out: to the update of this batch (just after it is applied). */
  stepOut(): void {
    const wasAfter = this.at?.kind === 'after-update' && !this.example;
    this.example = null;
    const step = this.at?.step ?? 0;
    this.plan = (p) => p.kind === 'after-update' && (!wasAfter || p.step > step);
    this.go(null);
  }

  /** One stop point further, whatever its kind (the run contract's `layer` unit). */
  stepPoint(): void {
    if (this.example) return this.nextExample();
    this.plan = () => true;
    this.go(null);
  }

  dispose(): void {
    this.state = 'disposed';
    if (this.timer) clearImmediate(this.timer);
    this.timer = null;
    this.phases?.return(undefined as never);
    this.phases = null;
    // The helper thread, if any, goes with the session (it would hold the model's memory).
    closeHelper(this.loaded.backend);
  }

  /** The stop point as the run-source contract names it (example stops included). */
  stopPoint(): StopPoint | null {
    if (!this.at) return null;
    if (this.example) return { kind: 'example-backward', step: this.at.step, epoch: this.at.epoch, example: this.example.i };
    return { ...this.at };
  }

  /** Where the run is, for the run contract's events. */
  progress(message?: string): RunProgress {
    return {
      step: this.at?.step ?? this.trainer.step,
      epoch: this.at?.epoch ?? this.trainer.epoch,
      ...(message ? { message } : {}),
    };
  }

  private go(entry: 'entry' | null): void {
    if (this.state === 'disposed' || this.state === 'finished') return;
    this.example = null;
    this.state = 'running';
    this.entry = entry;
    this.cb.event({ type: 'resumed', progress: this.progress() });
    this.schedule();
  }

  private entry: 'entry' | null = null;

  private schedule(): void {
    if (this.timer || this.state !== 'running') return;
    this.timer = setImmediate(() => {
      this.timer = null;
      this.slice();
    });
  }

  private slice(): void {
    const started = now();
    try {
      while (this.state === 'running') {
        const p = this.advance();
        if (p === 'finished') return this.finish();
        if (p) {
          const halt = this.haltAt(p);
          if (halt) return this.halt(halt);
        }
        if (now() - started >= SLICE_MS) break;
      }
    } catch (e) {
      this.state = 'finished';
      this.cb.event({ type: 'failed', error: { kind: 'engine', message: (e as Error).message } });
      return;
    } finally {
      this.seconds += (now() - started) / 1000;
    }
    this.schedule();
  }

  private advance(): PhasePoint | null | 'finished' {
    if (!this.phases) {
      if (this.trainer.done()) return 'finished';
      this.phases = this.trainer.stepPhases();
    }
    const r = this.phases.next();
    if (!r.done) {
      this.at = r.value;
      return r.value;
    }
    this.phases = null;
    this.at = null;
    this.lastStats = r.value;
    this.cb.event({ type: 'step', record: { ...r.value, time: this.seconds } });
    if (this.trainer.epochJustEnded()) {
      this.lastEpoch = this.trainer.evaluate();
      this.cb.event({ type: 'epoch', epoch: this.lastEpoch });
    }
    return null;
  }

  private haltAt(p: PhasePoint): Halt | null {
    if (this.pauseRequested) {
      this.pauseRequested = false;
      return { reason: 'pause' };
    }
    const decided = this.cb.decide(p);
    if (decided) return decided;
    if (this.plan?.(p)) return { reason: this.entry ?? 'step' };
    return null;
  }

  private halt(h: Halt): void {
    this.state = 'stopped';
    this.plan = null;
    this.pauseRequested = false;
    this.entry = null;
    if (this.enterExamplesOnHalt && h.reason === 'step') {
      this.enterExamplesOnHalt = false;
      return this.enterExamples();
    }
    this.enterExamplesOnHalt = false;
    this.report(h);
  }

  private report(h: Halt): void {
    // The run contract knows one kind of exception stop (nonFinite); health filters count as breakpoints.
    const reason = h.reason === 'exception' ? (h.filter === 'nonFinite' ? 'nonFinite' : 'breakpoint') : h.reason;
    const nonFinite = this.trainer.pendingStats()?.nonFinite ?? undefined;
    this.cb.event({
      type: 'halted',
      at: this.stopPoint(),
      reason,
      progress: this.progress(h.description),
      ...(nonFinite ? { nonFinite } : {}),
    });
    this.cb.halted(h);
  }

  private enterExamples(): void {
    const at = this.at!;
    const first = this.trainer.layers.find((l) => l.params.length > 0)!;
    const indices = this.trainer.currentBatch();
    const weights = this.trainer.getWeights();
    const replay = walkThroughBatch({
      spec: this.loaded.spec,
      train: this.loaded.train,
      indices,
      weights,
      selection: {
        layer: at.layer !== undefined && this.trainer.layers[at.layer].params.length ? at.layer : first.index,
        kind: 'weight',
        index: 0,
      },
    });
    this.example = { i: 0, replay, examples: new BatchExamples(this.loaded.spec, this.loaded.train, weights, indices) };
    this.state = 'stopped';
    this.report({ reason: 'step' });
  }

  private nextExample(): void {
    const ex = this.example!;
    if (ex.i + 1 < ex.replay.examples.length) {
      this.example = { ...ex, i: ex.i + 1 };
      this.cb.event({ type: 'resumed', progress: this.progress() });
      return this.report({ reason: 'step' });
    }
    // Past the last example: back to the batch, at its next stop point.
    this.plan = () => true;
    this.go(null);
  }

  private finish(): void {
    this.state = 'finished';
    this.cb.event({ type: 'finished', progress: this.progress() });
  }
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
