// A panel shown again (VS Code discarded its page while hidden): the page comes back from what it
// saved, then the host sends the whole state in parts (a snapshot with the oldest steps, then step
// messages). The loss card must count every step the host holds, and every epoch, the way a host
// test checks it (a host test once saw a stale count there; this sequence alone did not reproduce it).

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { EpochStats } from '../../src/engine/types';
import type { HostMessage, StepPoint } from '../../src/protocol';
import { apply, emptySnapshot } from '../../src/run/reducer';
import { splitSnapshot } from '../../src/session/outbox';
import { openReadyPanel, deliver, posted, fillerPoint } from './harness';

const point = (step: number): StepPoint => fillerPoint(step, 1 + Math.floor(step / 50));
const epoch = (e: number): EpochStats => ({
  epoch: e,
  step: 50 * e,
  trainLoss: 1 / e,
  trainAccuracy: 0.5,
  validationLoss: 1 / e,
  validationAccuracy: 0.5,
  seconds: 1,
});

test('a re-shown panel counts every step and epoch of the whole state it is sent', async () => {
  const { browser, server, page } = await openReadyPanel('dark');
  try {
    // The host's copy, kept with the same reducer; what it posts is what the page gets.
    const host = emptySnapshot();
    const queued: HostMessage[] = [];
    const post = (m: HostMessage): void => {
      apply(host, m);
      queued.push(structuredClone(m));
    };
    const flush = async (): Promise<void> => deliver(page, queued.splice(0));
    const rendered = async () => (await posted(page)).filter((m) => m.type === 'rendered').pop().summary;

    await deliver(page, [{ type: 'snapshot', snapshot: structuredClone(host) }]);
    post({ type: 'status', status: { state: 'running', step: 0, epoch: 1 } });
    for (let s = 1; s <= 120; s++) post({ type: 'steps', points: [point(s)] });
    post({ type: 'epoch', epoch: epoch(1) });
    post({ type: 'epoch', epoch: epoch(2) });
    await flush();
    assert.equal((await rendered()).lossPoints, 120);
    await page.waitForFunction(() => (window as any).__setStateCalls > 0);

    // Hidden: the host posts nothing to it while the run goes on and ends.
    for (let s = 121; s <= 300; s++) post({ type: 'steps', points: [point(s)] });
    for (let e = 3; e <= 6; e++) post({ type: 'epoch', epoch: epoch(e) });
    post({ type: 'status', status: { state: 'finished', step: 300, epoch: 6 } });
    queued.length = 0;
    await page.reload();
    await page.waitForFunction(() => (window as any).__posted?.some((m: any) => m.type === 'ready'));
    assert.equal((await rendered()).lossPoints, 120, 'the page came back from what it saved');

    // Shown again: the whole state in parts of a few kilobytes, then one more epoch row repeated.
    const parts = splitSnapshot({ type: 'snapshot', snapshot: structuredClone(host) }, 4096);
    assert.ok(parts.length > 2 && parts.slice(1).every((m) => m.type === 'steps'), 'sent in parts');
    await deliver(page, parts);
    post({ type: 'epoch', epoch: epoch(6) });
    await flush();
    const r = await rendered();
    assert.equal(r.lossPoints, host.history.length);
    assert.equal(r.epochPoints, host.epochs.length);
    assert.equal(r.lastStep, 300);
    assert.equal(r.state, 'finished');
  } finally {
    await browser.close();
    await server.close();
  }
});
