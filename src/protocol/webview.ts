// The conversation between the extension host and a webview (the panel and the sidebar view).
// The webview's requests carry an `id` and get exactly one `response` with the same id, success or
// a user-facing error; `ready` and `rendered` are notifications. The host sends the run's updates
// (the same RunUpdate messages the worker sends) and whole snapshots.

import type {
  HeatmapMode,
  JobResultMessage,
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
  | { type: 'response'; id: number; ok: boolean; error?: string };

export type PanelCommand =
  'train' | 'pause' | 'resume' | 'step' | 'stop' | 'reset' | 'gradCheck' | 'compare' | 'stepThrough' | 'repeat' | 'openPanel';

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
];

/** Webview requests: each is answered with one `response` carrying the same id. */
export type WebviewRequest =
  | { type: 'command'; id: number; command: PanelCommand }
  | { type: 'select'; id: number; selection: ParamSelection }
  | { type: 'heatmapMode'; id: number; mode: HeatmapMode }
  /** Save a chart as PNG: the host asks where, then writes the bytes. */
  | { type: 'savePng'; id: number; name: string; dataUrl: string };

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
  /** The data-parallel step the ranks card shows: its step, M and each rank's M_r. */
  ranks?: { step: number; batchSize: number; rankBatchSizes: number[] };
  /** The newest failure a request reported, as the panel shows it. */
  failure?: string;
}
