// The page saves its state (vscode.setState, which serialises it in the page's thread) only when
// something changed since it last saved, at most once a second, and at once when it is hidden or
// unloaded; a reloaded page comes back from what it saved. The calls are counted by the test's
// acquireVsCodeApi stand-in (harness.ts).

import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { HostMessage, StepPoint } from '../../src/protocol';
import { emptySnapshot } from '../../src/run/reducer';
import { openReadyPanel, deliver, fillerPoint } from './harness';

let browser: Browser;
let server: { url: string; close(): Promise<void> };
let page: Page;

const point = (step: number): StepPoint => fillerPoint(step);
const steps = (from: number, to: number): HostMessage => ({
  type: 'steps',
  points: Array.from({ length: to - from + 1 }, (_, i) => point(from + i)),
});

const calls = (): Promise<number> => page.evaluate(() => (window as any).__setStateCalls as number);
const savedSteps = (): Promise<number[]> =>
  page.evaluate(() =>
    (JSON.parse(sessionStorage.getItem('vscode-state') || 'null')?.snapshot.history ?? []).map((p: any) => p.step),
  );
/**
 * Lets every timer the page set before now run: a timer of `ms` set after them fires after them.
 * Longer than any save delay (the old code's 500 ms debounce, the 1 s limit), so a save that was
 * going to happen has happened when this returns.
 */
const pageTimersRun = (ms = 1500): Promise<void> => page.evaluate((t) => new Promise<void>((r) => setTimeout(r, t)), ms);
const waitForCalls = (n: number): Promise<unknown> =>
  page.waitForFunction((k) => (window as any).__setStateCalls >= k, n, { timeout: 30000 });

before(async () => {
  ({ browser, server, page } = await openReadyPanel('dark'));
  const history = Array.from({ length: 20 }, (_, i) => point(i + 1));
  const snapshot = { ...emptySnapshot(), status: { state: 'running' as const, step: 20, epoch: 1 }, history };
  await deliver(page, [{ type: 'snapshot', snapshot }]);
  await waitForCalls(1);
  await pageTimersRun();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('no setState while nothing changes, however often the page redraws', async () => {
  const before = await calls();
  assert.deepEqual((await savedSteps()).at(-1), 20, 'the snapshot was saved');
  for (let i = 0; i < 5; i++) {
    // A resize redraws every view; the state is the same.
    await page.evaluate(() => window.dispatchEvent(new Event('resize')));
    await deliver(page, []);
  }
  await pageTimersRun();
  assert.equal(await calls(), before, 'redraws without a change saved the state');
});

test('one setState after a change, with the change in it', async () => {
  const before = await calls();
  await deliver(page, [steps(21, 25)]);
  await waitForCalls(before + 1);
  await pageTimersRun();
  assert.equal(await calls(), before + 1);
  assert.equal((await savedSteps()).at(-1), 25);
});

test('changes that come together are saved together', async () => {
  const before = await calls();
  // Fifteen messages queued at once: the save the first one asks for runs after all of them.
  await deliver(
    page,
    Array.from({ length: 15 }, (_, i) => steps(26 + i, 26 + i)),
  );
  await waitForCalls(before + 1);
  await pageTimersRun();
  assert.equal(await calls(), before + 1, 'one save for fifteen changes');
  assert.equal((await savedSteps()).at(-1), 40, 'the last change was saved');
});

test('a change not saved yet is saved when the page is hidden', async () => {
  // A save just happened, so the next change waits for the one-second limit ...
  await deliver(page, [steps(41, 41)]);
  await pageTimersRun();
  const before = await calls();
  await deliver(page, [steps(42, 42)]);
  // ... unless the page is hidden first (VS Code then discards it).
  const atHide = await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
    return (window as any).__setStateCalls as number;
  });
  assert.equal(atHide, before + 1, 'hiding saved the change');
  assert.equal((await savedSteps()).at(-1), 42);
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
  });
});

test('a reloaded page draws what it saved before the host says anything', async () => {
  await page.reload();
  await page.waitForFunction(() => (window as any).__posted?.some((m: any) => m.type === 'rendered'));
  const drawn = await page.evaluate(() => (window as any).__gradientLens.charts.loss.data.datasets[0].data.map((p: any) => p.x));
  assert.equal(drawn.at(-1), 42);
  assert.equal(drawn.length, 42);
});
