// chart.js set up for live data, following what keeps it fast and CSP-clean: no animation, no
// parsing (data arrives as {x, y}), zero-radius points, and charts that are created once and
// updated with update('none'). Series drawn from the history come bounded already (webview/decimate.ts);
// chart.js's own min-max decimation stays on for any other long series.

import {
  Chart,
  LineController,
  LineElement,
  PointElement,
  LinearScale,
  LogarithmicScale,
  BarController,
  BarElement,
  CategoryScale,
  Tooltip,
  Legend,
  Decimation,
  Filler,
  type ChartConfiguration,
  type ChartDataset,
} from 'chart.js';
import { palette, withAlpha } from './theme';
import { num } from './format';

// Only what the views draw with: the chart types, then the scales and plugins.
Chart.register(LineController, LineElement, PointElement, BarController, BarElement);
Chart.register(LinearScale, LogarithmicScale, CategoryScale, Tooltip, Legend, Decimation, Filler);

export type XY = { x: number; y: number };

export function lineChart(
  canvas: HTMLCanvasElement,
  opts: { yLog?: boolean; xTitle: string; yTitle: string; legend?: boolean },
): Chart<'line', XY[]> {
  const config: ChartConfiguration<'line', XY[]> = {
    type: 'line',
    data: { datasets: [] },
    options: {
      animation: false,
      parsing: false,
      normalized: true,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      elements: { point: { radius: 0, hitRadius: 6 }, line: { borderWidth: 1.5 } },
      scales: {
        x: { type: 'linear', title: { display: true, text: opts.xTitle } },
        y: {
          type: opts.yLog ? 'logarithmic' : 'linear',
          title: { display: true, text: opts.yTitle },
          ticks: { callback: (v) => num(Number(v), 2), maxTicksLimit: 6 },
        },
      },
      plugins: {
        legend: { display: opts.legend ?? true, labels: { boxWidth: 10, boxHeight: 10 } },
        decimation: { enabled: true, algorithm: 'min-max' },
        tooltip: { callbacks: {} },
      },
    },
  };
  const chart = new Chart(canvas, config);
  themeChart(chart);
  watchVisibility(chart);
  return chart;
}

// Charts scrolled out of sight (or in a hidden card) take their new data but are not laid out and
// drawn until they come into sight: with a dozen charts in the panel, most frames would otherwise
// go to charts nobody sees.
const outOfSight = new WeakSet<Chart>();
const stale = new WeakSet<Chart>();
const chartOf = new WeakMap<Element, Chart>();
let sight: IntersectionObserver | undefined;

function watchVisibility(chart: Chart): void {
  if (typeof IntersectionObserver === 'undefined') return;
  sight ??= new IntersectionObserver((entries) => {
    for (const e of entries) {
      const c = chartOf.get(e.target);
      if (!c) continue;
      if (!e.isIntersecting) outOfSight.add(c);
      else {
        outOfSight.delete(c);
        if (stale.has(c)) {
          stale.delete(c);
          c.update('none');
        }
      }
    }
  });
  chartOf.set(chart.canvas, chart);
  sight.observe(chart.canvas);
}

/** Redraws a chart without animation now, or once it comes into sight. */
export function redraw(chart: Chart): void {
  if (outOfSight.has(chart)) stale.add(chart);
  else chart.update('none');
}

/** Re-read the theme colours into a chart's scales and legend (called on theme change). */
export function themeChart(chart: Chart): void {
  const p = palette();
  // Set single properties: spreading chart.js's option proxies copies internal symbol keys.
  const o = chart.options as any;
  const sub = (obj: any, key: string): any => (obj[key] ??= {});
  for (const id of Object.keys(o.scales ?? {})) {
    const axis = o.scales[id];
    sub(axis, 'ticks').color = p.muted;
    sub(axis, 'grid').color = withAlpha(p.grid, 0.5);
    sub(axis, 'border').color = p.grid;
    sub(axis, 'title').color = p.muted;
  }
  if (o.plugins?.legend) sub(o.plugins.legend, 'labels').color = p.foreground;
  chart.update('none');
}

export function series(
  label: string,
  data: XY[],
  color: string,
  extra: Partial<ChartDataset<'line', XY[]>> = {},
): ChartDataset<'line', XY[]> {
  return { label, data, borderColor: color, backgroundColor: withAlpha(color, 0.15), indexAxis: 'x', ...extra } as ChartDataset<
    'line',
    XY[]
  >;
}

/**
 * Gives a chart its datasets and redraws without animation. When the labels are those it has, the
 * dataset objects are kept and given the new values (chart.js keeps its per-dataset state), else
 * they are replaced; the chart object itself is always kept (no leak).
 */
export function setDatasets(chart: Chart<'line', XY[]>, datasets: ChartDataset<'line', XY[]>[]): void {
  const now = chart.data.datasets;
  if (now.length === datasets.length && now.every((d, i) => d.label === datasets[i].label))
    now.forEach((d, i) => Object.assign(d, datasets[i]));
  else chart.data.datasets = datasets;
  redraw(chart);
}

/** The per-example bar chart of a batch (gᵢ of one parameter per example): the base of its options. */
export function perExampleBarOptions(xTitle: string) {
  return {
    animation: false as const,
    responsive: true,
    maintainAspectRatio: false,
    scales: { x: { title: { display: true, text: xTitle } }, y: { title: { display: true, text: '∂Lᵢ/∂θ' } } },
  };
}
