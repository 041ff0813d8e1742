// SGD (M = 1), mini-batch and full batch side by side: the same model and seed, the same number of
// examples seen; loss against examples seen and against wall time, and a summary in plain words.

import type { Chart } from 'chart.js';
import type { SessionSnapshot } from '../src/protocol';
import { el, section } from './dom';
import { lineChart, series, setDatasets, themeChart, type XY } from './charts';
import { num } from './format';
import { palette } from './theme';

export class CompareView {
  readonly root: HTMLElement;
  readonly byExamples: Chart<'line', XY[]>;
  readonly byTime: Chart<'line', XY[]>;
  private readonly summary: HTMLElement;
  private readonly table: HTMLElement;
  runs = 0;

  constructor() {
    const c1 = el('canvas', { role: 'img', 'aria-label': 'Loss against examples seen, one line per batch size' });
    const c2 = el('canvas', { role: 'img', 'aria-label': 'Loss against seconds, one line per batch size' });
    this.summary = el('p', { class: 'summary', 'aria-live': 'polite' });
    this.table = el('div');
    this.root = section('compare', 'SGD, mini-batch and full batch side by side',
      this.summary,
      el('div', { class: 'two' }, el('div', { class: 'chart' }, c1), el('div', { class: 'chart' }, c2)),
      this.table);
    this.byExamples = lineChart(c1, { xTitle: 'examples seen', yTitle: 'batch loss', yLog: true });
    this.byTime = lineChart(c2, { xTitle: 'seconds', yTitle: 'batch loss', yLog: true });
    this.root.hidden = true;
  }

  update(s: SessionSnapshot): void {
    const r = s.compare;
    this.root.hidden = !r;
    this.runs = r?.runs.length ?? 0;
    if (!r) return;
    const p = palette();
    const label = (m: number): string => (m === 1 ? 'M = 1 (SGD)' : `M = ${m}`);
    setDatasets(this.byExamples, r.runs.map((run, i) => series(label(run.batchSize), run.points.filter((q) => q.loss > 0).map((q) => ({ x: q.examplesSeen, y: q.loss })), p.series[i % p.series.length])));
    setDatasets(this.byTime, r.runs.map((run, i) => series(label(run.batchSize), run.points.filter((q) => q.loss > 0).map((q) => ({ x: q.time, y: q.loss })), p.series[i % p.series.length])));
    this.summary.textContent = r.summary;
    this.table.replaceChildren(el('table', { class: 'check' },
      el('thead', {}, el('tr', {}, el('th', { text: 'batch size' }), el('th', { text: 'steps' }), el('th', { text: 'step-to-step loss variance' }), el('th', { text: 'noise scale' }), el('th', { text: 'final loss' }))),
      el('tbody', {}, ...r.runs.map((run) => el('tr', {},
        el('td', { text: label(run.batchSize) }),
        el('td', { class: 'num', text: String(run.steps) }),
        el('td', { class: 'num', text: num(run.stepLossVariance) }),
        el('td', { class: 'num', text: num(run.noiseScale) }),
        el('td', { class: 'num', text: num(run.points[run.points.length - 1]?.loss) }))))));
  }

  retheme(): void {
    themeChart(this.byExamples);
    themeChart(this.byTime);
  }
}
