// The sweep's plot: chart.js (the webview's own charting library) drawn in headless Chromium (the
// browser the webview tests run in), no network: the page and the library are handed over inline.
// One column per swept axis (batch size, width, depth), log scales; top row samples/s of ours and
// PyTorch's (each at its better thread setting) and ours with the full statistics, bottom row the
// ratio ours / PyTorch (wall clock at each one's better thread setting, and CPU time per step on
// one thread each, which a loaded machine disturbs less) with the line where they are even.

import { readFileSync, renameSync } from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import type { SweepResult } from './sweep';
import { log } from './timing';

const AXIS_TITLE = {
  batch: 'batch size (width 256, depth 2)',
  width: 'width (batch 32, depth 2)',
  depth: 'depth (batch 32, width 256)',
};
const OURS = '#1f5fbf',
  TORCH = '#d9480f',
  STATS = '#6f9fe6';

/** The chart.js configurations of the six panels (plain data: they are serialised into the page). */
export function panels(result: SweepResult): { id: string; config: unknown }[] {
  const out: { id: string; config: unknown }[] = [];
  const axes = ['batch', 'width', 'depth'] as const;
  const scale = (title: string, type: 'logarithmic' | 'linear', extra: object = {}) => ({
    type,
    title: { display: true, text: title, font: { size: 14 } },
    ticks: { font: { size: 12 } },
    ...extra,
  });
  const logLogOptions = (xTitle: string, yTitle: string, xTicks: object) => ({
    animation: false,
    responsive: false,
    plugins: { legend: { labels: { font: { size: 12 }, boxWidth: 24 } } },
    scales: { x: scale(xTitle, 'logarithmic', xTicks), y: scale(yTitle, 'logarithmic') },
  });
  for (const axis of axes) {
    const pts = result.points.filter((p) => p.axis === axis);
    const xy = (f: (p: (typeof pts)[number]) => number | null) =>
      pts.map((p) => ({ x: p.value, y: f(p) })).filter((d) => d.y !== null && d.y > 0);
    // ticks exactly at the swept values (a log axis would put them at 1, 2, 3, ... 10, 20, ...)
    const xTicks = {
      afterBuildTicks: `TICKS:${pts.map((p) => p.value).join(',')}`,
      ticks: { font: { size: 12 }, callback: 'LABEL' },
    };
    const line = (label: string, color: string, data: unknown, dash: number[] = []) => ({
      label,
      data,
      borderColor: color,
      backgroundColor: color,
      borderDash: dash,
      borderWidth: 2.5,
      pointRadius: 3.5,
    });
    const fullStatsRate = (p: (typeof pts)[number]) => {
      const ms = p.ours.fullStats.stepMs;
      return ms > 0 ? (1000 * p.batchSize) / ms : null;
    };
    out.push({
      id: `rate-${axis}`,
      config: {
        type: 'line',
        data: {
          datasets: [
            line(
              'Gradient Lens (WASM), best of 1 and 2 threads',
              OURS,
              xy((p) => p.best.ours),
            ),
            line('Gradient Lens + all per-step statistics (1 thread)', STATS, xy(fullStatsRate), [6, 4]),
            line(
              'PyTorch 1.13 (OpenBLAS), best of 1 and 2 threads',
              TORCH,
              xy((p) => p.best.pytorch),
            ),
          ],
        },
        options: logLogOptions(AXIS_TITLE[axis], 'training samples / s (log)', xTicks),
      },
    });
    out.push({
      id: `ratio-${axis}`,
      config: {
        type: 'line',
        data: {
          datasets: [
            line(
              'ours / PyTorch, wall clock, best threads',
              OURS,
              xy((p) => p.oursOverPytorch),
            ),
            line(
              'ours / PyTorch, 1 thread each, CPU time',
              '#2b8a3e',
              xy((p) => p.oursOverPytorchOneThreadCpu),
              [6, 4],
            ),
            {
              ...line(
                'even',
                '#888888',
                xy((p) => (p.oursOverPytorch === null ? null : 1)),
                [3, 3],
              ),
              pointRadius: 0,
            },
          ],
        },
        options: logLogOptions(AXIS_TITLE[axis], 'ours / PyTorch speed (>1: ours faster)', xTicks),
      },
    });
  }
  return out;
}

