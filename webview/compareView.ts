// SGD (M = 1), mini-batch and full batch side by side, fairly: the same model, seed and initial
// weights, the same examples seen, each batch size with its own learning rate (named: a sweep, the
// file's rate, or linear scaling). The smoothed training loss (solid) and the validation loss at
// shared checkpoints (dots) against examples seen, updates or seconds; a table of every measured
// quantity ("n/a" with its reason); and the summary in plain words from the engine.

import type { Chart } from 'chart.js';
import type { CompareRun, ReadonlySnapshot, DeepReadonly } from '../src/protocol';
import { el, reveal } from './dom';
import { card } from './cards';
import { lineChart, series, setDatasets, themeChart, type XY } from './charts';
import { num, pct } from './format';
import { palette } from './theme';

type Axis = 'examplesSeen' | 'updates' | 'time';
const AXES: Record<Axis, string> = { examplesSeen: 'examples seen', updates: 'updates', time: 'seconds of training' };
const MODE_NAMES: Record<string, string> = {
  sweep: 'Learning rate per batch size: a short sweep (5 rates), chosen by validation loss',
  file: "Learning rate: the file's rate for every batch size",
  linear: "Learning rate: linear scaling (γ ∝ M) from the file's rate",
};

export class CompareView {
  readonly root: HTMLElement;
  readonly chart: Chart<'line', XY[]>;
  private readonly summary: HTMLElement;
  private readonly table: HTMLElement;
  private readonly mode: HTMLElement;
  private readonly axisButtons: HTMLButtonElement[];
  private axis: Axis = 'examplesSeen';
  private last: ReadonlySnapshot['compare'] = null;
  runs = 0;

  constructor() {
    const canvas = el('canvas', {
      role: 'img',
      'aria-label': 'Smoothed training loss and validation loss, one colour per batch size',
    });
    this.summary = el('p', { class: 'summary', 'aria-live': 'polite' });
    this.mode = el('p', { class: 'note' });
    this.table = el('div', { class: 'table-wrap' });
    this.axisButtons = (Object.keys(AXES) as Axis[]).map((a) => {
      const b = el('button', { class: 'segment', 'data-axis': a, 'aria-pressed': String(a === this.axis), text: AXES[a] });
      b.addEventListener('click', () => {
        this.axis = a;
        this.draw();
      });
      return b;
    });
    this.root = card(
      'compare',
      this.mode,
      el(
        'div',
        { class: 'controls' },
        el('span', { class: 'note', text: 'x-axis:' }),
        el('span', { class: 'segments', role: 'group', 'aria-label': 'x-axis' }, ...this.axisButtons),
      ),
      el('div', { class: 'chart' }, canvas),
      el('p', {
        class: 'legend',
        text: 'Lines: training loss, smoothed over about 200 examples. Dots: validation loss on the held-out set, at the same checkpoints for every run.',
      }),
      this.table,
      this.summary,
    );
    this.chart = lineChart(canvas, { xTitle: AXES[this.axis], yTitle: 'cross-entropy loss (log scale)', yLog: true });
  }

  update(s: ReadonlySnapshot): void {
    const r = s.compare;
    this.root.hidden = !r;
    this.runs = r?.runs.length ?? 0;
    if (!r || r === this.last) return;
    this.last = r;
    this.draw();
    reveal(this.root);
  }

