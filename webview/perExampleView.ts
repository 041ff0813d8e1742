// 3. Per-example versus batch average, for the selected parameter in the current batch: one bar per
// example (∂Lᵢ/∂θ), the mean (the batch gradient), and the update written out as the formula
// G = (1/M)·Σᵢ ∂Lᵢ/∂θ and the optimizer's own update (formulaView.ts) with the real numbers.
// Hovering or focusing a bar shows that example.

import { Chart, type ChartConfiguration } from 'chart.js';
import './charts';
import type { ExampleInfo, PerExampleDetail, ReadonlySnapshot, StepDetail, DeepReadonly } from '../src/protocol';
import { noteFor, updateLines } from './formulaView';
import { el } from './dom';
import { card } from './cards';
import { num, term } from './format';
import { palette, withAlpha } from './theme';
import { perExampleBarOptions, themeChart } from './charts';

export class PerExampleView {
  readonly root: HTMLElement;
  readonly chart: Chart<'bar' | 'line', number[], string>;
  private readonly canvas: HTMLCanvasElement;
  private readonly formula: HTMLElement;
  private readonly note: HTMLElement;
  private readonly preview: HTMLCanvasElement;
  private readonly previewText: HTMLElement;
  private detail: DeepReadonly<StepDetail> | null = null;
  private focused = 0;
  bars = 0;

