// 2. Per-parameter gradients: the selected layer's weight gradient (or weights, or last update) as
// a heatmap. Each cell shows the entry of largest magnitude in its block; clicking a cell (or
// moving with the arrow keys and pressing Enter) selects that exact parameter for the
// per-example view.

import type { Heatmap, HeatmapMode, ParamSelection, ReadonlySnapshot, DeepReadonly } from '../src/protocol';
import { el } from './dom';
import { card } from './cards';
import { num } from './format';
import { palette, withAlpha } from './theme';

export interface HeatmapCallbacks {
  select(sel: ParamSelection): void;
  mode(mode: HeatmapMode): void;
}

const MODES: { mode: HeatmapMode; label: string }[] = [
  { mode: 'grad', label: 'gradient' },
  { mode: 'weight', label: 'weights' },
  { mode: 'update', label: 'update' },
];

export class HeatmapView {
  readonly root: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly layerSelect: HTMLSelectElement;
  private readonly modeButtons: HTMLButtonElement[];
  private readonly caption: HTMLElement;
  private readonly legend: HTMLElement;
  private heatmap: DeepReadonly<Heatmap> | null = null;
  private selection: ParamSelection | null = null;
  private cursor = 0;
  private layersKey = '';
  cells = 0;

  constructor(private readonly cb: HeatmapCallbacks) {
    this.layerSelect = el('select', { id: 'heatmap-layer', 'aria-label': 'Layer shown in the heatmap' });
    this.layerSelect.addEventListener('change', () => {
      const [layer, kind] = this.layerSelect.value.split(':');
      this.cb.select({ layer: Number(layer), kind: kind as 'weight' | 'bias', index: 0 });
    });
    this.modeButtons = MODES.map(({ mode, label }) => {
      const b = el('button', { class: 'segment', 'data-mode': mode, 'aria-pressed': 'false', text: label });
      b.addEventListener('click', () => this.cb.mode(mode));
      return b;
    });
    this.canvas = el('canvas', {
      class: 'heatmap',
      tabindex: 0,
      role: 'grid',
      'aria-label': 'Heatmap of the selected parameter. Arrow keys move, Enter selects the parameter.',
    });
    this.canvas.addEventListener('click', (e) => this.clickAt(e));
    this.canvas.addEventListener('keydown', (e) => this.key(e));
    this.canvas.addEventListener('mousemove', (e) => {
      const cell = this.cellAt(e);
      if (cell !== null) this.describe(cell);
    });
    this.caption = el('div', { class: 'caption', 'aria-live': 'polite' });
    this.legend = el('div', { class: 'legend' });
    this.root = card(
      'heatmap',
      el(
        'div',
        { class: 'controls' },
        el('label', { for: 'heatmap-layer' }, 'layer '),
        this.layerSelect,
        el('span', { class: 'segments', role: 'group', 'aria-label': 'Show' }, ...this.modeButtons),
      ),
      el(
        'div',
        { class: 'axis-x' },
        el('span', { text: '↓ rows: inputs of the layer' }),
        el('span', { text: 'columns: output units →' }),
      ),
      el('div', { class: 'heatmap-wrap' }, this.canvas),
      this.legend,
      this.caption,
    );
  }

  update(s: ReadonlySnapshot): void {
    this.fillLayers(s);
    this.heatmap = s.detail?.heatmap ?? null;
    for (const b of this.modeButtons) b.setAttribute('aria-pressed', String(b.dataset.mode === s.heatmapMode));
    const h = this.heatmap;
    this.cells = h ? h.values.length : 0;
    if (h) {
      this.layerSelect.value = `${h.layer}:${h.kind}`;
      const selected =
        s.selection && s.selection.layer === h.layer && s.selection.kind === h.kind ? h.indices.indexOf(s.selection.index) : -1;
      if (selected >= 0 && document.activeElement !== this.canvas) this.cursor = selected;
      this.cursor = Math.min(this.cursor, h.values.length - 1);
    }
    this.selection = s.selection;
    this.draw();
  }

  private fillLayers(s: ReadonlySnapshot): void {
    const layers = s.run?.layers ?? [];
    const key = layers.map((l) => l.label).join('|');
    if (key === this.layersKey) return;
    this.layersKey = key;
    this.layerSelect.replaceChildren(
      ...layers.flatMap((l) =>
        l.params.map((p) =>
          el('option', { value: `${l.index}:${p.kind}`, text: `${p.name}  [${p.shape.join('×')}]  ${l.label}` }),
        ),
      ),
    );
  }

