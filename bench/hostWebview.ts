// The webview half of `npm run bench:host`: the real panel page and bundle in headless Chromium
// (test/webview/harness.ts), given a run with 100,000 history points, then live step messages.
// Measured in the page: each redraw's work (see IN_PAGE), its latency, and the CPU time of the page's
// main thread over it (DevTools ThreadTime), the time to take in the whole history, the page's JS
// heap after a garbage collection, and how many points the charts draw. BENCH_REPEAT=N fresh pages
// each; BENCH_PROFILE=1 prints the page's functions by self time to stderr.
// `node --import tsx bench/hostWebview.ts` prints JSON.

import { openReadyPanel, deliver } from '../test/webview/harness';
import { recordRun } from '../test/webview/record';
import type { HostMessage } from '../src/protocol';
import { loadavg } from 'node:os';

const POINTS = 100_000;
const UPDATES = 120;

// Plain JavaScript run in the page (a string: tsx would add helpers that do not exist there).
// A redraw's time is the main thread's work for one update, waits left out: the panel's message
// handler (from a capturing listener, which runs before the panel's, to a listener added after the
// panel's) plus the frame that draws it (from a frame callback registered before the panel's to the
// next task after the panel's callback, so the frame's style, layout and paint are in). The wait
// between the two, for the next frame, is not redraw work: timing from a frame callback registered
// when the message was posted counted a whole extra frame (16.7 ms) whenever that frame came before
// the message, about one update in five, and that was the p95. The latency (post to painted, the
// wait included) is reported beside it.
// Each point is a deep copy, so the heap holds what a real history holds.
const IN_PAGE = `window.__bench = {
  point(real, i) {
    return Object.assign(structuredClone(real[i % real.length]), {
      step: i + 1, epoch: Math.floor(i / 25), loss: 2.3 * Math.exp(-i / 20000) + 0.05 * Math.sin(i),
    });
  },
  drawn(message) {
    return new Promise((resolve) => {
      const posted = performance.now();
      let received = 0, handled = 0, frameStart = 0;
      const first = () => {
        window.removeEventListener('message', first, true);
        received = performance.now();
        requestAnimationFrame(() => (frameStart = performance.now()));
      };
      const after = () => {
        window.removeEventListener('message', after);
        handled = performance.now();
        requestAnimationFrame(() => {
          const channel = new MessageChannel();
          channel.port1.onmessage = () => {
            const end = performance.now();
            resolve({ redraw: handled - received + (end - frameStart), latency: end - posted });
          };
          channel.port2.postMessage(0);
        });
      };
      window.addEventListener('message', first, true);
      window.addEventListener('message', after);
      window.postMessage(message, '*');
    });
  },
  async load({ real, total }) {
    this.real = real;
    const t0 = performance.now();
    for (let i = 0; i < total; i += 1000) {
      const points = [];
      for (let k = i; k < Math.min(total, i + 1000); k++) points.push(this.point(real, k));
      window.postMessage({ type: 'steps', points }, '*');
    }
    await this.drawn({ type: 'steps', points: [this.point(real, total)] });
    return performance.now() - t0;
  },
  /** Update u: ten new steps, drawn. */
  update({ total }, u) {
    const points = [];
    for (let k = 0; k < 10; k++) points.push(this.point(this.real, total + 1 + u * 10 + k));
    return this.drawn({ type: 'steps', points });
  },
};`;

