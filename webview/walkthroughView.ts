// Step through a batch, example by example: each example's forward pass (its loss) and backward
// pass (its gradient gᵢ for the selected parameter), added to a running sum and average; the
// parameters do not change until every example of the batch has been back-propagated, and then
// change once, by −γ times the average.

import { Chart, type ChartConfiguration } from 'chart.js';
import type { ReadonlySnapshot, WalkthroughResult, DeepReadonly } from '../src/protocol';
import { el, icon, reveal } from './dom';
import { card } from './cards';
import { num, term } from './format';
import { palette, withAlpha } from './theme';
import { perExampleBarOptions, themeChart } from './charts';
import { updateLines } from './formulaView';

export class WalkthroughView {
  readonly root: HTMLElement;
  readonly chart: Chart<'bar' | 'line', (number | null)[], string>;
  private readonly text: HTMLElement;
  private readonly position: HTMLElement;
  private readonly digit: HTMLCanvasElement;
  private result: DeepReadonly<WalkthroughResult> | null = null;
  /** How many examples have been shown: 0..M; M + 1 means the update too. */
  shown = 0;

  constructor() {
    const canvas = el('canvas', {
      role: 'img',
      'aria-label': 'Gradients of the examples stepped through so far, with their running average',
    });
    const prev = el(
      'button',
      { class: 'tool', 'data-walk': 'prev', 'aria-label': 'Previous example' },
      icon('arrow-left'),
      ' Previous',
    );
    const next = el(
      'button',
      { class: 'tool', 'data-walk': 'next', 'aria-label': 'Next example' },
      icon('arrow-right'),
      ' Next example',
    );
    const all = el(
      'button',
      { class: 'tool', 'data-walk': 'all', 'aria-label': 'Show the whole batch and the update' },
      icon('run-all'),
      ' Whole batch',
    );
    prev.addEventListener('click', () => this.go(this.shown - 1));
    next.addEventListener('click', () => this.go(this.shown + 1));
    all.addEventListener('click', () => this.go(Number.MAX_SAFE_INTEGER));
    this.position = el('span', { class: 'note' });
    this.text = el('div', { class: 'formula', 'aria-live': 'polite' });
    this.digit = el('canvas', { class: 'digit', width: 28, height: 28, 'aria-hidden': 'true' });
    const config: ChartConfiguration<'bar' | 'line', (number | null)[], string> = {
      type: 'bar',
      data: { labels: [], datasets: [] },
      options: {
        ...perExampleBarOptions('example i'),
        plugins: { legend: { labels: { boxWidth: 10, boxHeight: 10 } } },
      },
    };
    this.chart = new Chart(canvas, config);
    themeChart(this.chart as unknown as Chart);
    this.root = card(
      'walkthrough',
      el('div', { class: 'controls', role: 'toolbar', 'aria-label': 'Step through the batch' }, prev, next, all, this.position),
      el('div', { class: 'chart' }, canvas),
      el('div', { class: 'example' }, this.digit, this.text),
    );
  }

  update(s: ReadonlySnapshot): void {
    const r = s.walkthrough ?? null;
    const fresh = r !== this.result;
    if (fresh) {
      this.result = r;
      this.shown = r ? 1 : 0;
    }
    this.root.hidden = !r;
    if (r) this.draw();
    if (r && fresh) reveal(this.root);
  }

  private go(n: number): void {
    if (!this.result) return;
    this.shown = Math.max(1, Math.min(this.result.examples.length + 1, n));
    this.draw();
  }

  private draw(): void {
    const r = this.result!;
    const m = r.examples.length;
    const k = Math.min(this.shown, m);
    const p = palette();
    this.chart.data.labels = r.examples.map((_, i) => String(i + 1));
    this.chart.data.datasets = [
      {
        type: 'bar',
        label: 'gᵢ of the examples back-propagated so far',
        data: r.examples.map((e, i) => (i < k ? e.gradient : null)),
        backgroundColor: r.examples.map((e) => withAlpha(e.gradient >= 0 ? p.positive : p.negative, 0.7)),
      },
      {
        type: 'line',
        label: 'running average (1/i)·Σ gⱼ',
        data: r.examples.map((e, i) => (i < k ? e.runningMean : null)),
        borderColor: p.foreground,
        borderWidth: 2,
        pointRadius: 2,
      },
    ] as never;
    this.chart.update('none');
    this.position.textContent = this.shown > m ? `all ${m} examples, then the update` : `example ${k} of ${m}`;
    const e = r.examples[k - 1];
    const where = r.atWeightsBeforeUpdate
      ? 'This is the batch of the last step, replayed at the weights before its update (the gradients the run used).'
      : 'This is the batch the next step will use, at the current weights (no step has been made yet).';
    const lines =
      this.shown > m
        ? [
            `All ${m} examples were back-propagated, one at a time; θ did not change in between.`,
            `The batch gradient G is their average: (1/${m}) · ${term(e.runningSum, 4)} = ${num(e.runningMean, 4)}; one ordinary backward pass over the batch gives ${num(r.batchGradient, 4)}, the same number.`,
            ...(r.applied
              ? ["Then the batch made its single update, with the run's optimizer:", ...updateLines(r.applied).map(([, l]) => l)]
              : [
                  'Then the batch makes its single update (plain SGD shown):',
                  `θ ← θ − γ · G:  ${num(r.after, 5)} ← ${num(r.before, 5)} − ${num(r.learningRate)} · ${term(e.runningMean, 4)}`,
                ]),
            where,
          ]
        : [
            `Example ${k} (#${e.index}): forward pass → label ${e.label}, predicted ${e.prediction}, loss Lᵢ = ${num(e.loss)}`,
            `backward pass → g${sub(k)} = ∂L${sub(k)}/∂θ = ${num(e.gradient, 4)}   for ${r.paramName}`,
            `running sum Σ = ${num(e.runningSum, 4)},  running average Σ/${k} = ${num(e.runningMean, 4)}`,
            `θ is still ${num(r.before, 5)}: parameters change only after the whole batch.`,
            where,
          ];
    this.text.replaceChildren(...lines.map((l) => el('div', { class: 'formula-line', text: l })));
    const ctx = this.digit.getContext('2d');
    this.digit.hidden = !(e.image && r.imageShape);
    if (ctx && e.image && r.imageShape) {
      const [h, w] = r.imageShape;
      const img = ctx.createImageData(w, h);
      for (let i = 0; i < h * w; i++) {
        const v = 255 - e.image[i];
        img.data[4 * i] = v;
        img.data[4 * i + 1] = v;
        img.data[4 * i + 2] = v;
        img.data[4 * i + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
    }
  }

  retheme(): void {
    themeChart(this.chart as unknown as Chart);
  }
}

function sub(n: number): string {
  return String(n)
    .split('')
    .map((d) => '₀₁₂₃₄₅₆₇₈₉'[Number(d)])
    .join('');
}
