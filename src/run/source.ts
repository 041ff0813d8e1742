// The contract every producer of training steps implements: the built-in engine in a worker, the
// debug adapter, a PyTorch process (DDP ranks or a user's own script). A run is a stream of step
// records plus a small set of controls, and it can stop at named points inside a step. The run's
// state machine (src/run/machine.ts) owns the state; a source only reports what happened.
//
// Pure types: no `vscode`, no Node APIs, so the CLI, the debug adapter over stdio and a web build
// can all use it.

import type { EpochStats, LayerInfo, NonFiniteReport, StepStats } from '../engine/types';
import type { NamedTensor } from '../engine/trainer';
import type { ModelSpec } from '../model/spec';
import type { HeatmapMode, ParamSelection, StepDetail, StepPoint, WalkthroughResult } from '../protocol/shared';

/** The run's lifecycle. Only src/run/machine.ts decides which transitions are legal. */
export type RunState = 'idle' | 'loading' | 'running' | 'paused' | 'stepping' | 'finished' | 'failed' | 'stopped';

/** Where a run may pause inside one step, in this order. */
export type StopPointKind =
  'batch-start' | 'example-forward' | 'example-backward' | 'forward-done' | 'layer-backward' | 'before-update' | 'after-update';

export interface StopPoint {
  kind: StopPointKind;
  step: number;
  epoch: number;
  /** Index into spec.layers, for layer-backward. */
  layer?: number;
  /** Index within the batch, for example-forward / example-backward. */
  example?: number;
}

/** The granularity of a Step control. */
export type StepUnit = 'batch' | 'example' | 'layer' | 'update';

export type RunControl =
  { type: 'pause' } | { type: 'resume' } | { type: 'step'; unit: StepUnit } | { type: 'stop' } | { type: 'restart' };

/** What a source knows about its run once it has loaded. */
export interface RunDescription {
  /** Workspace-relative path of the model file, or a label. */
  file: string;
  spec: ModelSpec;
  layers: LayerInfo[];
  trainSize: number;
  validationSize: number;
  numClasses: number;
  /** e.g. `wasm-simd`, `reference-float64`, `pytorch-ddp(gloo, 2 ranks)`. */
  backend: string;
  /** Why this run has no per-example gradients to show, when its source says (e.g. a script's BatchNorm). */
  perExampleNote?: string;
  /** What the data loaded with but should be told (one class only, files skipped…), when anything. */
  dataWarnings?: string[];
}

/** One rank's view of a data-parallel step (PyTorch DDP). */
export interface RankRecord {
  rank: number;
  batchSize: number;
  /** Mean loss over the rank's examples; null when it had none (a batch smaller than the ranks). */
  loss: number | null;
  /** Per parameterised layer: ‖local gradient‖ and cos(local gradient, all-reduced mean). */
  layers: { layer: number; gradNorm: number; cosineToMean: number }[];
}

/** The unit every source produces and every view consumes: what `train --json` prints per step. */
export interface StepRecord extends StepStats {
  /** Seconds of training since the run started (pauses excluded). */
  time: number;
  /** Present for data-parallel sources. */
  ranks?: RankRecord[];
}

/** Where a run is, as the source counts it (carried by the events that change the state; without
 *  it the run counts from the steps it was given). */
export interface RunProgress {
  step: number;
  epoch: number;
  /** A short user-facing sentence for the status line (e.g. why it halted). */
  message?: string;
}

/** What a source tells its run. The run machine (src/run/machine.ts) turns these into state transitions. */
export type SourceEvent =
  | { type: 'loaded'; run: RunDescription }
  /** One full step record (sources that have them: a PyTorch process, a replayed history). */
  | { type: 'step'; record: StepRecord }
  /** Steps already condensed to what the views keep, in order (the built-in engine condenses in
   *  its worker, so a thousand steps a second stay small messages). */
  | { type: 'points'; points: StepPoint[] }
  /** The rich view of the latest step for the followed parameter (optional for a source). */
  | { type: 'detail'; detail: StepDetail }
  | { type: 'epoch'; epoch: EpochStats }
  /** The source halted at a stop point (after a pause, a step control or a breakpoint). */
  | {
      type: 'halted';
      at: StopPoint | null;
      reason: 'pause' | 'step' | 'breakpoint' | 'nonFinite' | 'entry';
      progress?: RunProgress;
      nonFinite?: NonFiniteReport;
    }
  | { type: 'resumed'; progress?: RunProgress }
  | { type: 'finished'; progress?: RunProgress }
  /** The source carried out a stop control. */
  | { type: 'stopped'; progress?: RunProgress }
  /** A problem the user must hear about while the run goes on or halts (a NaN with pauseOnNonFinite). */
  | { type: 'problem'; message: string; nonFinite?: NonFiniteReport }
  /**
   * A clear, user-facing failure; never a stack trace. The run is over. `kind` 'gone' means the
   * producer itself ended (it crashed, hung or ran out of memory) and the run lets go of it; any
   * other kind (e.g. 'run': bad data, a network that does not fit) leaves the source to be disposed
   * with the run.
   */
  | { type: 'failed'; error: { kind: 'gone' | 'run' | 'start' | (string & {}); message: string } };

export interface RunSourceCapabilities {
  stopPoints: StopPointKind[];
  stepUnits: StepUnit[];
  /** Whether `inspect` can return per-example tensors. */
  perExample: boolean;
}

/**
 * Anything that produces training steps. The host's Run (src/run/run.ts) calls `start` once,
 * then controls and queries; the source answers with events in this order: `loaded` once, then
 * `step`/`points`, `detail` and `epoch` as it trains, and `resumed` / `halted` / `finished` /
 * `stopped` / `failed` whenever its state changes (each carrying where it is). Optional methods a
 * source lacks simply make those features unavailable for its runs.
 */
export interface RunSource {
  readonly capabilities: RunSourceCapabilities;
  /** Begins loading and training; events arrive through `listener`. */
  start(listener: (event: SourceEvent) => void): Promise<void>;
  /** Resolves once the source has carried the control out (or rejects with a user-facing error). */
  control(control: RunControl): Promise<void>;
  /** Heavy data (tensors, activations) fetched on request, never pushed every step. */
  inspect?(query: unknown): Promise<unknown>;
  /** Which parameter the `detail` events follow, and what the heatmap shows. */
  follow?(selection: ParamSelection | null, mode: HeatmapMode): void;
  /** Replays the latest batch example by example for one parameter. */
  walkThrough?(selection: ParamSelection | null): Promise<WalkthroughResult>;
  weights?(): Promise<NamedTensor[]>;
  setWeights?(tensors: NamedTensor[]): Promise<void>;
  /** Ends the source and frees what it holds; safe to call twice. */
  dispose(): void;
}