  constructor() {
    this.canvas = el('canvas', {
      tabindex: 0,
      role: 'img',
      'aria-label': 'One bar per example: its gradient for the selected parameter. Left and right arrows move between examples.',
    });
    this.canvas.addEventListener('keydown', (e) => {
      const m = this.bars;
      if (!m) return;
      if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
        this.focused = (this.focused + (e.key === 'ArrowRight' ? 1 : m - 1)) % m;
        this.showExample(this.focused);
        e.preventDefault();
      }
    });
    this.formula = el('div', { class: 'formula', 'aria-live': 'polite' });
    this.note = el('p', { class: 'note' });
    this.preview = el('canvas', { class: 'digit', width: 28, height: 28, 'aria-hidden': 'true' });
    this.previewText = el('div', { class: 'example-text', 'aria-live': 'polite', text: 'Hover a bar to see its example.' });
    const config: ChartConfiguration<'bar' | 'line', number[], string> = {
      type: 'bar',
      data: { labels: [], datasets: [] },
      options: {
        ...perExampleBarOptions('example i of the batch'),
        plugins: {
          legend: { labels: { boxWidth: 10, boxHeight: 10 } },
          tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${num(c.parsed.y as number, 4)}` } },
        },
        onHover: (_e, items) => {
          const bar = items.find((i) => i.datasetIndex === 0);
          if (bar) this.showExample(bar.index);
        },
      },
    };
    this.chart = new Chart(this.canvas, config);
    themeChart(this.chart as unknown as Chart);
    this.root = card(
      'per-example',
      el('div', { class: 'chart' }, this.canvas),
      el('div', { class: 'example' }, this.preview, this.previewText),
      this.formula,
      this.note,
    );
  }

  update(s: ReadonlySnapshot): void {
    this.detail = s.detail;
    const d = s.detail?.perExample ?? null;
    const p = palette();
    if (!d) {
      this.chart.data.labels = [];
      this.chart.data.datasets = [];
      this.chart.update('none');
      this.formula.textContent =
        s.run?.perExampleNote ??
        "Train or step to see each example's gradient for the selected parameter (click a heatmap cell to choose it).";
      this.note.textContent = '';
      this.bars = 0;
      return;
    }
    const m = d.perExample.length;
    this.bars = m;
    this.focused = Math.min(this.focused, m - 1);
    this.chart.data.labels = d.perExample.map((_, i) => String(i + 1));
    this.chart.data.datasets = [
      {
        type: 'bar',
        label: `∂Lᵢ/∂θ for ${d.paramName}`,
        data: d.perExample,
        backgroundColor: d.perExample.map((v) => withAlpha(v >= 0 ? p.positive : p.negative, 0.7)),
        borderWidth: 0,
      },
      {
        type: 'line',
        label: 'mean = batch gradient',
        data: d.perExample.map(() => d.mean),
        borderColor: p.foreground,
        borderWidth: 2,
        pointRadius: 0,
        borderDash: [6, 3],
      },
    ] as never;
    this.chart.update('none');
    this.renderFormula(d);
    this.showExample(this.focused, false);
    if (s.detail && s.detail.examples.length === 0) {
      // A watched script sends gradients, not its examples.
      this.preview.hidden = true;
      this.previewText.textContent = "This run's examples stay in its own process: only their gradients are shown.";
    }
  }

  private renderFormula(d: DeepReadonly<PerExampleDetail>): void {
    const m = d.perExample.length;
    const g = d.perExample;
    const shown =
      m <= 6
        ? g.map((v) => term(v)).join(' + ')
        : `${g
            .slice(0, 3)
            .map((v) => term(v))
            .join(' + ')} + … + ${term(g[m - 1])}`;
    const sum = g.reduce((a, b) => a + b, 0);
    const lines: [string, string][] = [
      ['head', 'The batch gradient: G = (1/M) · Σᵢ ∂Lᵢ/∂θ'],
      ['line', `G = (1/${m}) · (${shown}) = (1/${m}) · ${term(sum, 4)} = ${num(d.mean, 4)}`],
    ];
    const t = d.terms;
    if (t) lines.push(...updateLines(t));
    else if (d.updatePending)
      lines.push(['line', `θ = ${num(d.before, 5)}: this batch's update is not applied yet (stopped before it).`]);
    else lines.push(['line', `θ went from ${num(d.before, 5)} to ${num(d.after, 5)} (applied update ${num(d.update, 4)}).`]);
    this.formula.replaceChildren(...lines.map(([k, l]) => el('div', { class: `formula-${k}`, text: l })));
    this.note.textContent = [t ? noteFor(t) : '', d.note ?? ''].filter(Boolean).join(' ');
  }

  private showExample(i: number, announce = true): void {
    const d = this.detail;
    const ex: DeepReadonly<ExampleInfo> | undefined = d?.examples[i];
    const g = d?.perExample?.perExample[i];
    if (!d || !ex) return;
    this.focused = i;
    this.previewText.textContent =
      `example ${i + 1} (#${ex.index}): label ${ex.label}, predicted ${ex.prediction}, loss ${num(ex.loss)}` +
      (g !== undefined ? `, ∂Lᵢ/∂θ = ${num(g, 4)}` : '');
    if (!announce) this.previewText.setAttribute('aria-live', 'off');
    else this.previewText.setAttribute('aria-live', 'polite');
    const ctx = this.preview.getContext('2d');
    if (!ctx) return;
    if (ex.image && d.imageShape) {
      const [h, w] = d.imageShape;
      this.preview.width = w;
      this.preview.height = h;
      const img = ctx.createImageData(w, h);
      for (let k = 0; k < h * w; k++) {
        const v = 255 - (ex.image[k] ?? 0);
        img.data[4 * k] = v;
        img.data[4 * k + 1] = v;
        img.data[4 * k + 2] = v;
        img.data[4 * k + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
      this.preview.hidden = false;
    } else {
      this.preview.hidden = true;
    }
    const active = this.chart.data.datasets.length ? [{ datasetIndex: 0, index: i }] : [];
    this.chart.setActiveElements(active);
    this.chart.update('none');
  }

  /** What the card shows now, read from its chart and text. */
  drawn(): { param: string; values: number[]; mean: number; formula: string; note: string } | null {
    const [bars, mean] = this.chart.data.datasets;
    if (!bars || !mean) return null;
    return {
      param: this.detail?.perExample?.paramName ?? '',
      values: (bars.data as number[]).slice(0, 64),
      mean: (mean.data as number[])[0],
      // One line per formula row, without innerText's forced layout (this runs on every render).
      formula: [...this.formula.children].map((c) => c.textContent ?? '').join('\n'),
      note: this.note.textContent ?? '',
    };
  }

  retheme(): void {
    themeChart(this.chart as unknown as Chart);
  }
}
