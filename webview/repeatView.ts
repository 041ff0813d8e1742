// Repeat One Example: what happens if back-propagation were applied again and again on one example
// until it is right. Against the updates: that example's loss, the other examples' mean loss and
// the validation loss, beside normal shuffled training for the same updates; then the forgetting
// experiment (fit A, then B: A's loss rises again); the conclusion in plain words from the engine.

import type { Chart } from 'chart.js';
import type { RepeatResult, ReadonlySnapshot, DeepReadonly } from '../src/protocol';
import { el, reveal, table } from './dom';
import { card } from './cards';
import { lineChart, series, setDatasets, themeChart, type XY } from './charts';
import { num, pct } from './format';
import { palette } from './theme';

export class RepeatView {
  readonly root: HTMLElement;
  readonly lossChart: Chart<'line', XY[]>;
  readonly forgetChart: Chart<'line', XY[]>;
  private readonly table: HTMLElement;
  private readonly conclusion: HTMLElement;
  private readonly forgetNote: HTMLElement;
  private last: DeepReadonly<RepeatResult> | null = null;

  constructor() {
    const c1 = el('canvas', {
      role: 'img',
      'aria-label':
        'Losses against updates: the repeated example, the other examples and the validation set, beside normal training',
    });
    const c2 = el('canvas', { role: 'img', 'aria-label': 'Forgetting: the loss of example A while example B is fitted' });
    this.table = el('div', { class: 'table-wrap' });
    this.conclusion = el('p', { class: 'summary', 'aria-live': 'polite' });
    this.forgetNote = el('p', { class: 'note' });
    this.root = card(
      'repeat',
      this.conclusion,
      el('div', { class: 'chart' }, c1),
      this.table,
      el('h3', { text: 'Forgetting: fit example A, then example B the same way' }),
      el('div', { class: 'chart chart-small' }, c2),
      this.forgetNote,
    );
    this.lossChart = lineChart(c1, { xTitle: 'updates', yTitle: 'cross-entropy loss (log scale)', yLog: true });
    this.forgetChart = lineChart(c2, { xTitle: 'updates on example B', yTitle: 'loss (log scale)', yLog: true });
  }

  update(s: ReadonlySnapshot): void {
    const r = s.repeat ?? null;
    this.root.hidden = !r;
    if (!r || r === this.last) return;
    this.last = r;
    this.draw(r);
    reveal(this.root);
  }

  private draw(r: DeepReadonly<RepeatResult>): void {
    const p = palette();
    const pts = (f: (q: DeepReadonly<RepeatResult>['series'][number]) => number | null): XY[] =>
      r.series.flatMap((q) => {
        const y = f(q);
        return y !== null && y > 0 ? [{ x: q.update, y }] : [];
      });
    const dashed = { borderDash: [5, 3] } as never;
    setDatasets(this.lossChart, [
      series(
        `example #${r.example.index}, repeated`,
        pts((q) => q.exampleLoss),
        p.series[0],
        { borderWidth: 2.5 } as never,
      ),
      series(
        'the other examples, repeated run',
        pts((q) => q.otherExamplesLoss),
        p.series[2],
      ),
      series(
        'validation, repeated run',
        pts((q) => q.validationLoss),
        p.series[1],
      ),
      series(
        `example #${r.example.index}, normal training`,
        pts((q) => q.baselineExampleLoss),
        p.series[0],
        dashed,
      ),
      series(
        'validation, normal training',
        pts((q) => q.baselineValidationLoss),
        p.series[1],
        dashed,
      ),
    ]);
    const last = r.series[r.series.length - 1];
    const row = (name: string, a: string, b: string): HTMLElement =>
      el('tr', {}, el('td', { text: name }), el('td', { class: 'num', text: a }), el('td', { class: 'num', text: b }));
    this.table.replaceChildren(
      table(
        [`after ${r.updates} updates`, 'repeat one example', `normal training (M = ${r.batchSize})`],
        [
          row('learning rate γ', String(r.learningRate), String(r.baselineLearningRate)),
          row(
            `loss of example #${r.example.index} (start ${num(r.initialExampleLoss)})`,
            num(r.finalExampleLoss),
            num(last.baselineExampleLoss),
          ),
          row('validation loss', num(r.finalValidationLoss), num(r.baselineValidationLoss)),
          row('validation accuracy', pct(r.finalValidationAccuracy), pct(r.baselineValidationAccuracy)),
          row('mean loss of the other examples', num(r.finalOtherExamplesLoss), '–'),
        ],
      ),
    );
    this.conclusion.textContent = r.conclusion;
    const f = r.forgetting;
    if (f) {
      setDatasets(this.forgetChart, [
        series(
          `example A (#${r.example.index}, label ${r.example.label})`,
          f.series.filter((q) => q.lossA > 0).map((q) => ({ x: q.update, y: q.lossA })),
          p.series[0],
        ),
        series(
          `example B (#${f.exampleB.index}, label ${f.exampleB.label})`,
          f.series.filter((q) => q.lossB > 0).map((q) => ({ x: q.update, y: q.lossB })),
          p.series[3 % p.series.length],
        ),
      ]);
      this.forgetNote.textContent = `A's loss: ${num(f.lossAFitted)} once fitted, ${num(f.lossAAfterB)} after ${f.updates} updates on B.`;
    } else {
      setDatasets(this.forgetChart, []);
      this.forgetNote.textContent = 'n/a: every training example has the same label, so there is no other example to fit.';
    }
  }

  retheme(): void {
    themeChart(this.lossChart);
    themeChart(this.forgetChart);
  }
}
