// The panel's result cards in the real webview bundle in headless Chromium, after the message
// sequence of a real training run (recorded in this process from the real engine on the real
// digits): the batch-size comparison, the step-through of a batch and Repeat One Example with
// their real results, and the whole panel at 480 and 1200 px in both themes. PNGs go to test-results/.

import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { HostMessage } from '../../src/protocol';
import { recordRun } from './record';
import { openReadyPanel, preparePage, deliver, fmt, resultsDir, root } from './harness';
import { Trainer } from '../../src/engine';
import { compareBatchSizes } from '../../src/engine/compare';
import { walkThroughBatch } from '../../src/engine/walkthrough';
import { repeatOneExample } from '../../src/engine/repeat';
import { loadDataset } from '../../src/data/load';

let browser: Browser;
let server: { url: string; close(): Promise<void> };
let messages: HostMessage[];
let page: Page;

const shot = (name: string): string => path.join(resultsDir, name);
const runSpec = () =>
  (messages.find((m) => m.type === 'snapshot' && m.snapshot.run) as Extract<HostMessage, { type: 'snapshot' }>).snapshot.run!
    .spec;
/** The run's own training and validation sets, loaded as the run loaded them. */
const runData = () => {
  const spec = runSpec();
  return loadDataset(spec.data, { dataPath: null, labelsPath: null, mediaDir: path.join(root, 'media'), seed: spec.seed });
};

before(async () => {
  mkdirSync(resultsDir, { recursive: true });
  ({ messages } = await recordRun('examples/digits/digits.gradlens.json', { epochs: 3 }));
  ({ browser, server, page } = await openReadyPanel('dark'));
  await deliver(page, messages);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('the batch-size comparison and the step-through of a batch render their real results', async () => {
  const spec = runSpec();
  const { train, validation } = await runData();
  const compare = compareBatchSizes({ spec, train, validation, batchSizes: [1, 32, 'full'], examples: 1600, sweepExamples: 400 });
  const trainer = new Trainer({ spec, train, validation: null });
  trainer.trainStep();
  const walk = walkThroughBatch({
    spec,
    train,
    indices: trainer.lastBatchInputs().indices.slice(0, 8),
    weights: trainer.getWeights(),
    selection: { layer: 0, kind: 'weight', index: (14 * 28 + 14) * 128 + 5 },
  });
  await deliver(page, [{ type: 'compare', result: compare }]);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'compare', 'the new comparison takes the focus');
  await deliver(page, [{ type: 'walkthrough', result: walk }]);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'walkthrough', 'the step-through takes the focus');
  assert.ok(
    await page.evaluate(() => {
      const r = document.getElementById('walkthrough')!.getBoundingClientRect();
      return r.top >= document.querySelector('.top')!.getBoundingClientRect().bottom && r.top < window.innerHeight;
    }),
    'and is scrolled into view, below the sticky toolbar',
  );

  const lens = await page.evaluate(() =>
    (window as any).__gradientLens.charts.compare[0].data.datasets.map((d: any) => d.data.length),
  );
  assert.deepEqual(
    lens,
    compare.runs.flatMap((r) => [r.points.filter((p) => p.smoothedLoss > 0).length, r.checkpoints.length]),
  );
  assert.equal(await page.locator('#compare .summary').innerText(), compare.summary);
  const rows = await page.locator('#compare tbody tr').allInnerTexts();
  compare.runs.forEach((r, i) => {
    assert.ok(rows[i].includes(String(r.learningRate)), `the rate of M = ${r.batchSize} is shown: ${rows[i]}`);
    assert.ok(rows[i].includes(`${(100 * r.validation!.accuracy).toFixed(1)}%`), rows[i]);
  });
  assert.match(rows[0], /n\/a/, 'M = 1 has no noise scale');
  assert.match(await page.locator('#compare').innerText(), /n\/a \(noise scale, M = 1\): it needs at least 2 examples/);
  assert.match(await page.locator('#compare').innerText(), /a short sweep \(5 rates\), chosen by validation loss/);
  await page.locator('#compare [data-axis="updates"]').click();
  assert.equal(
    await page.evaluate(() => (window as any).__gradientLens.charts.compare[0].options.scales.x.title.text),
    'updates',
  );
  await page.locator('#compare [data-axis="examplesSeen"]').click();
  await page.locator('#compare').screenshot({ path: shot('webview-compare.png') });

  assert.match(
    await page.locator('#walkthrough .formula').innerText(),
    /Example 1 \(#\d+\): forward pass → label \d, predicted \d/,
  );
  for (let i = 0; i < 3; i++) await page.locator('[data-walk="next"]').click();
  const text = await page.locator('#walkthrough .formula').innerText();
  assert.match(text, /running sum Σ = .*running average Σ\/4/);
  assert.match(text, /θ is still/);
  const bars = await page.evaluate(
    () => (window as any).__gradientLens.charts.walkthrough.data.datasets[0].data.filter((v: unknown) => v !== null).length,
  );
  assert.equal(bars, 4);
  await page.locator('[data-walk="all"]').click();
  assert.match(await page.locator('#walkthrough .formula').innerText(), /All 8 examples were back-propagated, one at a time/);
  await page.locator('#walkthrough').screenshot({ path: shot('webview-walkthrough.png') });
});

test('Repeat One Example renders its real result, scrolls into view and takes the focus', async () => {
  const spec = runSpec();
  const { train, validation } = await runData();
  const result = repeatOneExample({ spec, train, validation, example: 0, times: 40 });
  await deliver(page, [{ type: 'repeat', result }]);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'repeat');
  assert.equal(await page.locator('#repeat .summary').innerText(), result.conclusion);
  const lens = await page.evaluate(() =>
    (window as any).__gradientLens.charts.repeat[0].data.datasets.map((d: any) => d.data.length),
  );
  assert.equal(lens[0], result.series.length);
  assert.match(
    await page.locator('#repeat tbody').innerText(),
    new RegExp(`validation loss\\s+${fmt(result.finalValidationLoss!)}\\s+${fmt(result.baselineValidationLoss!)}`),
  );
  assert.match(await page.locator('#answers').innerText(), new RegExp(`Repeating example #0 ${result.updates} times`));
  await page.locator('#repeat').screenshot({ path: shot('webview-repeat.png') });
});

