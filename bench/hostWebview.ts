// The webview half of `npm run bench:host`: the real panel page and bundle in headless Chromium
// (test/webview/harness.ts), given a run with 100,000 history points, then live step messages.
// Measured in the page: each redraw's time in its frame (see IN_PAGE), the time to take in the
// whole history, and the page's JS heap after a garbage collection.
// `node --import tsx bench/hostWebview.ts` prints JSON.

import { openReadyPanel, deliver } from '../test/webview/harness';
import { recordRun } from '../test/webview/record';
import type { HostMessage } from '../src/protocol';

const POINTS = 100_000;
const UPDATES = 120;

// Plain JavaScript run in the page (a string: tsx would add helpers that do not exist there).
// A redraw's time: from the start of the frame the panel draws in (a callback registered before the
// message) to the end of the panel's own callback (one registered after the panel handled the
// message, which runs right after it in the same frame): the reducer and every chart's redraw.
// Each point is a deep copy, so the heap holds what a real history holds.
const IN_PAGE = `async function ({ real, total, updates }) {
  const point = (i) => Object.assign(structuredClone(real[i % real.length]), {
    step: i + 1, epoch: Math.floor(i / 25), loss: 2.3 * Math.exp(-i / 20000) + 0.05 * Math.sin(i),
  });
  const drawn = (message) => new Promise((resolve) => {
    let start = 0;
    requestAnimationFrame(() => (start = performance.now()));
    const after = () => {
      window.removeEventListener('message', after);
      requestAnimationFrame(() => resolve(performance.now() - start));
    };
    window.addEventListener('message', after);
    window.postMessage(message, '*');
  });
  const t0 = performance.now();
  for (let i = 0; i < total; i += 1000) {
    const points = [];
    for (let k = i; k < Math.min(total, i + 1000); k++) points.push(point(k));
    window.postMessage({ type: 'steps', points }, '*');
  }
  await drawn({ type: 'steps', points: [point(total)] });
  const loadMs = performance.now() - t0;
  const times = [];
  for (let u = 0; u < updates; u++) {
    const points = [];
    for (let k = 0; k < 10; k++) points.push(point(total + 1 + u * 10 + k));
    times.push(await drawn({ type: 'steps', points }));
  }
  return { loadMs, times };
}`;

function stats(ms: number[]): { median: number; p95: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  return { median: r(s[Math.floor(s.length / 2)]), p95: r(s[Math.floor(s.length * 0.95)]), max: r(s[s.length - 1]) };
}

async function main(): Promise<void> {
  const { messages } = await recordRun('examples/digits/digits.gradlens.json', { epochs: 1, limit: 300 });
  const snapshot = messages.find((m) => m.type === 'snapshot') as Extract<HostMessage, { type: 'snapshot' }>;
  const real = messages.flatMap((m) => (m.type === 'steps' ? m.points : []));
  if (!snapshot || real.length === 0) throw new Error('the recorded run has no snapshot or steps');
  const result: Record<string, unknown> = { points: POINTS, updates: UPDATES };
  for (const historyLength of [5000, POINTS]) {
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
      const measured = (await page.evaluate(`(${IN_PAGE})(${JSON.stringify({ real, total: POINTS, updates: UPDATES })})`)) as {
        loadMs: number;
        times: number[];
      };
      const frames = measured.times;
      const firstDrawMs = Math.round(measured.loadMs);
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('HeapProfiler.collectGarbage');
      const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
      const heapMb = Math.round((heap.usedSize / 2 ** 20) * 10) / 10;
      const held = await page.evaluate(
        () =>
          (window as unknown as { __gradientLens: { snapshot: { history: unknown[] } } }).__gradientLens.snapshot.history.length,
      );
      result[`historyLength${historyLength}`] = { heldPoints: held, loadMs: firstDrawMs, redrawMs: stats(frames), heapMb };
    } finally {
      await browser.close();
      await server.close();
    }
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
