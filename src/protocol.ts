// The one message protocol of Gradient Lens. Both sides import it:
//   extension host  <-> training worker   (WorkerRequest / WorkerEvent)
//   extension host  <-> webview           (HostMessage / WebviewMessage)
// Every payload is plain JSON data (numbers as plain arrays, never typed arrays).

import type { ModelSpec } from './model/spec';
import type { EpochStats, GradCheckResult, LayerInfo, NonFiniteReport } from './engine/types';
import type { NamedTensor } from './engine/trainer';
import type { BatchSnapshot } from './engine/snapshot';
import type { CompareResult } from './engine/compare';
import type { UpdateTerms, WalkthroughResult } from './engine/walkthrough';
import type { RepeatResult } from './engine/repeat';

// ---------------------------------------------------------------------------------------------
// Shared pieces

export type SessionState = 'idle' | 'starting' | 'running' | 'paused' | 'stopped' | 'finished' | 'error';

export type HeatmapMode = 'grad' | 'weight' | 'update';

/** Which scalar parameter the per-example view follows. */
export interface ParamSelection {
  layer: number;
  kind: 'weight' | 'bias';
  /** Flat row-major index into that parameter tensor. */
  index: number;
}

/** One step, compact: what the loss and layer-health histories keep. */
export interface StepPoint {
  step: number;
  epoch: number;
  examplesSeen: number;
  /** Seconds since the run started. */
  time: number;
  loss: number;
  accuracy: number;
  noiseScale: number;
  layers: LayerPoint[];
}
export interface LayerPoint {
  layer: number;
  gradNorm: number;
  weightNorm: number;
  updateRatio: number;
  perExampleNormMin: number;
  perExampleNormMedian: number;
  perExampleNormMax: number;
  cosineMean: number;
  noiseScale: number;
  deadFraction: number | null;
}

/** A bounded, downsampled view of one parameter tensor (weights shown as [rows=in, cols=out]). */
export interface Heatmap {
  layer: number;
  kind: 'weight' | 'bias';
  mode: HeatmapMode;
  /** Shape of the full tensor viewed as a matrix. */
  rows: number;
  cols: number;
  /** Cells after downsampling; each cell covers rowBlock × colBlock entries. */
  cellRows: number;
  cellCols: number;
  rowBlock: number;
  colBlock: number;
  /** cellRows × cellCols values, row-major; each the entry of largest magnitude in its block. */
  values: number[];
  /** Flat index (into the parameter) of the entry each cell shows, so a click selects it. */
  indices: number[];
  min: number;
  max: number;
}

/** Per-example versus batch average for the selected scalar parameter, in the current batch. */
export interface PerExampleDetail {
  selection: ParamSelection;
  paramName: string;
  /** ∂Lᵢ/∂θ for each example i of the batch (not divided by M). */
  perExample: number[];
  /** (1/M)·Σᵢ ∂Lᵢ/∂θ: the batch gradient. */
  mean: number;
  learningRate: number;
  optimizer: 'sgd' | 'adam';
  /** θ before and after this step's update, and the update actually applied (after − before). */
  before: number;
  after: number;
  update: number;
  /** Every term of the optimizer's update of this scalar (velocity, moments, bias correction). */
  terms?: UpdateTerms | null;
}

export interface ExampleInfo {
  /** Index into the training set. */
  index: number;
  label: number;
  prediction: number;
  loss: number;
  /** Pixels 0–255 for image data (shape in StepDetail.imageShape), null for other data. */
  image: number[] | null;
}

export interface Histogram {
  layer: number;
  step: number;
  /** Symmetric log-spaced or linear edges; counts.length + 1 edges. */
  edges: number[];
  counts: number[];
}

/** The rich view of the latest step, sent throttled. */
export interface StepDetail {
  step: number;
  epoch: number;
  heatmap: Heatmap | null;
  perExample: PerExampleDetail | null;
  examples: ExampleInfo[];
  /** [height, width] of ExampleInfo.image, or null. */
  imageShape: [number, number] | null;
  histograms: Histogram[];
}

export interface RunInfo {
  /** Workspace-relative path of the model file (or a label for built-ins). */
  file: string;
  spec: ModelSpec;
  layers: LayerInfo[];
  trainSize: number;
  validationSize: number;
  numClasses: number;
  backend: string;
}

export interface SessionStatus {
  state: SessionState;
  message?: string;
  step: number;
  epoch: number;
  nonFinite?: NonFiniteReport;
}

// The comparison's and the step-through's results are the engine's own types.
export type { CompareResult, CompareRun } from './engine/compare';
export type { UpdateTerms, WalkthroughExample, WalkthroughResult } from './engine/walkthrough';
export type { RepeatResult } from './engine/repeat';

/** Everything a freshly (re)created webview needs to draw the current state at once. */
export interface SessionSnapshot {
  run: RunInfo | null;
  status: SessionStatus;
  history: StepPoint[];
  epochs: EpochStats[];
  histograms: Histogram[];
  detail: StepDetail | null;
  heatmapMode: HeatmapMode;
  selection: ParamSelection | null;
  gradCheck: GradCheckResult | null;
  compare: CompareResult | null;
  /** The latest step-through of a batch, if one was asked for. */
  walkthrough?: WalkthroughResult | null;
  /** The latest Repeat One Example experiment. */
  repeat?: RepeatResult | null;
}

// ---------------------------------------------------------------------------------------------
// Extension host -> webview

