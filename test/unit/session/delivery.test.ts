// What counts as a live update is decided once, by the outbox, and the render log's size record
// follows it: a comparison, a repeat or a gradient check is queued (newest kept) but is a result
// asked for once, so its size never counts against the live-update budget; a detail does.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { DELIVERY, Outbox, isLiveUpdate } from '../../../src/session/outbox';
import { RenderLog } from '../../../src/views/renderLog';
import type { HostMessage, StepDetail } from '../../../src/protocol';

const detail = (step: number): HostMessage => ({
  type: 'detail',
  detail: { step, epoch: 1, heatmap: null, perExample: null, examples: [], imageShape: null, histograms: [] } as StepDetail,
});
// Only the type matters to the outbox and the log for these.
const result = (type: 'compare' | 'repeat' | 'gradCheck', n: number) => ({ type, n }) as unknown as HostMessage;

test('results asked for once are queued newest-first like live updates, but are not live updates', () => {
  const box = new Outbox();
  box.add(result('compare', 1));
  box.add(result('compare', 2));
  box.add(result('gradCheck', 1));
  box.add(detail(4));
  const out = box.drain() as unknown as { type: string; n?: number }[];
  assert.deepEqual(
    out.map((m) => m.type),
    ['detail', 'gradCheck', 'compare'],
  );
  assert.equal(out[2].n, 2, 'only the newest comparison is posted');
  for (const type of ['compare', 'repeat', 'gradCheck'] as const) assert.equal(isLiveUpdate(type), false, type);
  for (const type of ['steps', 'epoch', 'detail', 'status'] as const) assert.equal(isLiveUpdate(type), true, type);
});

test('a drain applies the newest-kept messages in the order DELIVERY lists them: the ranks first, the status last', () => {
  const kept = (Object.keys(DELIVERY) as HostMessage['type'][]).filter((t) => DELIVERY[t] === 'live' || DELIVERY[t] === 'result');
  const box = new Outbox();
  // Added in the reverse order: the box must not post them as they came.
  for (const type of [...kept].reverse()) box.add(type === 'detail' ? detail(1) : ({ type } as HostMessage));
  const order = box.drain().map((m) => m.type);
  assert.deepEqual(order, kept);
  assert.deepEqual([order[0], order[order.length - 1]], ['ranks', 'status']);
});

test('messages posted at once are never queued', () => {
  const box = new Outbox();
  for (const type of Object.keys(DELIVERY) as HostMessage['type'][])
    if (DELIVERY[type] === 'direct') box.add({ type } as HostMessage);
  assert.ok(box.isEmpty);
});

test("the render log's largest live update follows the outbox's classification", () => {
  const log = new RenderLog();
  log.posted('panel', result('repeat', 1), 200_000);
  log.posted('panel', { type: 'snapshot' } as HostMessage, 300_000);
  assert.equal(log.postStats('panel').maxUpdateBytes, 0, 'a result and a snapshot are not live updates');
  log.posted('panel', detail(1), 5_000);
  const s = log.postStats('panel');
  assert.equal(s.maxUpdateBytes, 5_000);
  assert.equal(s.maxBytes, 300_000);
  assert.equal(s.total, 3);
});
