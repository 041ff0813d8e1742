// The real webview bundle in headless Chromium, fed the message sequence of a real training run
// (recorded in this process from the real engine on the real digits). Asserts what the charts hold
// and what the DOM shows, and saves a PNG of every view under test-results/.

import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { HostMessage, StepDetail, StepPoint } from '../../src/protocol';
import { recordRun, type LastStep } from './record';
import { batchOfOneGradients, engineGradient } from '../unit/oracles/batchOfOne';
import { openReadyPanel, preparePage, posted, deliver, fmt, resultsDir, THEMES, root } from './harness';
import { gradientCheck } from '../../src/engine';
import { loadDataset } from '../../src/data/load';

let browser: Browser;
let server: { url: string; close(): Promise<void> };
let messages: HostMessage[];
let page: Page;
let last: LastStep;

const stepsIn = (ms: HostMessage[]): StepPoint[] => ms.flatMap((m) => (m.type === 'steps' ? m.points : []));
const lastDetail = (ms: HostMessage[]): StepDetail =>
  ms
    .filter((m) => m.type === 'detail')
    .map((m) => (m as { detail: StepDetail }).detail)
    .pop()!;
const runSpec = () =>
  (messages.find((m) => m.type === 'snapshot' && m.snapshot.run) as Extract<HostMessage, { type: 'snapshot' }>).snapshot.run!
    .spec;
