// The run's state machine and the snapshot reducer every copy of a run keeps, checked against
// outcomes written out by hand: which messages change what the views draw (the return value the
// host and the webview redraw on), exactly which step points survive thinning, which epoch and
// histogram entries are kept, when a NaN report stays, and how listeners hear transitions.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ENDED_STATES, RunMachine, transition } from '../../../src/run/machine';
import type { RunState } from '../../../src/run/source';
import { appendPoints, apply, clearRun, emptySnapshot, thinToCapacity } from '../../../src/run/reducer';
import type { HostMessage, Histogram, SessionSnapshot, StepPoint } from '../../../src/protocol';
import type { EpochStats } from '../../../src/engine/types';

const QUIET = { accuracy: 0, noiseScale: 1, layers: [] };
const point = (step: number, epoch = 1): StepPoint => ({ ...QUIET, step, epoch, examplesSeen: step, time: step, loss: 1 / step });
const epoch = (n: number, trainLoss: number): EpochStats => ({
  epoch: n,
  step: 10 * n,
  trainLoss,
  trainAccuracy: 0.5,
  validationLoss: null,
  validationAccuracy: null,
  seconds: 1,
});
const histogram = (layer: number, step: number): Histogram => ({ layer, step, edges: [0, 1], counts: [1] });
const steps = (s: SessionSnapshot) => s.history.map((p) => p.step);

test('apply says whether the views must redraw: every message that changes the snapshot, never a bare response', () => {
  const s = emptySnapshot();
  const changing: HostMessage[] = [
    { type: 'snapshot', snapshot: emptySnapshot() },
    { type: 'epoch', epoch: epoch(1, 2) },
    { type: 'status', status: { state: 'running', step: 0, epoch: 1 } },
    { type: 'view', selection: { layer: 0, kind: 'weight', index: 1 }, heatmapMode: 'update' },
    { type: 'gradCheck', result: { passed: true, layers: [] } as never },
    { type: 'compare', result: { runs: [] } as never },
    { type: 'walkthrough', result: { examples: [] } as never },
    { type: 'repeat', result: { series: [] } as never },
    { type: 'steps', points: [point(1)] },
  ];
  for (const m of changing) assert.equal(apply(s, m), true, m.type);
  assert.deepEqual(s.repeat, { series: [] }, 'the repeat result is kept');
  assert.deepEqual(s.walkthrough, { examples: [] });
  assert.equal(apply(s, { type: 'steps', points: [] }), false, 'no points, nothing to redraw');
  assert.equal(apply(s, { type: 'response', id: 3, ok: true }), false);
});

test('steps: a late or repeated point is dropped; the status follows the newest step only', () => {
  const s = emptySnapshot();
  apply(s, { type: 'steps', points: [point(1), point(2)] });
  apply(s, { type: 'steps', points: [point(2), point(3)] });
  assert.deepEqual(steps(s), [1, 2, 3], 'step 2 is kept once');
  apply(s, { type: 'status', status: { state: 'paused', step: 10, epoch: 4 } });
  apply(s, { type: 'steps', points: [point(5, 2)] });
  assert.deepEqual([s.status.step, s.status.epoch], [10, 4], 'an older step does not move the status back');
  apply(s, { type: 'steps', points: [point(10, 5)] });
  assert.deepEqual([s.status.step, s.status.epoch], [10, 5], 'the same step with a newer epoch does');
});