  private draw(): void {
    const r = this.last;
    if (!r) return;
    const p = palette();
    const n = Math.max(...r.runs.map((x) => x.batchSize));
    const label = (run: DeepReadonly<CompareRun>): string =>
      `M = ${run.batchSize}${run.batchSize === 1 ? ' (SGD)' : run.batchSize === n && r.runs.length > 2 ? ' (full)' : ''}`;
    for (const b of this.axisButtons) b.setAttribute('aria-pressed', String(b.dataset.axis === this.axis));
    (this.chart.options.scales!.x as { title: { text: string } }).title.text = AXES[this.axis];
    const x = this.axis;
    setDatasets(
      this.chart,
      r.runs.flatMap((run, i) => {
        const color = p.series[i % p.series.length];
        return [
          series(
            `${label(run)} training`,
            run.points.filter((q) => q.smoothedLoss > 0).map((q) => ({ x: q[x], y: q.smoothedLoss })),
            color,
          ),
          series(
            `${label(run)} validation`,
            run.checkpoints.filter((c) => c.validationLoss > 0).map((c) => ({ x: c[x], y: c.validationLoss })),
            color,
            { showLine: false, pointRadius: 3, pointStyle: 'circle', borderDash: [4, 3] } as never,
          ),
        ];
      }),
    );
    this.mode.textContent = `${MODE_NAMES[r.rateMode] ?? r.rateMode} (setting gradientLens.compare.learningRates). ${r.runs[0]?.momentum ? `Momentum μ = ${num(r.runs[0].momentum)} in every run.` : 'No momentum.'} Took ${num(r.seconds, 2)} s.`;
    const na = (run: DeepReadonly<CompareRun>, key: keyof DeepReadonly<CompareRun>['notApplicable']): HTMLElement =>
      el('td', { class: 'num na', title: run.notApplicable[key] ?? '', text: 'n/a' });
    const head = [
      'batch size M',
      'learning rate γ',
      'updates',
      'examples/s',
      'activation memory',
      'validation loss',
      'validation accuracy',
      'step-to-step σ of the loss',
      'noise scale B_simple',
    ];
    const reasons = [
      ...new Set(
        r.runs.flatMap((run) =>
          Object.entries(run.notApplicable).map(
            ([k, why]) =>
              `n/a (${k === 'stepLossSigma' ? 'step-to-step σ' : k === 'noiseScale' ? 'noise scale' : 'validation'}, M = ${run.batchSize}): ${why}.`,
          ),
        ),
      ),
    ];
    this.table.replaceChildren(
      el(
        'table',
        { class: 'check compare-table' },
        el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { text: h })))),
        el(
          'tbody',
          {},
          ...r.runs.map((run) =>
            el(
              'tr',
              {},
              el('td', { text: label(run) }),
              el('td', {
                class: 'num',
                title: run.rateTrials.length
                  ? `tried ${run.rateTrials.map((t) => `${t.learningRate} → ${t.loss === null ? 'diverged' : num(t.loss)}`).join(', ')}`
                  : '',
                text: String(run.learningRate),
              }),
              el('td', { class: 'num', text: String(run.steps) }),
              el('td', {
                class: 'num',
                text: Number.isFinite(run.examplesPerSecond) ? Math.round(run.examplesPerSecond).toLocaleString('en-US') : 'n/a',
              }),
              el('td', { class: 'num', text: bytes(run.activationBytes) }),
              run.validation ? el('td', { class: 'num', text: num(run.validation.loss) }) : na(run, 'validation'),
              run.validation ? el('td', { class: 'num', text: pct(run.validation.accuracy) }) : na(run, 'validation'),
              run.stepLossSigma !== null ? el('td', { class: 'num', text: num(run.stepLossSigma) }) : na(run, 'stepLossSigma'),
              run.noiseScale !== null ? el('td', { class: 'num', text: num(run.noiseScale) }) : na(run, 'noiseScale'),
            ),
          ),
        ),
      ),
      ...reasons.map((t) => el('p', { class: 'note', text: t })),
      ...r.runs
        .filter((run) => run.rateTrials.length)
        .map((run) =>
          el('p', {
            class: 'note',
            text: `Sweep for M = ${run.batchSize}: ${run.rateTrials.map((t) => `γ ${t.learningRate} → ${t.loss === null ? 'diverged' : `loss ${num(t.loss)}`}`).join(', ')}; kept γ = ${run.learningRate}.`,
          }),
        ),
    );
    this.summary.textContent = r.summary;
  }

  retheme(): void {
    themeChart(this.chart);
  }
}

function bytes(b: number): string {
  return b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MB` : `${Math.round(b / 1024)} KB`;
}