const shot = (name: string): string => path.join(resultsDir, name);
before(async () => {
  mkdirSync(resultsDir, { recursive: true });
  ({ messages, lastStep: last } = await recordRun('examples/digits/digits.gradlens.json', { epochs: 3 }));
  ({ browser, server, page } = await openReadyPanel('dark'));
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('the page says ready first, and only then receives the run', async () => {
  const p = await posted(page);
  assert.equal(p[0]?.type === 'ready' || p.find((m) => m.type === 'ready') !== undefined, true);
  assert.ok(messages.length > 10, `recorded ${messages.length} messages`);
  await deliver(page, messages);
});

test('the loss chart holds every step of the run and one point per epoch', async () => {
  const steps = stepsIn(messages);
  const data = await page.evaluate(() => {
    const c = (window as any).__gradientLens.charts.loss;
    return c.data.datasets.map((d: any) => d.data.length);
  });
  assert.equal(data[0], steps.length);
  assert.equal(data[1], 3, 'training loss per epoch');
  assert.equal(data[2], 3, 'validation loss per epoch');
  const firstLoss = await page.evaluate(() => (window as any).__gradientLens.charts.loss.data.datasets[0].data[0].y);
  assert.equal(firstLoss, steps[0].loss);
  await page.locator('#loss').screenshot({ path: shot('webview-loss.png') });
});

test('a rendered summary reports what was drawn', async () => {
  const detail = lastDetail(messages);
  const rendered = (await posted(page)).filter((m) => m.type === 'rendered').pop();
  assert.equal(rendered.summary.lossPoints, stepsIn(messages).length);
  assert.equal(rendered.summary.epochPoints, 3);
  assert.equal(rendered.summary.heatmapCells, detail.heatmap!.values.length);
  assert.equal(rendered.summary.perExampleBars, detail.perExample!.perExample.length);
  assert.equal(rendered.summary.healthLayers, 3);
  assert.equal(rendered.summary.state, 'finished');
});

test('per-example bars, the mean and the formula show what the engine and a float64 step compute for the last batch', async () => {
  const d = lastDetail(messages).perExample!;
  const { trainer, train, weightsBefore, firstMomentBefore } = last;
  const spec = runSpec();
  const sel = d.selection;
  const name = `layers[${sel.layer}].${sel.kind}`;
  const indices = trainer.lastBatchInputs().indices;
  assert.equal(lastDetail(messages).step, trainer.step, 'the last detail is of the last step');
  assert.deepEqual(
    lastDetail(messages).examples.map((e) => e.index),
    indices,
  );
  // Each bar against its example's own backward pass (a fresh float64 network at the weights before
  // the step), the mean line against a batch backward pass: never against the message's own array.
  const own = batchOfOneGradients(spec, train, weightsBefore, indices, sel);
  const G = engineGradient(spec, train, weightsBefore, indices, sel);
  const scale = Math.max(...own.map(Math.abs));
  assert.ok(new Set(own).size > 1, 'the examples pull differently on this weight, so a bar in the wrong place shows');
  const bars = await page.evaluate(() => (window as any).__gradientLens.charts.perExample.data.datasets.map((x: any) => x.data));
  assert.equal(bars[0].length, own.length, 'one bar per example');
  bars[0].forEach((v: number, i: number) =>
    assert.ok(Math.abs(v - own[i]) <= 1e-4 * scale, `bar ${i}: ${v}, its own pass ${own[i]}`),
  );
  bars[1].forEach((v: number) => assert.ok(Math.abs(v - G) <= 1e-4 * scale, `mean line ${v}, batch backward ${G}`));
  const text = await page.locator('#per-example .formula').innerText();
  assert.match(text, /G = \(1\/M\) · Σᵢ ∂Lᵢ\/∂θ/);
  assert.ok(text.includes(`(1/${own.length})`), text);
  // The file sets momentum 0.9: the card shows the velocity and θ ← θ − γ·v, never "Plain SGD".
  assert.match(text, /Velocity: v ← μ · v \+ G/);
  assert.match(text, /θ ← θ − γ · v/);
  assert.doesNotMatch(await page.locator('#per-example').innerText(), /Plain SGD/);
  // The numbers in the formula, read off the page, against a float64 momentum step from the weights
  // and velocity before the step: v = μ·v₀ + G, θ = θ₀ − γ·v.
  const mu = spec.optimizer.momentum;
  const lr = spec.optimizer.learningRate;
  const theta0 = weightsBefore.find((w) => w.name === name)!.value[sel.index];
  const v0 = firstMomentBefore.get(name)![sel.index];
  const v = mu * v0 + G;
  const theta = theta0 - lr * v;
  const n = String.raw`\(?(−?[0-9.]+(?:e[−+]?\d+)?)\)?`;
  const read = (re: RegExp): number[] => {
    const m = re.exec(text);
    assert.ok(m, `no line like ${re} in:\n${text}`);
    return m.slice(1).map((x) => Number(x.replace(/−/g, '-')));
  };
  const [muShown, v0Shown, gShown, vShown] = read(new RegExp(`v = ${n} · ${n} \\+ ${n} = ${n}`));
  const [afterShown, beforeShown, lrShown, vUsed] = read(new RegExp(`${n} ← ${n} − ${n} · ${n}\n`));
  const near = (shown: number, expected: number, what: string, tol = 2e-3) =>
    assert.ok(
      Math.abs(shown - expected) <= tol * Math.max(Math.abs(expected), 1e-3 * scale),
      `${what}: the page shows ${shown}, the float64 step says ${expected}`,
    );
  assert.deepEqual([muShown, lrShown], [mu, lr]);
  near(v0Shown, v0, 'v before');
  near(gShown, G, 'G');
  near(vShown, v, 'v after');
  near(vUsed, v, 'the v θ moves by');
  near(beforeShown, theta0, 'θ before', 1e-4);
  near(afterShown, theta, 'θ after', 1e-4);
  await page
    .locator('#per-example canvas')
    .first()
    .hover({ position: { x: 120, y: 100 } });
  assert.match(await page.locator('.example-text').innerText(), /label \d, predicted \d, loss/);
  await page.locator('#per-example').screenshot({ path: shot('webview-per-example.png') });
});

test('clicking a heatmap cell selects exactly the parameter that cell shows', async () => {
  const h = lastDetail(messages).heatmap!;
  const box = (await page.locator('canvas.heatmap').boundingBox())!;
  const col = 3,
    row = 2;
  await page.evaluate(() => document.querySelector('canvas.heatmap')!.scrollIntoView({ block: 'center' }));
  const box2 = (await page.locator('canvas.heatmap').boundingBox())!;
  Object.assign(box, box2);
  await page.mouse.click(box.x + (col + 0.5) * (box.width / h.cellCols), box.y + (row + 0.5) * (box.height / h.cellRows));
  const sel = (await posted(page)).filter((m) => m.type === 'select').pop();
  assert.deepEqual(sel.selection, { layer: h.layer, kind: h.kind, index: h.indices[row * h.cellCols + col] });
  await page.locator('#heatmap').screenshot({ path: shot('webview-heatmap.png') });
});

test('the heatmap is usable from the keyboard', async () => {
  const h = lastDetail(messages).heatmap!;
  await page.locator('canvas.heatmap').focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  const sel = (await posted(page)).filter((m) => m.type === 'select').pop();
  assert.equal(sel.selection.index, h.indices[3 * h.cellCols + 3]);
  await page.locator('.segment[data-mode="weight"]').click();
  const asked = (await posted(page)).filter((m) => m.type === 'heatmapMode').pop();
  assert.deepEqual({ ...asked, id: typeof asked.id }, { type: 'heatmapMode', mode: 'weight', id: 'number' });
  // The mode is the host's: the panel shows it once the host says so.
  assert.equal(await page.locator('.segment[data-mode="weight"]').getAttribute('aria-pressed'), 'false');
  await deliver(page, [
    { type: 'response', id: asked.id, ok: true },
    { type: 'view', selection: sel.selection, heatmapMode: 'weight' },
  ]);
  assert.equal(await page.locator('.segment[data-mode="weight"]').getAttribute('aria-pressed'), 'true');
});

test('health instruments have a series per layer and histograms a strip per layer', async () => {
  const counts = await page.evaluate(() => (window as any).__gradientLens.charts.health.map((c: any) => c.data.datasets.length));
  assert.deepEqual(counts, [3, 3, 9, 3, 3, 3]);
  const gradNorms = await page.evaluate(() => (window as any).__gradientLens.charts.health[0].data.datasets[0].data.length);
  assert.equal(gradNorms, stepsIn(messages).length);
  assert.equal(await page.locator('canvas.strip').count(), 3);
  await page.locator('#health').screenshot({ path: shot('webview-health.png') });
  await page.locator('#histograms').screenshot({ path: shot('webview-histograms.png') });
});

test('toolbar buttons follow the state and send commands with request ids', async () => {
  assert.equal(await page.locator('button[data-command="pause"]').isDisabled(), true, 'nothing to pause after the run finished');
  await page.locator('button[data-command="train"]').click();
  const cmd = (await posted(page)).filter((m) => m.type === 'command').pop();
  assert.equal(cmd.command, 'train');
  assert.equal(typeof cmd.id, 'number');
  await deliver(page, [{ type: 'status', status: { state: 'running', step: 80, epoch: 4 } }]);
  assert.equal(await page.locator('button[data-command="pause"]').isDisabled(), false);
  assert.equal(await page.locator('button[data-command="train"]').isDisabled(), true);
  // Every reply is matched to its request; a failure is shown, the next success clears it.
  await deliver(page, [{ type: 'response', id: cmd.id, ok: false, error: 'Gradient Lens could not start: no model file.' }]);
  assert.match(await page.locator('.alert').innerText(), /could not start: no model file/);
  await page.locator('button[data-command="pause"]').click();
  const pause = (await posted(page)).filter((m) => m.type === 'command').pop();
  await deliver(page, [{ type: 'response', id: pause.id, ok: true }]);
  assert.equal(await page.locator('.alert').isHidden(), true);
});

test('NaN in training is shown with its layer and example', async () => {
  await deliver(page, [
    {
      type: 'status',
      status: {
        state: 'paused',
        step: 81,
        epoch: 4,
        nonFinite: { layer: 1, example: 7, where: 'gradient', message: 'NaN in the gradient of layers[1]' },
      },
    },
  ]);
  assert.match(await page.locator('.alert').innerText(), /NaN in the gradient of layers\[1\] \(layer 1, example 7\)/);
  await deliver(page, [{ type: 'status', status: { state: 'finished', step: 81, epoch: 4 } }]);
  assert.equal(await page.locator('.alert').isHidden(), true);
});

test('the gradient check result appears as a table', async () => {
  const { train } = await loadDataset(
    { source: 'mnist', limit: 64, validationSplit: 0 },
    { dataPath: null, labelsPath: null, mediaDir: path.join(root, 'media'), seed: 1 },
  );
  const snap = messages.find((m) => m.type === 'snapshot' && m.snapshot.run) as Extract<HostMessage, { type: 'snapshot' }>;
  const result = gradientCheck({ ...snap.snapshot.run!.spec, dtype: 'float64' }, train);
  await deliver(page, [{ type: 'gradCheck', result }]);
  const rows = await page.locator('#gradcheck tbody tr').allInnerTexts();
  assert.equal(rows.length, result.layers.length);
  assert.ok(
    rows.every((r) => /pass/.test(r)),
    rows.join('\n'),
  );
});

test('the log-scale toggle and the step range change the loss chart', async () => {
  await page.locator('#loss-log').check();
  await page.locator('#loss-from').fill('10');
  await page.locator('#loss-to').fill('40');
  await page.locator('#loss-to').press('Enter');
  await page.locator('#loss-to').dispatchEvent('change');
  await deliver(page, []);
  const o = await page.evaluate(() => {
    const c = (window as any).__gradientLens.charts.loss;
    return {
      type: c.options.scales.y.type,
      min: c.options.scales.x.min,
      max: c.options.scales.x.max,
      n: c.data.datasets[0].data.length,
    };
  });
  assert.deepEqual(o, { type: 'logarithmic', min: 10, max: 40, n: 31 });
  await page.locator('#loss-from').fill('');
  await page.locator('#loss-to').fill('');
  await page.locator('#loss-to').dispatchEvent('change');
  await page.locator('#loss-log').uncheck();
});

test('switching the theme re-reads the colours', async () => {
  const before = await page.evaluate(() => (window as any).__gradientLens.charts.loss.options.scales.x.ticks.color);
  assert.equal(before, THEMES.dark.vars['--vscode-descriptionForeground']);
  await page.evaluate((t) => (window as any).__applyTheme(t), THEMES.light);
  await deliver(page, []);
  const afterColor = await page.evaluate(() => (window as any).__gradientLens.charts.loss.options.scales.x.ticks.color);
  assert.equal(afterColor, THEMES.light.vars['--vscode-descriptionForeground']);
  await page.screenshot({ path: shot('webview-light.png'), fullPage: true });
  await page.evaluate((t) => (window as any).__applyTheme(t), THEMES.dark);
  await deliver(page, []);
  await page.screenshot({ path: shot('webview-panel.png'), fullPage: true });
});

test('after a reload the state comes back from getState before the host says anything', async () => {
  // setState is debounced: wait until the page has saved the history it draws, then reload.
  const drawn = stepsIn(messages).length;
  await page.waitForFunction(
    (n) => {
      const saved = JSON.parse(sessionStorage.getItem('vscode-state') || 'null');
      return saved?.snapshot?.history?.length === n;
    },
    drawn,
    { timeout: 60000 },
  );
  await page.reload();
  await page.waitForFunction(() => (window as any).__posted?.some((m: any) => m.type === 'rendered'));
  const n = await page.evaluate(() => (window as any).__gradientLens.charts.loss.data.datasets[0].data.length);
  assert.equal(n, stepsIn(messages).length);
});

test('the page runs under its strict CSP without a single violation', async () => {
  assert.deepEqual(await page.evaluate(() => (window as any).__violations), []);
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  assert.match(csp!, /script-src 'nonce-[A-Za-z0-9+/]{22}=='/);
  assert.doesNotMatch(csp!, /unsafe-eval|unsafe-inline/);
});

test('the sidebar shows status, controls and a loss sparkline, and opens the panel', async () => {
  const side = await browser.newPage({ viewport: { width: 320, height: 420 } });
  await preparePage(side, 'dark');
  await side.goto(`${server.url}?mode=sidebar`);
  await side.waitForFunction(() => (window as any).__posted?.some((m: any) => m.type === 'ready'));
  await deliver(side, messages);
  const n = await side.evaluate(() => (window as any).__gradientLens.charts.loss.data.datasets[0].data.length);
  assert.equal(n, stepsIn(messages).length);
  assert.match(await side.locator('.status').innerText(), /digits-mlp · finished/);
  await side.getByRole('button', { name: 'Open the gradient panel' }).click();
  assert.equal((await posted(side)).filter((m) => m.type === 'command').pop().command, 'openPanel');
  await side.screenshot({ path: shot('webview-sidebar.png') });
  assert.deepEqual(await side.evaluate(() => (window as any).__violations), []);
  await side.close();
});

test('every section can be saved as a PNG of what it draws', async () => {
  await page.locator('[data-save="loss"]').click();
  const m = (await posted(page)).filter((x) => x.type === 'savePng').pop();
  assert.equal(m.name, 'gradient-lens-loss');
  assert.match(m.dataUrl, /^data:image\/png;base64,/);
  const png = Buffer.from(m.dataUrl.split(',')[1], 'base64');
  assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], 'PNG signature');
  assert.ok(png.length > 2000, `a real picture, not an empty canvas (${png.length} bytes)`);
  assert.equal((await page.locator('button[data-save]').count()) >= 6, true);
});

