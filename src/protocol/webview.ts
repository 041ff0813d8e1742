// The conversation between the extension host and a webview (the panel and the sidebar view).
// The webview's requests carry an `id` and get exactly one `response` with the same id, success or
// a user-facing error; `ready` and `rendered` are notifications. The host sends the run's updates
// (the same RunUpdate messages the worker sends) and whole snapshots.

import type {
  HeatmapMode,
  JobResultMessage,
  ModelFileProblems,
  ParamSelection,
  RanksStep,
  RunUpdate,
  SessionSnapshot,
  SessionState,
  WalkthroughResult,
} from './shared';

export type HostMessage =
  | RunUpdate
  | JobResultMessage
  | { type: 'snapshot'; snapshot: SessionSnapshot }
  | { type: 'walkthrough'; result: WalkthroughResult }
  /** The latest data-parallel step (only PyTorch runs send it; the newest replaces the last). */
  | { type: 'ranks'; ranks: RanksStep }
  /** What the views follow, as the host's run holds it (after a `select` or `heatmapMode` request). */
  | { type: 'view'; selection: ParamSelection | null; heatmapMode: HeatmapMode }
  /** Why the last Train (or Step, Compare…) did not start: the model file's errors, each with its place; null clears them. */
  | { type: 'problems'; problems: ModelFileProblems | null }
  /** The training pace now (setting gradientLens.stepsPerSecond; 0: as fast as it goes). */
  | { type: 'pace'; stepsPerSecond: number }
  | { type: 'response'; id: number; ok: boolean; error?: string };

export type PanelCommand =
  | 'train'
  | 'pause'
  | 'resume'
  | 'step'
  | 'stop'
  | 'reset'
  | 'gradCheck'
  | 'compare'
  | 'stepThrough'
  | 'repeat'
  | 'openPanel'
  | 'slow';

export const PANEL_COMMANDS: readonly PanelCommand[] = [
  'train',
  'pause',
  'resume',
  'step',
  'stop',
  'reset',
  'gradCheck',
  'compare',
  'stepThrough',
  'repeat',
  'openPanel',
  'slow',
];

/** Webview requests: each is answered with one `response` carrying the same id. */
export type WebviewRequest =
  | { type: 'command'; id: number; command: PanelCommand }
  | { type: 'select'; id: number; selection: ParamSelection }
  | { type: 'heatmapMode'; id: number; mode: HeatmapMode }
  /** Save a chart as PNG: the host asks where, then writes the bytes. */
  | { type: 'savePng'; id: number; name: string; dataUrl: string }
  /** Show this range of the model file whose problems the panel lists, in the editor that already shows it. */
  | { type: 'reveal'; id: number; offset: number; length: number };

export type WebviewMessage =
  | WebviewRequest
  | { type: 'ready' }
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
  /** Updates of the Repeat One Example result the panel draws. */
  repeatUpdates?: number;
  /** Model-file problems the panel lists (why the last Train did not start). */
  problems?: number;
  /** The training pace the panel shows (steps per second; 0: full speed). */
  pace?: number;
  /** The data-parallel step the ranks card shows: its step, M and each rank's M_r. */
  ranks?: { step: number; batchSize: number; rankBatchSizes: number[] };
  /** The newest failure a request reported, as the panel shows it. */
  failure?: string;
  /** The newest numbers drawn, read back from the charts and the text (tests check them against the run's own). */
  drawn?: DrawnNumbers;
}

export interface DrawnNumbers {
  /** The loss chart's last point. */
  loss: { step: number; value: number } | null;
  /** The gradient-norm chart's last point of each layer's line. */
  gradNorms: { label: string; step: number; value: number }[];
  /** The per-example card: its bars (at most 64), the mean line, the formula and the note as shown. */
  perExample: { param: string; values: number[]; mean: number; formula: string; note: string } | null;
}
