// 5. Gradient histograms per layer over time: a heat strip per layer, x = step, y = gradient value
// (a shared symmetric range per layer), colour = how many entries fell in that bin.

import type { Histogram, ReadonlySnapshot, DeepReadonly } from '../src/protocol';
import { el } from './dom';
import { card } from './cards';
import { num } from './format';
import { palette, withAlpha } from './theme';

export class HistogramView {
  readonly root: HTMLElement;
  private readonly list: HTMLElement;
  strips = 0;

  constructor() {
    this.list = el('div', { class: 'histograms' });
    this.root = card('histograms', this.list);
  }

  update(s: ReadonlySnapshot): void {
    const byLayer = new Map<number, DeepReadonly<Histogram>[]>();
    for (const h of s.histograms) {
      const l = byLayer.get(h.layer) ?? [];
      l.push(h);
      byLayer.set(h.layer, l);
    }
    const layers = [...byLayer.keys()].sort((a, b) => a - b);
    this.strips = layers.length;
    const labels = new Map((s.run?.layers ?? []).map((l) => [l.index, l.label]));
    if (layers.length === 0) {
      this.list.replaceChildren(el('p', { class: 'note', text: 'Histograms appear every few steps while training.' }));
      return;
    }
    this.list.replaceChildren(
      ...layers.map((layer) => {
        const hs = (byLayer.get(layer) ?? []).slice().sort((a, b) => a.step - b.step);
        const canvas = el('canvas', {
          class: 'strip',
          role: 'img',
          'aria-label': `Gradient histogram of layers[${layer}] over ${hs.length} snapshots`,
        });
        const extent = this.draw(canvas, hs);
        return el(
          'figure',
          { class: 'histogram' },
          el('figcaption', { text: `layers[${layer}] ${labels.get(layer) ?? ''}` }),
          el(
            'div',
            { class: 'strip-frame' },
            el(
              'div',
              { class: 'axis-y' },
              el('span', { text: `+${num(extent)}` }),
              el('span', { text: '0' }),
              el('span', { text: `−${num(extent)}` }),
            ),
            canvas,
          ),
          el(
            'div',
            { class: 'axis-x' },
            el('span', { text: `step ${hs[0].step}` }),
            el('span', { text: 'x: step · y: gradient value' }),
            el('span', { text: `step ${hs[hs.length - 1].step}` }),
          ),
        );
      }),
    );
  }

  private draw(canvas: HTMLCanvasElement, hs: DeepReadonly<Histogram>[]): number {
    const p = palette();
    const width = 480,
      height = 72;
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d');
    let extent = 0;
    for (const h of hs) extent = Math.max(extent, Math.abs(h.edges[0]), Math.abs(h.edges[h.edges.length - 1]));
    if (!ctx || extent === 0) return extent;
    ctx.fillStyle = p.background;
    ctx.fillRect(0, 0, width, height);
    const colW = width / hs.length;
    const y = (v: number): number => height / 2 - (v / extent) * (height / 2);
    hs.forEach((h, i) => {
      const max = Math.max(1, ...h.counts);
      for (let b = 0; b < h.counts.length; b++) {
        if (h.counts[b] === 0) continue;
        ctx.fillStyle = withAlpha(p.series[0], 0.15 + 0.85 * Math.sqrt(h.counts[b] / max));
        const top = y(h.edges[b + 1]),
          bottom = y(h.edges[b]);
        ctx.fillRect(i * colW, top, Math.ceil(colW), Math.max(1, bottom - top));
      }
    });
    ctx.strokeStyle = withAlpha(p.muted, 0.6);
    ctx.beginPath();
    ctx.moveTo(0, height / 2);
    ctx.lineTo(width, height / 2);
    ctx.stroke();
    return extent;
  }
}
