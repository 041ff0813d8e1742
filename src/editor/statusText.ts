// What the status bar item shows for a session snapshot. Pure (no `vscode`).

import type { ReadonlySnapshot } from '../protocol';
import { formatValue } from './format';

export interface StatusBarView {
  visible: boolean;
  text: string;
  tooltip: string;
  /** Whether to use the error background. */
  error: boolean;
}

/**
 * @param modelFileOpen whether an editor shows a *.gradlens.json file (the item is hidden when
 *   there is neither a run nor a model file, so it never clutters unrelated workspaces).
 */
export function statusBarView(snapshot: ReadonlySnapshot, modelFileOpen: boolean): StatusBarView {
  const { status, run } = snapshot;
  const last = snapshot.history.length > 0 ? snapshot.history[snapshot.history.length - 1] : undefined;
  const file = run ? run.file : 'no model';
  // Epoch 0: the source does not count epochs (a watched PyTorch script).
  const progress = status.epoch ? `epoch ${status.epoch} · step ${status.step}` : `step ${status.step}`;
  const loss = last ? ` · loss ${formatValue(last.loss)}` : '';
  const click = 'Click to open the gradient panel.';
  const hasRun = run !== null || status.state !== 'idle';

  switch (status.state) {
    case 'loading':
      return {
        visible: true,
        error: false,
        text: '$(loading~spin) Gradient Lens: starting',
        tooltip: `Gradient Lens: loading data for ${file}. ${click}`,
      };
    case 'running':
      return {
        visible: true,
        error: false,
        text: `$(pulse) Gradient Lens: ${progress}${loss}`,
        tooltip: `Gradient Lens: training ${file}. ${click}`,
      };
    case 'paused':
    case 'stepping':
      return {
        visible: true,
        error: false,
        text: `$(debug-pause) Gradient Lens: paused · step ${status.step}${loss}`,
        tooltip: `Gradient Lens: ${file} is paused${status.message ? ` (${status.message})` : ''}. ${click}`,
      };
    case 'failed':
      return {
        visible: true,
        error: true,
        text: `$(error) Gradient Lens: error at step ${status.step}`,
        tooltip: `Gradient Lens: ${status.message ?? 'training stopped with an error'}. ${click}`,
      };
    case 'finished':
      return {
        visible: true,
        error: false,
        text: `$(pass) Gradient Lens: done · ${progress}${loss}`,
        tooltip: `Gradient Lens: training of ${file} finished. ${click}`,
      };
    case 'stopped':
      return {
        visible: true,
        error: false,
        text: `$(debug-stop) Gradient Lens: stopped · step ${status.step}${loss}`,
        tooltip: `Gradient Lens: training of ${file} was stopped. ${click}`,
      };
    case 'idle':
    default:
      return {
        visible: hasRun || modelFileOpen,
        error: false,
        text: '$(pulse) Gradient Lens',
        tooltip: `Gradient Lens: no training run. Use "Gradient Lens: Train" on a model file. ${click}`,
      };
  }
}
