// 4. Layer health: one small chart per instrument, one series per parameterised layer.
//    gradient norm ‖G‖ · update/weight ratio ‖Δθ‖/‖θ‖ · spread of per-example norms ‖gᵢ‖ (median,
//    with min and max) · agreement cos(gᵢ, G) · gradient noise scale B_simple · dead ReLUs.

import type { Chart } from 'chart.js';
import type { LayerPoint, ReadonlySnapshot, StepPoint, DeepReadonly } from '../src/protocol';
import { el } from './dom';
import { card } from './cards';
import { lineChart, series, setDatasets, themeChart, type XY } from './charts';
import { palette } from './theme';
import { Decimator } from './decimate';

interface Instrument {
  id: string;
  title: string;
  /** The y-axis title, with its unit. */
  axis: string;
  help: string;
  log: boolean;
  value: (l: DeepReadonly<LayerPoint>) => number | null;
  band?: [(l: DeepReadonly<LayerPoint>) => number, (l: DeepReadonly<LayerPoint>) => number];
}

const INSTRUMENTS: Instrument[] = [
  {
    id: 'grad-norm',
    axis: '‖G‖ (log)',
    title: 'gradient norm ‖G‖',
    help: 'Size of the batch gradient. Growing by orders of magnitude: exploding; near zero in early layers: vanishing.',
    log: true,
    value: (l) => l.gradNorm,
  },
  {
    id: 'update-ratio',
    axis: '‖Δθ‖/‖θ‖ (log)',
    title: 'update / weight ‖Δθ‖/‖θ‖',
    help: 'How much a step changes the weights; around 1e-3 is typical, much larger is unstable.',
    log: true,
    value: (l) => l.updateRatio,
  },
  {
    id: 'spread',
    axis: '‖gᵢ‖ (log)',
    title: 'per-example ‖gᵢ‖ (median, min–max)',
    help: 'How differently the examples pull; a wide band means a noisy gradient.',
    log: true,
    value: (l) => l.perExampleNormMedian,
    band: [(l) => l.perExampleNormMin, (l) => l.perExampleNormMax],
  },
  {
    id: 'cosine',
    axis: 'mean cosine',
    title: 'agreement cos(gᵢ, G)',
    help: "Mean cosine between each example's gradient and the batch mean; near 0 the examples disagree.",
    log: false,
    value: (l) => l.cosineMean,
  },
  {
    id: 'noise',
    axis: 'B_simple (examples, log)',
    title: 'gradient noise scale B_simple',
    help: 'tr(Σ)/‖G‖²: roughly the largest batch size that still helps (McCandlish et al. 2018).',
    log: true,
    value: (l) => l.noiseScale,
  },
  {
    id: 'dead',
    axis: 'fraction of units',
    title: 'dead ReLUs',
    help: 'Fraction of units that output zero for every example of the batch.',
    log: false,
    value: (l) => l.deadFraction,
  },
];

export class HealthView {
  readonly root: HTMLElement;
  readonly charts: Chart<'line', XY[]>[] = [];
  layers = 0;
  /** One bounded line per instrument, layer and band edge (see Decimator): a frame costs the same however long the history. */
  private readonly lines = new Map<string, Decimator<DeepReadonly<StepPoint>>>();

  constructor() {
    const grid = el('div', { class: 'health-grid' });
    for (const ins of INSTRUMENTS) {
      const canvas = el('canvas', { role: 'img', 'aria-label': `${ins.title} per layer over steps` });
      grid.append(
        el(
          'figure',
          { class: 'instrument', id: `health-${ins.id}` },
          el('figcaption', { text: ins.title }),
          el('p', { class: 'explain', text: ins.help }),
          el('div', { class: 'chart chart-small' }, canvas),
        ),
      );
      const chart = lineChart(canvas, { yLog: ins.log, xTitle: 'step', yTitle: ins.axis, legend: ins.id === 'grad-norm' });
      if (ins.id === 'cosine') Object.assign((chart.options as any).scales.y, { min: -1, max: 1 });
      if (ins.id === 'dead') Object.assign((chart.options as any).scales.y, { min: 0, max: 1 });
      this.charts.push(chart);
    }
    this.root = card('health', grid);
  }

  update(s: ReadonlySnapshot): void {
    const p = palette();
    const layers = s.run?.layers.filter((l) => l.params.length > 0) ?? [];
    this.layers = layers.length;
    INSTRUMENTS.forEach((ins, k) => {
      const datasets = layers.flatMap((layer, j) => {
        const color = p.series[j % p.series.length];
        const pick = (f: (l: DeepReadonly<LayerPoint>) => number | null, edge: string): XY[] => {
          const id = `${ins.id}:${layer.index}:${edge}`;
          const line = this.lines.get(id) ?? new Decimator<DeepReadonly<StepPoint>>(64);
          this.lines.set(id, line);
          return line.series(s.history, (h) => {
            const lp = h.layers.find((x) => x.layer === layer.index);
            const v = lp ? f(lp) : null;
            return v !== null && (!ins.log || v > 0) ? { x: h.step, y: v } : null;
          });
        };
        const main = series(`layers[${layer.index}] ${layer.type}`, pick(ins.value, 'value'), color);
        if (!ins.band) return [main];
        const [lo, hi] = ins.band;
        return [
          main,
          series(`layers[${layer.index}] min`, pick(lo, 'min'), color, { borderWidth: 0, fill: false, pointRadius: 0 }),
          series(`layers[${layer.index}] max`, pick(hi, 'max'), color, { borderWidth: 0, fill: '-1', pointRadius: 0 }),
        ];
      });
      setDatasets(this.charts[k], datasets);
    });
  }

  retheme(): void {
    for (const c of this.charts) themeChart(c);
  }
}
