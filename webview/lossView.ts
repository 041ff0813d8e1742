// 1. Loss history: per-step batch loss, per-epoch training and validation loss and accuracy;
// log-scale toggle; a step range to zoom into; values on hover.

import type { Chart } from 'chart.js';
import type { SessionSnapshot } from '../src/protocol';
import { el, icon } from './dom';
import { card } from './cards';
import { lineChart, series, setDatasets, themeChart, type XY } from './charts';
import { palette } from './theme';

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
  points = 0;
  epochPoints = 0;

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
    this.root = compact ? el('div', { class: 'sparkline' }, body) : card('loss', controls, body);
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

  update(s: SessionSnapshot): void {
    const p = palette();
    const inRange = (x: number): boolean =>
      (this.state.from === null || x >= this.state.from) && (this.state.to === null || x <= this.state.to);
    const steps = s.history
      .filter((h) => inRange(h.step) && (h.loss > 0 || !this.state.logScale))
      .map((h) => ({ x: h.step, y: h.loss }));
    const epochs = s.epochs.filter((e) => inRange(e.step));
    const train = epochs.map((e) => ({ x: e.step, y: e.trainLoss }));
    const val = epochs.filter((e) => e.validationLoss !== null).map((e) => ({ x: e.step, y: e.validationLoss as number }));
    const acc = epochs
      .filter((e) => e.validationAccuracy !== null)
      .map((e) => ({ x: e.step, y: e.validationAccuracy as number }));
    const trainAcc = epochs.map((e) => ({ x: e.step, y: e.trainAccuracy }));
    const o = this.chart.options as any;
    o.scales.y.type = this.state.logScale ? 'logarithmic' : 'linear';
    o.scales.x.min = this.state.from ?? undefined;
    o.scales.x.max = this.state.to ?? undefined;
    const marker = { pointRadius: 3, borderWidth: 2 };
    setDatasets(this.chart, [
      series('batch loss (per step)', steps, p.series[0], { borderWidth: 1 }),
      series('training loss (epoch)', train, p.series[1], marker),
      series('validation loss (epoch)', val, p.series[2], marker),
      series('training accuracy', trainAcc, p.series[3], { ...marker, yAxisID: 'y1', borderDash: [4, 3] }),
      series('validation accuracy', acc, p.series[4], { ...marker, yAxisID: 'y1', borderDash: [4, 3] }),
    ]);
    this.points = steps.length;
    this.epochPoints = epochs.length;
  }

  retheme(): void {
    themeChart(this.chart);
  }
}