  draw(): void {
    const h = this.heatmap;
    const selection = this.selection;
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    const width = Math.max(200, this.canvas.clientWidth || 360);
    const p = palette();
    if (!h) {
      this.canvas.width = width;
      this.canvas.height = 80;
      ctx.fillStyle = p.muted;
      ctx.font = '12px sans-serif';
      ctx.fillText('Train or step to see gradients.', 10, 40);
      this.legend.textContent = '';
      return;
    }
    const cw = Math.max(3, Math.floor(width / h.cellCols));
    const ch = Math.max(3, Math.min(cw * 2, Math.floor(320 / h.cellRows)));
    this.canvas.width = cw * h.cellCols;
    this.canvas.height = ch * h.cellRows;
    ctx.fillStyle = p.background;
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    const scale = Math.max(Math.abs(h.min), Math.abs(h.max)) || 1;
    for (let r = 0; r < h.cellRows; r++) {
      for (let c = 0; c < h.cellCols; c++) {
        const v = h.values[r * h.cellCols + c];
        if (!Number.isFinite(v)) ctx.fillStyle = p.warning;
        else ctx.fillStyle = withAlpha(v >= 0 ? p.positive : p.negative, Math.sqrt(Math.abs(v) / scale));
        ctx.fillRect(c * cw, r * ch, cw, ch);
      }
    }
    const mark = (cell: number, color: string, width: number): void => {
      const r = Math.floor(cell / h.cellCols),
        c = cell % h.cellCols;
      ctx.strokeStyle = color;
      ctx.lineWidth = width;
      ctx.strokeRect(c * cw + width / 2, r * ch + width / 2, cw - width, ch - width);
    };
    if (selection && selection.layer === h.layer && selection.kind === h.kind) {
      const sel = h.indices.indexOf(selection.index);
      if (sel >= 0) mark(sel, p.foreground, 2);
    }
    if (document.activeElement === this.canvas) mark(this.cursor, p.focus, 2);
    const what = h.mode === 'grad' ? 'batch gradient ∂L/∂θ' : h.mode === 'weight' ? 'weights θ' : 'last update Δθ';
    this.legend.textContent =
      `${what}: blue negative, red positive, ±${num(scale)} at full colour · ${h.rows}×${h.cols}` +
      (h.rowBlock * h.colBlock > 1 ? `, each cell the largest of a ${h.rowBlock}×${h.colBlock} block` : '');
  }

  private cellAt(e: MouseEvent): number | null {
    const h = this.heatmap;
    if (!h) return null;
    const rect = this.canvas.getBoundingClientRect();
    const c = Math.floor(((e.clientX - rect.left) / rect.width) * h.cellCols);
    const r = Math.floor(((e.clientY - rect.top) / rect.height) * h.cellRows);
    if (r < 0 || c < 0 || r >= h.cellRows || c >= h.cellCols) return null;
    return r * h.cellCols + c;
  }

  private clickAt(e: MouseEvent): void {
    const cell = this.cellAt(e);
    if (cell !== null) this.choose(cell);
  }

  private key(e: KeyboardEvent): void {
    const h = this.heatmap;
    if (!h) return;
    const moves: Record<string, number> = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -h.cellCols, ArrowDown: h.cellCols };
    if (e.key in moves) {
      const next = this.cursor + moves[e.key];
      if (next >= 0 && next < h.values.length) this.cursor = next;
      this.describe(this.cursor);
      this.draw();
      e.preventDefault();
    } else if (e.key === 'Enter' || e.key === ' ') {
      this.choose(this.cursor);
      e.preventDefault();
    }
  }

  private choose(cell: number): void {
    const h = this.heatmap;
    if (!h) return;
    this.cursor = cell;
    this.describe(cell);
    this.cb.select({ layer: h.layer, kind: h.kind, index: h.indices[cell] });
  }

  private describe(cell: number): void {
    const h = this.heatmap;
    if (!h) return;
    this.caption.textContent = `${h.kind} #${h.indices[cell]}: ${num(h.values[cell], 4)}`;
  }
}
