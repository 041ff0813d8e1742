// What one view is posted (src/session/outbox.ts): a whole state in parts of bounded size
// (splitSnapshot), each part under the budget, and a view that applies them in order with the shared
// reducer holds what the host holds; live updates paced by the view's answers (ViewPacer).

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { splitSnapshot, SNAPSHOT_BYTES_PER_POST, ViewPacer } from '../../../src/session/outbox';
import { apply, emptySnapshot } from '../../../src/run/reducer';
import type { HostMessage, StepPoint } from '../../../src/protocol';

const layer = (i: number) => ({
  layer: i,
  gradNorm: 1.7031853407048592,
  updateRatio: 0.0012345678901234567,
  weightNorm: 12.345678901234567,
  perExampleNormMedian: 2.3456789012345678,
  perExampleNormMin: 0.1234567890123457,
  perExampleNormMax: 9.876543210987654,
  cosineMean: 0.2345678901234568,
  noiseScale: 123.45678901234567,
  deadFraction: 0.012345678901234567,
});
const point = (step: number): StepPoint =>
  ({
    step,
    epoch: Math.floor(step / 25),
    examplesSeen: step * 32,
    time: step / 1000,
    loss: 1 / step,
    accuracy: 0.5,
    noiseScale: 10,
    layers: [0, 1, 2].map(layer),
  }) as unknown as StepPoint;

test('a snapshot of 5000 steps of a three-layer model goes in parts under the budget, and the view ends up with every step', () => {
  const host = emptySnapshot({ historyLength: 5000, histogramsPerLayer: 10 });
  apply(host, { type: 'steps', points: Array.from({ length: 5000 }, (_, i) => point(i + 1)) });
  const whole = { type: 'snapshot' as const, snapshot: host };
  assert.ok(JSON.stringify(whole).length > 4 * SNAPSHOT_BYTES_PER_POST, 'the whole state is big enough to need parts');
  const parts = splitSnapshot(whole);
  assert.ok(parts.length > 4);
  assert.equal(parts[0].type, 'snapshot');
  assert.ok(parts.slice(1).every((m) => m.type === 'steps'));
  for (const m of parts)
    assert.ok(JSON.stringify(m).length <= SNAPSHOT_BYTES_PER_POST, `a part of ${JSON.stringify(m).length} bytes`);
  // A view with an older state of its own takes the parts in order.
  const view = emptySnapshot();
  apply(view, { type: 'steps', points: [point(1), point(2)] });
  for (const m of parts) apply(view, m);
  assert.deepEqual(view.history, host.history);
  assert.deepEqual(view.status, host.status);
});

test('small snapshots and other messages are posted as they are', () => {
  const s = emptySnapshot();
  apply(s, { type: 'steps', points: [point(1), point(2), point(3)] });
  const m = { type: 'snapshot' as const, snapshot: s };
  assert.deepEqual(splitSnapshot(m), [m]);
  const steps = { type: 'steps' as const, points: [point(4)] };
  assert.deepEqual(splitSnapshot(steps), [steps]);
});

test('a view that does not answer gets at most 16 posts; then what waited comes coalesced, and a snapshot replaces it', async () => {
  const sent: HostMessage[] = [];
  const answers: (() => void)[] = [];
  const pacer = new ViewPacer((m) => {
    sent.push(m);
    return new Promise<void>((r) => answers.push(r));
  });
  const bare = (step: number): StepPoint => ({ ...point(step), layers: [] });
  for (let i = 1; i <= 100; i++) pacer.post({ type: 'steps', points: [bare(i)] });
  assert.equal(sent.length, 16, 'posts beyond 16 unanswered ones wait');
  pacer.post({ type: 'response', id: 7, ok: true });
  // The answer goes after what waited (coalesced into one steps post), never before it.
  assert.deepEqual(
    sent.slice(16).map((m) => m.type),
    ['steps', 'response'],
  );
  const waited = sent[16] as Extract<HostMessage, { type: 'steps' }>;
  assert.deepEqual(
    waited.points.map((p) => p.step),
    Array.from({ length: 84 }, (_, i) => i + 17),
  );
  assert.equal(pacer.thinned, false, 'nothing was left out');
  for (let i = 101; i <= 110; i++) pacer.post({ type: 'steps', points: [bare(i)] });
  assert.equal(sent.length, 18, 'still behind: the new ones wait');
  pacer.post({ type: 'snapshot', snapshot: emptySnapshot() });
  assert.equal(sent.at(-1)?.type, 'snapshot');
  for (const answer of answers.splice(0)) answer();
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(sent.length, 19, 'a snapshot leaves nothing waiting behind it');
  pacer.post({ type: 'steps', points: [bare(111)] });
  assert.equal(sent.length, 20, 'once answered, posts go at once');
});

test('a view behind when the run finishes gets the whole state once the thinned steps and the resting status reach it', async () => {
  const sent: HostMessage[] = [];
  const answers: (() => void)[] = [];
  let resyncs = 0;
  const pacer = new ViewPacer(
    (m) => {
      sent.push(m);
      return new Promise<void>((r) => answers.push(r));
    },
    16,
    () => resyncs++,
  );
  const status = (state: string) => ({ type: 'status', status: { state } }) as unknown as HostMessage;
  for (let i = 1; i <= 16; i++) pacer.post({ type: 'steps', points: [point(i)] });
  // 200 more three-layer points wait: more than one post carries, so the drain will thin them.
  for (let i = 17; i <= 216; i++) pacer.post({ type: 'steps', points: [point(i)] });
  pacer.post(status('finished'));
  assert.equal(sent.length, 16, 'the view is behind: the end of the run waits');
  assert.equal(resyncs, 0, 'nothing was thinned yet when the resting status arrived');
  for (const answer of answers.splice(0)) answer();
  await new Promise((r) => setTimeout(r, 0));
  const drained = sent.slice(16);
  assert.deepEqual(
    drained.map((m) => m.type),
    ['steps', 'status'],
  );
  const live = drained[0] as Extract<HostMessage, { type: 'steps' }>;
  assert.ok(live.points.length < 200, `the waiting steps were thinned (${live.points.length} of 200)`);
  assert.equal(resyncs, 1, 'the view is sent the whole state once training rests');
  assert.equal(pacer.thinned, false);
  // A status while running never asks for the whole state, thinned or not.
  for (const answer of answers.splice(0)) answer();
  await new Promise((r) => setTimeout(r, 0));
  pacer.post(status('running'));
  assert.equal(resyncs, 1);
});