function page(result: SweepResult): string {
  const m = result.machine;
  const title = 'Training step throughput as the MLP grows: Gradient Lens (WASM) vs PyTorch CPU';
  const sub =
    `784 → width × depth → 26 ReLU MLP on real digits, SGD, same initial weights (first-batch losses ${result.allFirstBatchLossesAgree ? 'agree at every point' : 'DISAGREE at some point'}); ` +
    `${m.cpus}-core ${m.cpuModel}, Node ${m.node}, PyTorch ${result.pytorchSetup.version ?? '?'} on ${result.pytorchSetup.fair ? 'OpenBLAS' : 'the reference BLAS (unfair)'}, load average ${m.loadAverage1m}`;
  const cells = ['batch', 'width', 'depth']
    .flatMap((a) => [`rate-${a}`, `ratio-${a}`])
    .map((id) => `<canvas id="${id}" width="520" height="${id.startsWith('rate') ? 430 : 300}"></canvas>`);
  // column-major cells into a 3-column grid: rates on the first row, ratios on the second
  const grid = [0, 2, 4, 1, 3, 5].map((i) => cells[i]).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><style>
    body { margin: 0; background: #fff; font-family: 'DejaVu Sans', Arial, sans-serif; color: #222; }
    #plot { padding: 16px 20px; width: fit-content; }
    h1 { font-size: 20px; margin: 0 0 4px; } p { font-size: 13px; margin: 0 0 10px; color: #444; max-width: 1580px; }
    .grid { display: grid; grid-template-columns: repeat(3, 520px); gap: 8px 16px; }
  </style></head><body><div id="plot"><h1>${title}</h1><p>${sub}</p><div class="grid">${grid}</div></div></body></html>`;
}

/** Renders the plot into `file` (a PNG, written atomically). */
export async function plotSweep(result: SweepResult, file: string): Promise<void> {
  log(`plot ${path.relative(process.cwd(), file)} (chart.js in headless Chromium)`);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_BIN || '/usr/lib/chromium/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run'],
  });
  try {
    const tab = await browser.newPage({ viewport: { width: 1640, height: 900 }, deviceScaleFactor: 1 });
    // no request leaves the page: everything it needs is inline
    await tab.route('**/*', (route) => route.abort());
    await tab.setContent(page(result));
    const chartJs = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.js');
    await tab.addScriptTag({ content: readFileSync(chartJs, 'utf8') });
    await tab.evaluate((charts) => {
      // runs in the page (the tools' tsconfig has no DOM types: the two globals it uses, typed here)
      const w = globalThis as unknown as {
        Chart: new (el: unknown, cfg: unknown) => unknown;
        document: { getElementById(id: string): unknown };
      };
      for (const { id, config } of charts) {
        // the functions the configuration cannot carry as data: the x ticks and their labels
        const c = JSON.parse(JSON.stringify(config), (_k, v) => {
          if (typeof v === 'string' && v.startsWith('TICKS:')) {
            const values = v.slice(6).split(',').map(Number);
            return (axis: { ticks: { value: number }[] }) => {
              axis.ticks = values.map((value) => ({ value }));
            };
          }
          return v === 'LABEL' ? (value: number) => String(value) : v;
        });
        new w.Chart(w.document.getElementById(id), c);
      }
    }, panels(result));
    const tmp = `${file}.${process.pid}.tmp.png`;
    await (await tab.$('#plot'))!.screenshot({ path: tmp });
    renameSync(tmp, file);
  } finally {
    await browser.close();
  }
}

// `node --import tsx bench/plotSweep.ts [docs/bench-sweep.json]`: draws the plot again from a sweep's JSON.
if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  const json = process.argv[2] ?? path.join(root, 'docs/bench-sweep.json');
  plotSweep(JSON.parse(readFileSync(json, 'utf8')) as SweepResult, path.join(root, 'docs/images/bench-sweep.png')).catch((e) => {
    process.stderr.write(`plot failed: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
