// 1. Loss history: per-step batch loss, per-epoch training and validation loss and accuracy;
// log-scale toggle; a step range to zoom into; values on hover.

import type { Chart } from 'chart.js';
import type { ReadonlySnapshot, StepPoint, DeepReadonly } from '../src/protocol';
import { el, icon } from './dom';
import { card } from './cards';
import { lineChart, series, setDatasets, themeChart, type XY } from './charts';
import { Decimator, type Pick } from './decimate';
import { palette } from './theme';
import type { EpochStats } from '../src/engine/types';

/** Epoch markers are drawn while there are this few epochs; beyond, the epoch lines alone. */
const MARKERS_UP_TO = 200;

export interface LossViewState {
  logScale: boolean;
  from: number | null;
  to: number | null;
}

export class LossView {
  readonly root: HTMLElement;
  readonly chart: Chart<'line', XY[]>;
  private readonly logToggle: HTMLInputElement;
  private readonly fromInput: HTMLInputElement;
  private readonly toInput: HTMLInputElement;
  /** History points the batch-loss line stands for, and how many it draws (bounded: see Decimator). */
  points = 0;
  drawnPoints = 0;
  epochPoints = 0;
  private readonly stepLine = new Decimator<DeepReadonly<StepPoint>>(300);
  private readonly epochLines = [0, 1, 2, 3].map(() => new Decimator<EpochStats>(200));
  private readonly note: HTMLElement;

  constructor(
    private readonly state: LossViewState,
    private readonly onChange: () => void,
    compact = false,
  ) {
    const canvas = el('canvas', { role: 'img', 'aria-label': 'Loss history chart' });
    this.logToggle = el('input', { type: 'checkbox', id: 'loss-log', checked: state.logScale });
    this.fromInput = el('input', {
      type: 'number',
      id: 'loss-from',
      min: 0,
      placeholder: 'first',
      'aria-label': 'First step shown',
    });
    this.toInput = el('input', { type: 'number', id: 'loss-to', min: 0, placeholder: 'last', 'aria-label': 'Last step shown' });
    if (state.from !== null) this.fromInput.value = String(state.from);
    if (state.to !== null) this.toInput.value = String(state.to);
    const reset = el(
      'button',
      { class: 'icon-button', title: 'Show all steps', 'aria-label': 'Show all steps' },
      icon('discard'),
    );
    this.logToggle.addEventListener('change', () => {
      state.logScale = this.logToggle.checked;
      this.onChange();
    });
    const readRange = (): void => {
      state.from = this.fromInput.value === '' ? null : Number(this.fromInput.value);
      state.to = this.toInput.value === '' ? null : Number(this.toInput.value);
      this.onChange();
    };
    this.fromInput.addEventListener('change', readRange);
    this.toInput.addEventListener('change', readRange);
    reset.addEventListener('click', () => {
      this.fromInput.value = '';
      this.toInput.value = '';
      readRange();
    });
    const controls = el(
      'div',
      { class: 'controls' },
      el('label', { for: 'loss-log' }, this.logToggle, ' log scale'),
      el('span', { class: 'range' }, 'steps ', this.fromInput, ' – ', this.toInput, reset),
    );
    const body = el('div', { class: compact ? 'chart chart-small' : 'chart' }, canvas);
    this.note = el('p', { class: 'explain chart-note' });
    this.note.hidden = true;
    this.root = compact ? el('div', { class: 'sparkline' }, body) : card('loss', controls, body, this.note);
    this.chart = lineChart(canvas, { xTitle: 'step', yTitle: 'loss', legend: !compact });
    const o = this.chart.options as any;
    o.scales.y1 = {
      type: 'linear',
      position: 'right',
      min: 0,
      max: 1,
      display: !compact,
      title: { display: true, text: 'accuracy' },
      grid: { drawOnChartArea: false },
    };
    if (compact) {
      o.scales.x.display = false;
      o.scales.y.title.display = false;
    }
    themeChart(this.chart);
  }

  update(s: ReadonlySnapshot): void {
    const p = palette();
    const { from, to, logScale } = this.state;
    const inRange = (x: number): boolean => (from === null || x >= from) && (to === null || x <= to);
    const shown = (x: number, y: number | null): XY | null =>
      y !== null && inRange(x) && (y > 0 || !logScale) ? { x, y } : null;
    const key = `${from}:${to}:${logScale}`;
    // Each line draws a bounded series that keeps every pixel column's first, lowest, highest and
    // last value (see Decimator), however long the history.
    const steps = this.stepLine.series(s.history, (h) => shown(h.step, h.loss), key);
    const epochPick: Pick<EpochStats>[] = [
      (e) => shown(e.step, e.trainLoss),
      (e) => shown(e.step, e.validationLoss),
      (e) => (inRange(e.step) && e.validationAccuracy !== null ? { x: e.step, y: e.validationAccuracy } : null),
      (e) => (inRange(e.step) ? { x: e.step, y: e.trainAccuracy } : null),
    ];
    const [train, val, acc, trainAcc] = this.epochLines.map((d, i) => d.series(s.epochs, epochPick[i], key));
    const o = this.chart.options as any;
    o.scales.y.type = logScale ? 'logarithmic' : 'linear';
    o.scales.x.min = from ?? undefined;
    o.scales.x.max = to ?? undefined;
    const epochsShown = this.epochLines[3].represented;
    const marker = epochsShown <= MARKERS_UP_TO ? { pointRadius: 3, borderWidth: 2 } : { pointRadius: 0, borderWidth: 2 };
    setDatasets(this.chart, [
      series('batch loss (per step)', steps, p.series[0], { borderWidth: 1 }),
      series('training loss (epoch)', train, p.series[1], marker),
      series('validation loss (epoch)', val, p.series[2], marker),
      series('training accuracy', trainAcc, p.series[3], { ...marker, yAxisID: 'y1', borderDash: [4, 3] }),
      series('validation accuracy', acc, p.series[4], { ...marker, yAxisID: 'y1', borderDash: [4, 3] }),
    ]);
    this.points = this.stepLine.represented;
    this.drawnPoints = steps.length;
    this.epochPoints = epochsShown;
    const decimated = this.stepLine.decimated || this.epochLines.some((d) => d.decimated);
    this.note.hidden = !decimated;
    if (decimated)
      this.note.textContent =
        `${this.points.toLocaleString('en')} steps drawn as ${steps.length.toLocaleString('en')} points: ` +
        'each pixel column keeps its first, lowest, highest and last loss.';
  }

  retheme(): void {
    themeChart(this.chart);
  }
}