for (const width of [480, 1200]) {
  for (const theme of ['dark', 'light'] as const) {
    test(`at ${width} px in the ${theme} theme nothing is cut off (screenshot)`, async () => {
      const p = await browser.newPage({ viewport: { width, height: 900 } });
      await preparePage(p, theme);
      await p.goto(server.url);
      await p.waitForFunction(() => (window as any).__posted?.some((m: any) => m.type === 'ready'));
      await deliver(p, messages);
      const { train, validation } = await runData();
      await deliver(p, [
        { type: 'repeat', result: repeatOneExample({ spec: runSpec(), train, validation, example: 3, times: 30 }) },
      ]);
      const overflow = await p.evaluate(() => {
        const bad: string[] = [];
        if (document.documentElement.scrollWidth > window.innerWidth) bad.push(`page ${document.documentElement.scrollWidth}`);
        for (const e of document.querySelectorAll<HTMLElement>(
          '.formula, .summary, .explain, .legend, .note, .card h2, .answer',
        )) {
          if (e.offsetParent && e.scrollWidth > e.clientWidth + 1)
            bad.push(`${e.closest('section')?.id}: ${e.className} ${e.scrollWidth} > ${e.clientWidth}`);
        }
        return bad;
      });
      assert.deepEqual(overflow, []);
      await p.screenshot({ path: shot(`webview-panel-${width}-${theme}.png`), fullPage: true });
      if (width === 480) {
        for (const id of ['answers', 'per-example', 'compare', 'repeat']) {
          if (await p.locator(`#${id}`).isVisible())
            await p.locator(`#${id}`).screenshot({ path: shot(`webview-${id}-480-${theme}.png`) });
        }
      }
      assert.deepEqual(await p.evaluate(() => (window as any).__violations), []);
      await p.close();
    });
  }
}