export type HostMessage =
  | { type: 'snapshot'; snapshot: SessionSnapshot }
  | { type: 'steps'; points: StepPoint[] }
  | { type: 'detail'; detail: StepDetail }
  | { type: 'epoch'; epoch: EpochStats }
  | { type: 'status'; status: SessionStatus }
  | { type: 'gradCheck'; result: GradCheckResult }
  | { type: 'compare'; result: CompareResult }
  | { type: 'walkthrough'; result: WalkthroughResult }
  | { type: 'repeat'; result: RepeatResult }
  | { type: 'response'; id: number; ok: boolean; error?: string };

// Webview -> extension host

export type PanelCommand = 'train' | 'pause' | 'resume' | 'step' | 'stop' | 'reset' | 'gradCheck' | 'compare' | 'stepThrough' | 'repeat' | 'openPanel';

export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'select'; selection: ParamSelection }
  | { type: 'heatmapMode'; mode: HeatmapMode }
  | { type: 'command'; id: number; command: PanelCommand }
  /** Save a chart as PNG: the host asks where, then writes the bytes. */
  | { type: 'savePng'; name: string; dataUrl: string }
  /** After drawing, what the panel shows (counts), so host tests can assert what was rendered. */
  | { type: 'rendered'; summary: RenderSummary };

export interface RenderSummary {
  lossPoints: number;
  epochPoints: number;
  heatmapCells: number;
  perExampleBars: number;
  healthLayers: number;
  histograms: number;
  lastStep: number;
  state: SessionState;
  /** Runs drawn by the batch-size comparison. */
  compareRuns?: number;
  /** Examples in the drawn step-through of a batch. */
  walkthroughExamples?: number;
}

// ---------------------------------------------------------------------------------------------
// Extension host -> training worker

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
}

export type WorkerRequest =
  | {
      type: 'start';
      spec: ModelSpec;
      /** Absolute paths, already resolved and checked to lie inside the workspace by the host. */
      dataPath: string | null;
      labelsPath: string | null;
      /** Folder holding the built-in digits (media/). */
      mediaDir: string;
      file: string;
      settings: WorkerSettings;
      /** Start paused (for Step). */
      paused: boolean;
    }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'step' }
  | { type: 'stop' }
  | { type: 'select'; selection: ParamSelection }
  | { type: 'heatmapMode'; mode: HeatmapMode }
  /** Run the float64 gradient check on a few examples of the data instead of training (one per worker). */
  | { type: 'gradCheck'; spec: ModelSpec; dataPath: string | null; labelsPath: string | null; mediaDir: string; file: string }
  /** Train the same model with several batch sizes instead of training (one per worker, like gradCheck). */
  | {
      type: 'compare'; spec: ModelSpec; dataPath: string | null; labelsPath: string | null; mediaDir: string; file: string;
      batchSizes: (number | 'full')[];
      /** Examples each run sees (default: 3 epochs of the training set). */
      examples?: number;
      useWasm: boolean;
    }
  /** Update on one example again and again beside normal training (answered with `repeat`; one per worker, like gradCheck). */
  | { type: 'repeat'; spec: ModelSpec; dataPath: string | null; labelsPath: string | null; mediaDir: string; file: string; useWasm: boolean; example?: number; times?: number }
  /** Replay the latest batch of the running training example by example (answered with `walkthrough`). */
  | { type: 'walkthrough'; selection: ParamSelection | null }
  /** The first batch at the initial weights, as the CLI's `snapshot` writes it (one per worker, like gradCheck). */
  | { type: 'batchSnapshot'; spec: ModelSpec; dataPath: string | null; labelsPath: string | null; mediaDir: string; file: string; useWasm: boolean }
  /** The running trainer's weights (answered with `weights` or `requestFailed` carrying the same id). */
  | { type: 'getWeights'; id: number }
  /** Replace the running trainer's weights (answered with `weightsSet` or `requestFailed`). */
  | { type: 'setWeights'; id: number; tensors: NamedTensor[] };

// Training worker -> extension host

export type WorkerEvent =
  | { type: 'started'; run: RunInfo }
  | { type: 'steps'; points: StepPoint[] }
  | { type: 'detail'; detail: StepDetail }
  | { type: 'epoch'; epoch: EpochStats }
  | { type: 'status'; status: SessionStatus }
  | { type: 'gradCheck'; result: GradCheckResult }
  | { type: 'compare'; result: CompareResult }
  /** Run `run` (0-based, of `runs`) has seen `examplesSeen` of `examplesTotal` examples. */
  | { type: 'compareProgress'; run: number; runs: number; examplesSeen: number; examplesTotal: number }
  | { type: 'walkthrough'; result: WalkthroughResult }
  | { type: 'repeat'; result: RepeatResult }
  /** A step-through could not be made (no run yet, bad selection...): a user-facing sentence. */
  | { type: 'walkthroughFailed'; message: string }
  | { type: 'batchSnapshot'; snapshot: BatchSnapshot }
  | { type: 'weights'; id: number; tensors: NamedTensor[] }
  | { type: 'weightsSet'; id: number }
  /** A getWeights/setWeights request could not be done: a user-facing sentence. */
  | { type: 'requestFailed'; id: number; message: string }
  /** A clear, user-facing failure (bad data file, NaN, ...). Never a stack trace. */
  | { type: 'error'; message: string; file?: string; nonFinite?: NonFiniteReport };