function stats(ms: number[]): { median: number; p95: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  return { median: r(s[Math.floor(s.length / 2)]), p95: r(s[Math.floor(s.length * 0.95)]), max: r(s[s.length - 1]) };
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}
/** BENCH_PROFILE=1: the page's functions by self time, to stderr. */
function printProfile(profile: CpuProfile): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    const k = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber}`;
    self.set(k, (self.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 25);
  for (const [k, us] of top) process.stderr.write(`${(us / 1000).toFixed(0).padStart(6)} ms  ${k}\n`);
}

/** In the page: what the loss chart draws and what the page holds. */
const DRAWN = `(() => {
  const g = window.__gradientLens;
  return {
    heldPoints: g.snapshot.history.length,
    lossChartPoints: g.charts.loss.data.datasets.map((d) => d.data.length),
    healthChartPoints: g.charts.health.map((c) => c.data.datasets.reduce((n, d) => n + d.data.length, 0)),
  };
})()`;

/** One measurement: a fresh page, a history of POINTS steps kept with `historyLength`, then UPDATES live updates. */
async function measure(snapshot: Extract<HostMessage, { type: 'snapshot' }>, real: unknown[], historyLength: number) {
  const { browser, server, page } = await openReadyPanel('dark');
  try {
    const empty: HostMessage = {
      ...snapshot,
      snapshot: {
        ...snapshot.snapshot,
        history: [],
        limits: { histogramsPerLayer: 100, ...snapshot.snapshot.limits, historyLength },
      },
    };
    await deliver(page, [empty]);
    // The history is made in the page (1.1 KB a point: 110 MB would not pass through page.evaluate):
    // the real points of a short real run, renumbered, with a falling loss, in messages of 1000.
    await page.evaluate(IN_PAGE);
    const args = JSON.stringify({ real, total: POINTS });
    const loadMs = Math.round((await page.evaluate(`window.__bench.load(${args})`)) as number);
    const profiler = process.env.BENCH_PROFILE ? await page.context().newCDPSession(page) : null;
    await profiler?.send('Profiler.enable');
    await profiler?.send('Profiler.start');
    // Each update's wall time in the page and the CPU time its main thread spent meanwhile (the
    // DevTools ThreadTime metric: on a loaded machine the wall time also counts waiting for a core).
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const threadMs = async () =>
      ((await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] }).metrics.find(
        (m) => m.name === 'ThreadTime',
      )!.value * 1000;
    const wall: number[] = [];
    const latency: number[] = [];
    const cpu: number[] = [];
    for (let u = 0; u < UPDATES; u++) {
      const before = await threadMs();
      const drawn = (await page.evaluate(`window.__bench.update(${args}, ${u})`)) as { redraw: number; latency: number };
      cpu.push((await threadMs()) - before);
      wall.push(drawn.redraw);
      latency.push(drawn.latency);
    }
    if (profiler) printProfile(((await profiler.send('Profiler.stop')) as { profile: CpuProfile }).profile);
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
    return {
      loadMs,
      redrawMs: stats(wall),
      redrawCpuMs: stats(cpu),
      latencyMs: stats(latency),
      heapMb: Math.round((heap.usedSize / 2 ** 20) * 10) / 10,
      ...((await page.evaluate(DRAWN)) as object),
    };
  } finally {
    await browser.close();
    await server.close();
  }
}

async function main(): Promise<void> {
  const repeat = Math.max(1, Number(process.env.BENCH_REPEAT || 1));
  const { messages } = await recordRun('examples/digits/digits.gradlens.json', { epochs: 1, limit: 300 });
  // The snapshot of the loaded run (the one before it has no network: the health card would draw nothing).
  const snapshot = messages.find((m) => m.type === 'snapshot' && m.snapshot.run) as Extract<HostMessage, { type: 'snapshot' }>;
  const real = messages.flatMap((m) => (m.type === 'steps' ? m.points : []));
  if (!snapshot || real.length === 0) throw new Error('the recorded run has no snapshot or steps');
  const result: Record<string, unknown> = {
    points: POINTS,
    updates: UPDATES,
    pointsPerUpdate: 10,
    method:
      'real panel page and bundle in headless Chromium (1200x900, software rendering): a run of 100,000 steps ' +
      'delivered in messages of 1000, then 120 updates of 10 steps. redrawMs: the wall time of the panel handling ' +
      'an update (its message handler, then the frame that draws it, style, layout and paint included; the wait ' +
      "for the frame left out); latencyMs: from posting the update to the end of that frame; redrawCpuMs: the page's " +
      'main-thread CPU time over the whole update (ThreadTime, timers and garbage collection in between included). ' +
      'Each repetition is a fresh page.',
  };
  for (const historyLength of [5000, POINTS]) {
    const runs = [];
    for (let r = 0; r < repeat; r++)
      runs.push({ loadAverage1m: Math.round(loadavg()[0] * 100) / 100, ...(await measure(snapshot, real, historyLength)) });
    result[`historyLength${historyLength}`] = runs;
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
