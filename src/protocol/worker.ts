// The conversation between the extension host and a worker_thread (the training worker and the
// one-shot job workers). Requests that want an answer carry an `id` and get exactly one `reply`
// with the same id (see pending.ts); the rest are notifications.

import type { ModelSpec } from '../model/spec';
import type { GradCheckResult, NonFiniteReport } from '../engine/types';
import type { NamedTensor } from '../engine/trainer';
import type { BatchSnapshot } from '../engine/snapshot';
import type { RepeatResult } from '../engine/repeat';
import type { CompareResult, HeatmapMode, ParamSelection, RunInfo, RunUpdate, WalkthroughResult } from './shared';

export interface WorkerSettings {
  /** Stop stepping and report when a NaN/Inf appears. */
  pauseOnNonFinite: boolean;
  /** Histograms every N steps. */
  histogramEvery: number;
  /** Upper bound on heatmap cells per side. */
  heatmapMaxCells: number;
  /** Minimum milliseconds between `detail` events (the host throttles again for the webview). */
  detailIntervalMs: number;
  /** Use the WASM SIMD backend for float32 models when it loads (setting gradientLens.useWasm). */
  useWasm: boolean;
  /** Training pace in steps per second (setting gradientLens.stepsPerSecond); 0 or absent: as fast as it goes. */
  stepsPerSecond?: number;
}

/** What every job needs to find its model's data. Paths are absolute, already checked by the host to lie inside the workspace. */
export interface ModelSource {
  spec: ModelSpec;
  dataPath: string | null;
  labelsPath: string | null;
  /** Folder holding the built-in digits (media/). */
  mediaDir: string;
  /** Workspace-relative path of the model file, for messages. */
  file: string;
  /**
   * The workspace folder holding the model file. The worker checks every data file it opens to
   * really lie inside it (after the open, so a symbolic link swapped in meanwhile cannot lead
   * outside). Required whenever `dataPath` or `labelsPath` is set (the validator refuses the request otherwise).
   */
  workspaceRoot?: string;
}

export type StartRequest = ModelSource & {
  type: 'start';
  settings: WorkerSettings;
  /** Start paused (for Step). */
  paused: boolean;
};

/** Controls of the running training; each is answered with an empty reply once handled. */
export type ControlRequest = { id: number } & ({ type: 'pause' } | { type: 'resume' } | { type: 'step' } | { type: 'stop' });

/** Requests about the running training, answered with a reply carrying a WorkerAnswer. */
export type RunQuery =
  /** Replay the latest batch of the running training example by example. */
  | { type: 'walkthrough'; id: number; selection: ParamSelection | null }
  | { type: 'getWeights'; id: number }
  /** Replace the running trainer's weights (it checks every name and shape). */
  | { type: 'setWeights'; id: number; tensors: NamedTensor[] };

/** One-shot jobs (one per worker), answered with a reply carrying a WorkerAnswer. */
export type JobRequest = { id: number } & ModelSource &
  /** The float64 gradient check on a few examples of the data. */
  (
    | { type: 'gradCheck' }
    /** The same model trained with several batch sizes. */
    | {
        type: 'compare';
        batchSizes: (number | 'full')[];
        /** Which learning rate each batch size gets (default: the sweep). */
        rateMode?: 'sweep' | 'file' | 'linear';
        /** Examples each run sees (default: 3 epochs of the training set). */
        examples?: number;
        useWasm: boolean;
      }
    /** Update on one example again and again beside normal training (Repeat One Example). */
    | { type: 'repeat'; useWasm: boolean; example?: number; times?: number }
    /** The first batch at the initial weights, as the CLI's `snapshot` writes it. */
    | { type: 'batchSnapshot'; useWasm: boolean }
  );

export type WorkerRequest =
  | StartRequest
  | ControlRequest
  | RunQuery
  | JobRequest
  /** What the views follow; no reply (the next detail shows it). */
  | { type: 'select'; selection: ParamSelection }
  | { type: 'heatmapMode'; mode: HeatmapMode }
  /** A new training pace; no reply (the next steps show it). */
  | { type: 'pace'; stepsPerSecond: number }
  /** Liveness check: answered with `pong` from the worker's message loop. */
  | { type: 'ping'; id: number };

/** The value of a successful reply. */
export type WorkerAnswer =
  | { type: 'done' }
  | { type: 'walkthrough'; result: WalkthroughResult }
  | { type: 'weights'; tensors: NamedTensor[] }
  | { type: 'weightsSet' }
  | { type: 'gradCheck'; result: GradCheckResult }
  | { type: 'compare'; result: CompareResult }
  | { type: 'repeat'; result: RepeatResult }
  | { type: 'batchSnapshot'; snapshot: BatchSnapshot };

export type WorkerReply =
  | { type: 'reply'; id: number; ok: true; value: WorkerAnswer }
  /** A user-facing sentence, never a stack trace. */
  | { type: 'reply'; id: number; ok: false; error: string };

export type WorkerEvent =
  | RunUpdate
  | WorkerReply
  | { type: 'started'; run: RunInfo }
  /** Run `run` (0-based, of `runs`) of a comparison has seen `examplesSeen` of `examplesTotal` examples. */
  | { type: 'compareProgress'; run: number; runs: number; examplesSeen: number; examplesTotal: number }
  | { type: 'pong'; id: number }
  /** A clear, user-facing failure of the training run (bad data file, NaN, ...). Never a stack trace. */
  | { type: 'error'; message: string; file?: string; nonFinite?: NonFiniteReport };
