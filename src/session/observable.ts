// What editor features (CodeLens, decorations, hovers, diagnostics, status bar) may see of a
// training session: read-only state plus a change event. The session (src/session/) implements
// it; src/editor/ consumes it. Keeping this narrow stops the editor from driving training.

import type * as vscode from 'vscode';
import type { ReadonlySnapshot } from '../protocol';

export interface SessionObservable {
  /** The model file of the current or last run, or undefined when none ran yet. */
  readonly modelUri: vscode.Uri | undefined;
  /** The latest state (history is bounded; `detail` is the newest step detail), shared: read it, never change it. */
  readonly snapshot: ReadonlySnapshot;
  /** Fires (throttled by the session, at most the configured update rate) whenever the snapshot changes. */
  readonly onDidChange: vscode.Event<void>;
}

/** Command ids, shared by package.json, CodeLens, the status bar and tests. */
export const Commands = {
  train: 'gradientLens.train',
  pause: 'gradientLens.pause',
  resume: 'gradientLens.resume',
  step: 'gradientLens.step',
  stop: 'gradientLens.stop',
  reset: 'gradientLens.reset',
  openPanel: 'gradientLens.openPanel',
  gradientCheck: 'gradientLens.gradientCheck',
  newModelFile: 'gradientLens.newModelFile',
  compareBatchSizes: 'gradientLens.compareBatchSizes',
  repeatOneExample: 'gradientLens.repeatOneExample',
  stepThroughBatch: 'gradientLens.stepThroughBatch',
  exportHistory: 'gradientLens.exportHistory',
  exportSnapshot: 'gradientLens.exportSnapshot',
  saveWeights: 'gradientLens.saveWeights',
  loadWeights: 'gradientLens.loadWeights',
  toggleSlow: 'gradientLens.toggleSlow',
} as const;
