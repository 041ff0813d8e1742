// What a newcomer meets first, in the real bundle in headless Chromium: a broken model file's
// errors listed with links to their places, the Repeat button, the Slow toggle that follows the
// pace, the comparison naming its learning-rate mode, and a toolbar that leaves room at 480 px.

import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { HostMessage, ModelFileProblems } from '../../src/protocol';
import { openReadyPanel, preparePage, posted, deliver, recordedData, resultsDir, root } from './harness';
import { recordRun } from './record';
import { parseModel } from '../../src/model';
import { compareBatchSizes } from '../../src/engine/compare';

let browser: Browser;
let server: { url: string; close(): Promise<void> };
let page: Page;
let messages: HostMessage[];

const shot = (name: string): string => path.join(resultsDir, name);
const DIGITS = 'examples/digits/digits.gradlens.json';

/** The digits example with two mistakes, and its problems as the host lists them (line and column counted here). */
function brokenDigits(): { text: string; problems: ModelFileProblems } {
  const text = readFileSync(path.join(root, DIGITS), 'utf8')
    .replace(/"units":\s*64/, '"units": -3')
    .replace(/"epochs"/, '"epocs"');
  const parsed = parseModel(text);
  assert.equal(parsed.spec, null, 'the broken file must not parse');
  const errors = parsed.problems.filter((p) => p.severity === 'error').sort((a, b) => a.range.offset - b.range.offset);
  const items = errors.map((p) => {
    const before = text.slice(0, p.range.offset).split('\n');
    return {
      severity: p.severity,
      message: p.message,
      line: before.length,
      column: before[before.length - 1].length + 1,
      offset: p.range.offset,
      length: p.range.length,
    };
  });
  return { text, problems: { file: 'digits/digits.gradlens.json', items } };
}

before(async () => {
  mkdirSync(resultsDir, { recursive: true });
  messages = (await recordRun(DIGITS, { epochs: 1 })).messages;
  ({ browser, server, page } = await openReadyPanel('dark'));
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test("a broken model file's errors are listed, each a link that asks the host to show its range", async () => {
  const { text, problems } = brokenDigits();
  assert.ok(problems.items.length >= 2, `two mistakes, got ${problems.items.length} errors`);
  await deliver(page, [{ type: 'problems', problems }]);
  assert.equal(await page.locator('#problems').isVisible(), true);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'problems', 'the list takes the focus');
  const links = page.locator('#problems button.link');
  assert.equal(await links.count(), problems.items.length);
  for (const [i, item] of problems.items.entries()) {
    assert.equal(await links.nth(i).innerText(), `digits/digits.gradlens.json:${item.line}:${item.column}`);
    assert.ok((await page.locator('#problems li').nth(i).innerText()).includes(item.message));
  }
  const units = problems.items.findIndex((p) => /units/.test(p.message));
  assert.ok(units >= 0, 'the bad units are among the errors');
  await links.nth(units).click();
  const reveal = (await posted(page)).filter((m) => m.type === 'reveal').pop();
  assert.equal(typeof reveal.id, 'number');
  assert.equal(text.slice(reveal.offset, reveal.offset + reveal.length), '-3', 'the link points at the wrong value in the file');
  await page.locator('#problems').screenshot({ path: shot('webview-problems.png') });
  assert.equal((await page.evaluate(() => (window as any).__gradientLens.summary())).problems, problems.items.length);
  // A run that starts (its snapshot carries no problems) clears the list.
  await deliver(page, messages);
  assert.equal(await page.locator('#problems').isHidden(), true);
});

test('the toolbar has Repeat one example, and a Slow toggle that follows the pace', async () => {
  await page.locator('button[data-command="repeat"]').click();
  assert.equal((await posted(page)).filter((m) => m.type === 'command').pop().command, 'repeat');
  const slow = page.locator('button[data-command="slow"]');
  assert.equal(await slow.getAttribute('aria-pressed'), 'false');
  await slow.click();
  assert.equal((await posted(page)).filter((m) => m.type === 'command').pop().command, 'slow');
  await deliver(page, [{ type: 'pace', stepsPerSecond: 10 }]);
  assert.equal(await slow.getAttribute('aria-pressed'), 'true');
  assert.match(await page.locator('.status').innerText(), /slow: 10 steps\/s/);
  await deliver(page, [{ type: 'pace', stepsPerSecond: 0 }]);
  assert.equal(await slow.getAttribute('aria-pressed'), 'false');
  assert.doesNotMatch(await page.locator('.status').innerText(), /slow:/);
});

test('the comparison names the learning-rate mode it ran with, and the setting that picks it', async () => {
  const { spec, train, validation } = await recordedData(messages);
  const expected = { file: "the file's rate for every batch size", linear: 'linear scaling (γ ∝ M)' } as const;
  for (const rateMode of ['file', 'linear'] as const) {
    const result = compareBatchSizes({ spec, train, validation, batchSizes: [8, 32], examples: 320, rateMode });
    await deliver(page, [{ type: 'compare', result }]);
    const text = await page.locator('#compare').innerText();
    assert.ok(text.includes(expected[rateMode]), `${rateMode}: ${text.slice(0, 300)}`);
    assert.match(text, /gradientLens\.compare\.learningRates/);
    const rows = await page.locator('#compare tbody tr').allInnerTexts();
    result.runs.forEach((r, i) => assert.ok(rows[i].includes(String(r.learningRate)), rows[i]));
  }
});

test('at 480 px the toolbar with every button fits and leaves the panel most of the height', async () => {
  const p = await browser.newPage({ viewport: { width: 480, height: 900 } });
  await preparePage(p, 'light');
  await p.goto(server.url);
  await p.waitForFunction(() => (window as any).__posted?.some((m: any) => m.type === 'ready'));
  await deliver(p, messages);
  const m = await p.evaluate(() => {
    const bar = document.querySelector('.toolbar')!.getBoundingClientRect();
    const cut = [...document.querySelectorAll<HTMLElement>('.toolbar button')].filter(
      (b) => b.getBoundingClientRect().right > window.innerWidth || b.scrollWidth > b.clientWidth + 1,
    );
    return { height: bar.height, cut: cut.map((b) => b.dataset.command), page: document.documentElement.scrollWidth };
  });
  assert.deepEqual(m.cut, [], 'toolbar buttons cut off');
  assert.ok(m.page <= 480, `the page scrolls sideways: ${m.page} px`);
  assert.ok(m.height <= 0.15 * 900, `the toolbar takes ${m.height} px of 900`);
  await p.close();
});
