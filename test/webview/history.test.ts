// A long run in the real panel: 100,000 history points (real step points of a recorded digits run,
// renumbered, with one spike and one dip) delivered as the host delivers them. The loss chart must
// draw a bounded number of points that still holds the history's first, last, lowest and highest
// loss, say that it is decimated, and keep doing so as live steps arrive. Read in the page from the
// chart's own data; nothing here is timed.

import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { HostMessage } from '../../src/protocol';
import { recordRun } from './record';
import { openReadyPanel, deliver } from './harness';

const POINTS = 100_000;
const SPIKE = 31_337;
const DIP = 77_777;

let browser: Browser;
let server: { url: string; close(): Promise<void> };
let page: Page;

// In the page (a string: tsx adds helpers the page lacks). Step i+1's loss falls with i, except the spike and the dip.
const MAKE = `window.__history = {
  point(real, i) {
    const loss = i + 1 === ${SPIKE} ? 40 : i + 1 === ${DIP} ? 0.0001 : 0.05 + 2 * Math.exp(-i / 20000) + 0.1 * Math.abs(Math.sin(i));
    return Object.assign(structuredClone(real[i % real.length]), { step: i + 1, epoch: Math.floor(i / 25), loss });
  },
  send(real, from, to) {
    for (let i = from; i < to; i += 1000) {
      const points = [];
      for (let k = i; k < Math.min(to, i + 1000); k++) points.push(this.point(real, k));
      window.postMessage({ type: 'steps', points }, '*');
    }
  },
};`;

/** What the panel holds and what its loss chart draws, read in the page. */
const READ = `(() => {
  const g = window.__gradientLens;
  const losses = g.snapshot.history.map((h) => h.loss);
  const drawn = g.charts.loss.data.datasets[0].data;
  const ys = drawn.map((p) => p.y);
  let lo = Infinity, hi = -Infinity;
  for (const y of losses) { if (y < lo) lo = y; if (y > hi) hi = y; }
  const note = document.querySelector('#loss .chart-note');
  return {
    held: losses.length,
    heldMin: lo,
    heldMax: hi,
    firstStep: g.snapshot.history[0].step,
    lastStep: g.snapshot.history[g.snapshot.history.length - 1].step,
    drawn: drawn.length,
    drawnMin: Math.min(...ys),
    drawnMax: Math.max(...ys),
    drawnFirst: drawn[0],
    drawnLast: drawn[drawn.length - 1],
    increasing: drawn.every((p, i) => i === 0 || p.x > drawn[i - 1].x),
    note: note && !note.hidden ? note.textContent : null,
    healthDrawn: g.charts.health.map((c) => Math.max(0, ...c.data.datasets.map((d) => d.data.length))),
  };
})()`;

before(async () => {
  const { messages } = await recordRun('examples/digits/digits.gradlens.json', { epochs: 1, limit: 300 });
  const loaded = messages.find((m) => m.type === 'snapshot' && m.snapshot.run) as Extract<HostMessage, { type: 'snapshot' }>;
  const real = messages.flatMap((m) => (m.type === 'steps' ? m.points : []));
  ({ browser, server, page } = await openReadyPanel('dark'));
  const snapshot = {
    ...loaded.snapshot,
    history: [],
    limits: { ...loaded.snapshot.limits, historyLength: POINTS, histogramsPerLayer: 100 },
  };
  await deliver(page, [{ type: 'snapshot', snapshot }]);
  await page.evaluate(MAKE);
  await page.evaluate(
    `window.__history.real = ${JSON.stringify(real)}; window.__history.send(window.__history.real, 0, ${POINTS})`,
  );
  await page.waitForFunction(`window.__gradientLens.snapshot.history.length === ${POINTS}`);
  await deliver(page, []);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

type Read = {
  held: number;
  heldMin: number;
  heldMax: number;
  firstStep: number;
  lastStep: number;
  drawn: number;
  drawnMin: number;
  drawnMax: number;
  drawnFirst: { x: number; y: number };
  drawnLast: { x: number; y: number };
  increasing: boolean;
  note: string | null;
  healthDrawn: number[];
};

test('the loss chart of 100,000 steps draws a bounded number of points that keeps the first, the last, the lowest and the highest loss', async () => {
  const r = (await page.evaluate(READ)) as Read;
  assert.equal(r.held, POINTS, 'the panel holds the whole history (its cap is 100,000)');
  assert.ok(r.drawn <= 1200, `${r.drawn} points drawn for ${r.held}`);
  assert.ok(r.drawn >= 300, `${r.drawn} points drawn: too few to show the curve`);
  assert.equal(r.heldMax, 40, 'the spike is in the history');
  assert.equal(r.heldMin, 0.0001, 'the dip is in the history');
  assert.equal(r.drawnMax, r.heldMax, 'the spike is drawn');
  assert.equal(r.drawnMin, r.heldMin, 'the dip is drawn');
  assert.deepEqual([r.drawnFirst.x, r.drawnLast.x], [r.firstStep, r.lastStep]);
  assert.ok(r.increasing, 'drawn in step order');
  assert.match(r.note ?? '', /100,000 steps drawn as [\d,]+ points/);
  assert.ok(
    r.healthDrawn.every((n) => n > 0 && n <= 256),
    `health lines of ${r.healthDrawn.join(', ')} points`,
  );
});

test('live steps after the long history keep the chart bounded and its newest point exact', async () => {
  await page.evaluate(`window.__history.send(window.__history.real, ${POINTS}, ${POINTS + 500})`);
  await page.waitForFunction(`window.__gradientLens.snapshot.history.at(-1).step === ${POINTS + 500}`);
  await deliver(page, []);
  const r = (await page.evaluate(READ)) as Read;
  assert.ok(r.held <= POINTS, 'the cap holds');
  assert.ok(r.drawn <= 1200, `${r.drawn} points drawn`);
  assert.equal(r.drawnLast.x, POINTS + 500);
  assert.equal(r.drawnMax, r.heldMax);
  assert.equal(r.drawnMin, r.heldMin);
});
