// The network drawn as TensorFlow Playground draws one: a column of nodes per layer, links between
// them coloured by gradient. Big layers are aggregated: a column shows at most MAX_NODES nodes, each
// a group of units, and a link between two groups shows the largest-magnitude gradient among their
// connections. Links of the selected layer use its gradient heatmap (red positive, blue negative);
// the other layers' links are shaded by their gradient norm ‖G‖. Clicking a link selects that
// connection; clicking a layer selects it; the other cards follow.

import type { Heatmap, ParamSelection, ReadonlySnapshot, DeepReadonly } from '../src/protocol';
import type { LayerInfo } from '../src/engine/types';
import { el } from './dom';
import { card } from './cards';
import { num } from './format';
import { palette, withAlpha } from './theme';

const MAX_NODES = 8;
const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

type Attrs = Record<string, string | number>;

/**
 * The picture's elements, kept from one draw to the next: the network is redrawn on every step (its
 * links follow the newest gradient norms), and building ~250 elements with their listeners each time
 * took a quarter of a frame. A draw puts each element in order; one of the same tag is reused and
 * only the attributes and text that differ are written; what is left over is removed.
 */
class Reused {
  private at = 0;
  private readonly attrs = new WeakMap<Element, Attrs>();
  private readonly text = new WeakMap<Element, string>();

  constructor(private readonly parent: SVGSVGElement) {}

  begin(): void {
    this.at = 0;
  }

  put<K extends 'line' | 'circle' | 'text'>(tag: K, attrs: Attrs, text?: string, title?: string): SVGElementTagNameMap[K] {
    let e = this.parent.children[this.at] as SVGElementTagNameMap[K] | undefined;
    if (!e || e.tagName !== tag) {
      const fresh = svg(tag, {});
      if (e) this.parent.insertBefore(fresh, e);
      else this.parent.append(fresh);
      e = fresh;
    }
    this.at++;
    const before = this.attrs.get(e) ?? {};
    for (const k of Object.keys(before)) if (!(k in attrs)) e.removeAttribute(k);
    for (const [k, v] of Object.entries(attrs)) if (before[k] !== v) e.setAttribute(k, String(v));
    this.attrs.set(e, attrs);
    if (text !== undefined && this.text.get(e) !== text) {
      e.textContent = text;
      this.text.set(e, text);
    }
    if (title !== undefined && this.text.get(e) !== title) {
      const t = e.firstElementChild ?? e.appendChild(svg('title', {}));
      t.textContent = title;
      this.text.set(e, title);
    }
    return e;
  }

  end(): void {
    while (this.parent.children.length > this.at) this.parent.lastElementChild!.remove();
  }
}

export class NetworkView {
  readonly root: HTMLElement;
  private readonly picture: SVGSVGElement;
  private readonly caption: HTMLElement;
  private readonly parts: Reused;
  /** What clicking (or Enter on) a link or a node selects. */
  private readonly targets = new WeakMap<Element, ParamSelection>();
  links = 0;

  constructor(private readonly select: (s: ParamSelection) => void) {
    this.picture = svg('svg', {
      class: 'network',
      role: 'group',
      'aria-label': 'The network: layers as columns, links coloured by gradient',
    });
    this.parts = new Reused(this.picture);
    const target = (e: Event): ParamSelection | undefined =>
      e.target instanceof Element ? this.targets.get(e.target) : undefined;
    this.picture.addEventListener('click', (e) => {
      const t = target(e);
      if (t) this.select(t);
    });
    this.picture.addEventListener('keydown', (e) => {
      const t = target(e);
      if (t && (e.key === 'Enter' || e.key === ' ')) {
        e.preventDefault();
        this.select(t);
      }
    });
    this.caption = el('p', { class: 'legend', 'aria-live': 'polite' });
    this.root = card('network', el('div', { class: 'network-wrap' }, this.picture), this.caption);
  }

