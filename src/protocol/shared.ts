// The data both conversations carry (worker → host and host → webview): step points, the rich
// step detail, the run's description and status, and the snapshot every view starts from.
// Plain JSON data only (numbers as plain arrays, never typed arrays).

import type { EpochStats, GradCheckResult, NonFiniteReport } from '../engine/types';
import type { RunDescription, RunState } from '../run/source';
import type { CompareResult } from '../engine/compare';
import type { UpdateTerms, WalkthroughResult } from '../engine/walkthrough';
import type { RepeatResult } from '../engine/repeat';

/** The run's lifecycle state as the views show it (one set of names: the run machine's). */
export type SessionState = RunState;

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
  /** The engine's optimizers; a watched PyTorch script may name any other (e.g. torch.optim.AdamW). */
  optimizer: 'sgd' | 'adam' | (string & {});
  /** θ before and after this step's update, and the update actually applied (after − before). */
  before: number;
  after: number;
  update: number;
  /** Every term of the optimizer's update of this scalar (velocity, moments, bias correction). */
  terms?: UpdateTerms | null;
  /** The run stands inside this step, before its update (a debugger's stop): before = after = θ now. */
  updatePending?: boolean;
  /** What the source says these numbers are, where the engine's own words would not fit (a watched script). */
  note?: string;
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

/**
 * The latest data-parallel step of a PyTorch run: each rank's share of the global batch and its
 * local gradient G_r = (1/M_r)·Σ_{i∈r} gᵢ, beside the gradient every rank stepped with,
 * G = Σ_r (M_r/M)·G_r (the weighted all-reduce the run applies, the mean over all M examples).
 */
export interface RanksStep {
  step: number;
  epoch: number;
  /** M = Σ_r M_r, the global batch. */
  batchSize: number;
  learningRate: number;
  /** Per parameterised layer: ‖G‖ of the all-reduced gradient. */
  mean: { layer: number; gradNorm: number }[];
  ranks: RankStep[];
  /**
   * Only when the M_r differ: DDP's default all-reduce, the mean of means (1/R)·Σ_r G_r, per
   * layer: its norm and its distance from G relative to ‖G‖ (null when ‖G‖ = 0).
   */
  meanOfMeans: { layer: number; gradNorm: number; relativeDifference: number | null }[] | null;
}

export interface RankStep {
  rank: number;
  /** M_r: this rank's examples of the step (0 when the batch has fewer examples than ranks). */
  batchSize: number;
  /** The mean loss over its M_r examples (null when M_r = 0). */
  loss: number | null;
  /** Per parameterised layer: ‖G_r‖ and cos(G_r, G). */
  layers: { layer: number; gradNorm: number; cosineToMean: number }[];
}

/** What a run is: the source's description of it once loaded. */
export type RunInfo = RunDescription;

export interface SessionStatus {
  state: SessionState;
  message?: string;
  step: number;
  epoch: number;
  nonFinite?: NonFiniteReport;
}

// The comparison's, the step-through's and Repeat One Example's results are the engine's own types.
export type { CompareResult, CompareRun } from '../engine/compare';
export type { UpdateTerms, WalkthroughExample, WalkthroughResult } from '../engine/walkthrough';
export type { RepeatResult } from '../engine/repeat';

/** A model file's errors as the panel lists them; each links to its place (offset and length in the file). */
export interface ModelFileProblems {
  /** Workspace-relative path. */
  file: string;
  items: { severity: 'error' | 'warning'; message: string; line: number; column: number; offset: number; length: number }[];
}

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
  /** The model file's errors that kept the last Train from starting. */
  problems?: ModelFileProblems | null;
  /** The training pace (steps per second; 0: as fast as it goes). */
  pace?: number;
  /** The latest step's ranks, for data-parallel runs (PyTorch DDP); null for every other run. */
  ranks?: RanksStep | null;
  /** How much the holder of this snapshot keeps (the host's settings): every copy uses the same caps. */
  limits?: SnapshotLimits;
}

export interface SnapshotLimits {
  /** Step points kept; older ones are thinned 2:1 when the limit is hit. */
  historyLength: number;
  /** Histograms kept per layer (one column each in the strip). */
  histogramsPerLayer: number;
}

/** The run's live updates: the same messages go worker → host and host → webview. */
export type RunUpdate =
  | { type: 'steps'; points: StepPoint[] }
  | { type: 'detail'; detail: StepDetail }
  | { type: 'epoch'; epoch: EpochStats }
  | { type: 'status'; status: SessionStatus };

/** Results of one-shot jobs the views show. */
export type JobResultMessage =
  | { type: 'gradCheck'; result: GradCheckResult }
  | { type: 'compare'; result: CompareResult }
  | { type: 'repeat'; result: RepeatResult };