test("the opening card answers both questions with the run's numbers and links to the cards", async () => {
  const d = lastDetail(messages);
  const text = await page.locator('#answers').innerText();
  assert.ok(
    text.includes(`In step ${d.step}, back-propagation ran ${d.perExample!.perExample.length} times, once per example`),
    text,
  );
  assert.ok(text.includes(`G = ${fmt(d.perExample!.mean, 4)}`), text);
  assert.match(text, /SGD with momentum μ = 0\.9/);
  assert.match(text, /No\. Each example is back-propagated once per pass/);
  await page.locator('#answers a[href="#per-example"]').click();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'per-example');
  await page.locator('#answers').screenshot({ path: shot('webview-answers.png') });
});

test('every card has a plain title, a visible explanation, and collapses', async () => {
  const cards = await page.locator('section.card:not([hidden])').all();
  assert.ok(cards.length >= 8);
  for (const c of cards) {
    const id = await c.getAttribute('id');
    assert.ok(await c.locator('.explain').first().isVisible(), `${id} shows its explanation`);
  }
  await page.locator('#health button.collapse').click();
  assert.equal(await page.locator('#health .card-body').isHidden(), true);
  assert.equal(await page.locator('#health button.collapse').getAttribute('aria-expanded'), 'false');
  await page.locator('#health button.collapse').click();
  assert.equal(await page.locator('#health .card-body').isVisible(), true);
});

test('the network picture draws the layers as columns and selects what is clicked', async () => {
  const h = lastDetail(messages).heatmap!;
  const links = await page.locator(`svg.network line[data-layer="${h.layer}"]`).count();
  assert.ok(links > 0 && links <= 12 * 12, `aggregated links: ${links}`);
  assert.equal(await page.locator('svg.network circle').count(), 8 + 8 + 8 + 10, 'input 784 and 128, 64 in 8 groups, 10 outputs');
  await page.locator(`svg.network line[data-layer="${h.layer}"]`).nth(5).click({ force: true });
  const sel = (await posted(page)).filter((m) => m.type === 'select').pop();
  assert.equal(sel.selection.layer, h.layer);
  assert.ok(h.indices.includes(sel.selection.index), 'the link selects an entry of the heatmap');
  await page.locator('#network').screenshot({ path: shot('webview-network.png') });
});