  update(s: ReadonlySnapshot): void {
    const layers = (s.run?.layers ?? []).filter((l) => l.params.some((p) => p.kind === 'weight'));
    this.links = 0;
    this.parts.begin();
    if (layers.length === 0) {
      this.parts.end();
      this.caption.textContent = 'Train or Step to draw the network.';
      return;
    }
    const p = palette();
    const sizes = [units(layers[0].inputShape, layers[0]), ...layers.map((l) => units(l.outputShape, l))];
    const width = 440,
      height = 220,
      top = 18,
      bottom = 18;
    const colX = (c: number): number => 20 + (c * (width - 40)) / Math.max(1, sizes.length - 1);
    // Up to MAX_NODES + 4 units are drawn one by one (10 classes stay 10 nodes); more are grouped.
    const groups = sizes.map((n) => (n <= MAX_NODES + 4 ? n : MAX_NODES));
    const nodeY = (c: number, g: number): number => top + ((g + 0.5) * (height - top - bottom)) / groups[c];
    this.picture.setAttribute('viewBox', `0 0 ${width} ${height}`);
    const last = s.history[s.history.length - 1];
    const norms = new Map(last?.layers.map((l) => [l.layer, l.gradNorm]) ?? []);
    const maxNorm = Math.max(1e-30, ...[...norms.values()].filter(Number.isFinite));
    const h = s.detail?.heatmap;
    const sel = s.selection;
    layers.forEach((layer, li) => {
      const gin = groups[li],
        gout = groups[li + 1];
      const block = blocks(h && h.layer === layer.index && h.kind === 'weight' ? h : null, gin, gout);
      const maxAbs = Math.max(1e-30, ...block.map((b) => Math.abs(b.value)));
      for (let a = 0; a < gin; a++) {
        for (let b = 0; b < gout; b++) {
          const cell = block[a * gout + b];
          const norm = norms.get(layer.index);
          const color = cell ? (cell.value >= 0 ? p.positive : p.negative) : p.muted;
          const strength = cell
            ? Math.abs(cell.value) / maxAbs
            : norm !== undefined && Number.isFinite(norm)
              ? norm / maxNorm
              : 0.2;
          const title = cell
            ? `${layer.label}: inputs ${range(a, sizes[li], gin)} → units ${range(b, sizes[li + 1], gout)}: largest gradient ${num(cell.value, 3)} (click to follow it)`
            : `${layer.label}: gradient norm ‖G‖ = ${num(norm ?? NaN)} (click to select this layer)`;
          const line = this.parts.put(
            'line',
            {
              x1: colX(li),
              y1: nodeY(li, a),
              x2: colX(li + 1),
              y2: nodeY(li + 1, b),
              stroke: withAlpha(color, 0.12 + 0.85 * strength),
              'stroke-width': cell ? 0.6 + 2.4 * strength : 1,
              class: 'link',
              'data-layer': layer.index,
            },
            undefined,
            title,
          );
          this.targets.set(line, { layer: layer.index, kind: 'weight', index: cell ? cell.index : 0 });
          this.links++;
        }
      }
    });
    sizes.forEach((n, c) => {
      const layer = c === 0 ? null : layers[c - 1];
      const selected = layer && sel?.layer === layer.index;
      for (let g = 0; g < groups[c]; g++) {
        const node = this.parts.put('circle', {
          cx: colX(c),
          cy: nodeY(c, g),
          r: 5,
          class: `node${selected ? ' selected' : ''}`,
          fill: p.background,
          stroke: selected ? p.foreground : p.muted,
          'stroke-width': selected ? 2 : 1,
          ...(layer ? { tabindex: '0', role: 'button', 'aria-label': `Select ${layer.label}` } : {}),
        });
        if (layer) this.targets.set(node, { layer: layer.index, kind: 'weight', index: 0 });
        else this.targets.delete(node);
      }
      this.parts.put(
        'text',
        {
          x: colX(c),
          y: height - 4,
          'text-anchor': c === 0 ? 'start' : c === sizes.length - 1 ? 'end' : 'middle',
          class: 'network-label',
          fill: p.muted,
        },
        c === 0 ? `${n} inputs` : String(n),
      );
    });
    this.parts.end();
    const grouped = sizes.some((n, c) => groups[c] < n)
      ? ` Columns of more than ${MAX_NODES + 4} units show ${MAX_NODES} groups.`
      : '';
    this.caption.textContent = h
      ? `Coloured by gradient: layers[${h.layer}] (the layer selected in the heatmap), step ${s.detail?.step}. Each link of a big layer is the largest of its group's connections.${grouped}`
      : "Links shaded by each layer's gradient norm; train or step for the selected layer's gradients.";
  }
}

/** The heatmap aggregated into gin × gout groups: per group pair, the cell of largest magnitude. */
function blocks(h: DeepReadonly<Heatmap> | null, gin: number, gout: number): { value: number; index: number }[] {
  if (!h) return [];
  const out: { value: number; index: number }[] = Array.from({ length: gin * gout }, () => ({ value: 0, index: 0 }));
  for (let r = 0; r < h.cellRows; r++) {
    for (let c = 0; c < h.cellCols; c++) {
      const a = Math.min(gin - 1, Math.floor((r * h.rowBlock * gin) / Math.max(1, h.rows)));
      const b = Math.min(gout - 1, Math.floor((c * h.colBlock * gout) / Math.max(1, h.cols)));
      const v = h.values[r * h.cellCols + c];
      const slot = out[a * gout + b];
      if (Math.abs(v) >= Math.abs(slot.value)) {
        slot.value = v;
        slot.index = h.indices[r * h.cellCols + c];
      }
    }
  }
  return out;
}

/** Units of a column: features of a flat shape, channels of an image shape. */
function units(shape: readonly number[], layer: DeepReadonly<LayerInfo>): number {
  if (layer.type === 'dense') return shape.reduce((a, b) => a * b, 1);
  return shape[0] ?? 1;
}

function range(g: number, n: number, groups: number): string {
  const per = Math.ceil(n / groups);
  const lo = g * per,
    hi = Math.min(n, lo + per) - 1;
  return lo === hi ? String(lo) : `${lo}–${hi}`;
}