test('thinning keeps exactly: the first point, every other one of the older half, every recent one', () => {
  const nine = Array.from({ length: 9 }, (_, i) => point(i + 1));
  assert.deepEqual(
    thinToCapacity(nine, 8).map((p) => p.step),
    [1, 3, 5, 6, 7, 8, 9],
  );
  assert.deepEqual(
    thinToCapacity(nine, 9).map((p) => p.step),
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
    'at the cap nothing is thinned',
  );
  assert.equal(thinToCapacity(nine, 1).length, 4, 'a cap below 4 means 4');
  // Live: a history at its cap is thinned before the next point goes in.
  const live: StepPoint[] = [];
  appendPoints(
    live,
    Array.from({ length: 5 }, (_, i) => point(i + 1)),
    4,
  );
  assert.deepEqual(
    live.map((p) => p.step),
    [1, 3, 4, 5],
  );
  // A snapshot under its cap arrives whole, as a copy the reducer may thin without touching the sender's.
  const s = emptySnapshot({ historyLength: 10, histogramsPerLayer: 5 });
  const incoming = { ...emptySnapshot({ historyLength: 10, histogramsPerLayer: 5 }), history: nine.slice() };
  apply(s, { type: 'snapshot', snapshot: incoming });
  assert.deepEqual(steps(s), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  apply(s, { type: 'steps', points: [point(10), point(11)] });
  // (Its length alone would not tell: thinning 10 points to 8 and adding step 11 gives 9 again.)
  assert.deepEqual(steps(incoming), [1, 2, 3, 4, 5, 6, 7, 8, 9], "the sender's history is not the reducer's");
});

test('a snapshot replaces everything, also what an older holder did not send', () => {
  const s = emptySnapshot();
  apply(s, { type: 'walkthrough', result: { examples: [] } as never });
  apply(s, { type: 'repeat', result: { series: [] } as never });
  const old = emptySnapshot() as Partial<SessionSnapshot>;
  delete old.walkthrough;
  delete old.repeat;
  delete old.limits;
  apply(s, { type: 'snapshot', snapshot: old as SessionSnapshot });
  assert.equal(s.walkthrough, null);
  assert.equal(s.repeat, null);
  assert.deepEqual(s.limits, emptySnapshot().limits);
});

test('an epoch sent again replaces its entry and leaves the others', () => {
  const s = emptySnapshot();
  apply(s, { type: 'epoch', epoch: epoch(1, 2) });
  apply(s, { type: 'epoch', epoch: epoch(2, 1.5) });
  apply(s, { type: 'epoch', epoch: epoch(1, 1.9) });
  assert.deepEqual(
    s.epochs.map((e) => [e.epoch, e.trainLoss]),
    [
      [2, 1.5],
      [1, 1.9],
    ],
  );
});

test('a NaN report stays while the run is held on it (paused, stepping, failed) and goes once it trains on or ends', () => {
  const nonFinite = { layer: 1, example: 2, where: 'gradient' as const, message: 'NaN in the gradient of layers[1]' };
  for (const [state, kept] of [
    ['paused', true],
    ['stepping', true],
    ['failed', true],
    ['running', false],
    ['finished', false],
  ] as const) {
    const s = emptySnapshot();
    apply(s, { type: 'status', status: { state: 'paused', step: 3, epoch: 1, nonFinite } });
    apply(s, { type: 'status', status: { state, step: 3, epoch: 1 } });
    assert.equal('nonFinite' in s.status, kept, state);
    if (kept) assert.deepEqual(s.status.nonFinite, nonFinite);
  }
});

test('histograms: one per layer and step, each layer keeps its newest, other layers untouched', () => {
  const s = emptySnapshot({ historyLength: 100, histogramsPerLayer: 2 });
  const detail = (hs: Histogram[]) =>
    ({
      type: 'detail',
      detail: { step: 1, epoch: 1, examples: [], imageShape: null, histograms: hs, heatmap: null, perExample: null },
    }) as HostMessage;
  apply(s, detail([histogram(0, 5), histogram(1, 5), histogram(0, 5)]));
  apply(s, detail([histogram(0, 10), histogram(1, 10), histogram(0, 15)]));
  assert.deepEqual(
    s.histograms.map((h) => `${h.layer}:${h.step}`),
    ['1:5', '0:10', '1:10', '0:15'],
  );
});

test('clearing a run keeps a comparison and a Repeat result only when asked to', () => {
  const s = emptySnapshot();
  apply(s, { type: 'compare', result: { runs: [] } as never });
  apply(s, { type: 'repeat', result: { series: [] } as never });
  clearRun(s, true);
  assert.deepEqual([s.compare, s.repeat], [{ runs: [] }, { series: [] }]);
  clearRun(s);
  assert.deepEqual([s.compare, s.repeat], [null, null]);
});

test('the machine: a pause while loading holds the run once loaded; self-transitions are not announced', () => {
  const m = new RunMachine();
  const heard: string[] = [];
  m.onTransition((t) => heard.push(`${t.from}>${t.to}`));
  m.send('start');
  assert.equal(m.send('pause'), true, 'pause is legal while loading');
  assert.equal(m.state, 'loading');
  m.send('loaded');
  assert.equal(m.state, 'paused');
  assert.deepEqual(heard, ['idle>loading', 'loading>paused']);
});

test('the machine: listeners can leave, also while being called, and leaving twice removes nobody else', () => {
  const m = new RunMachine();
  const heard: string[] = [];
  const leaveA = m.onTransition(() => {
    heard.push('a');
    leaveA();
  });
  const leaveB = m.onTransition(() => heard.push('b'));
  m.onTransition(() => heard.push('c'));
  m.send('start');
  assert.deepEqual(heard, ['a', 'b', 'c'], 'a leaving listener does not make the next one miss the call');
  leaveB();
  leaveB();
  m.send('loaded');
  assert.deepEqual(heard, ['a', 'b', 'c', 'c']);
});

test('the machine keeps the 50 newest refused inputs', () => {
  const m = new RunMachine();
  for (let i = 0; i < 51; i++) assert.equal(m.send(i === 0 ? 'loaded' : 'pause'), false);
  assert.equal(m.refused.length, 50);
  assert.deepEqual(m.refused[0], { state: 'idle', input: 'pause' }, 'the oldest was dropped');
});

test('the ended states are exactly those from which only a new start (or a reset) leads on', () => {
  const all: RunState[] = ['idle', 'loading', 'running', 'paused', 'stepping', 'finished', 'failed', 'stopped'];
  const ended = all.filter(
    (s) =>
      s !== 'idle' &&
      transition(s, 'start') !== undefined &&
      (['pause', 'resume', 'step', 'stop', 'loaded'] as const).every((i) => transition(s, i) === undefined),
  );
  assert.deepEqual([...ENDED_STATES].sort(), ended.sort());
});
