// What the host holds for a view that stops answering stays bounded however long training goes on:
// 100,000 steps (an epoch every 25, a histogram every 10, a detail every 5) into one box that is
// never drained, then into a ViewPacer whose view never answers. Each buffer stays under its cap at
// every step, and the drain says it thinned, so the view is sent a whole snapshot once training rests.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  HISTOGRAM_BYTES_PER_POST,
  Outbox,
  QUEUED_EPOCHS,
  QUEUED_POINTS,
  ViewPacer,
  messageBytes,
} from '../../../src/session/outbox';
import type { HostMessage, StepDetail, StepPoint } from '../../../src/protocol';
import type { EpochStats } from '../../../src/engine/types';

const STEPS = 100_000;
const point = (step: number) =>
  ({
    step,
    epoch: Math.floor(step / 25),
    examplesSeen: step * 32,
    time: step / 1000,
    loss: 1 / step,
    layers: [],
  }) as unknown as StepPoint;
const epoch = (n: number): EpochStats => ({
  epoch: n,
  step: n * 25,
  trainLoss: 1 / n,
  trainAccuracy: 0.5,
  validationLoss: null,
  validationAccuracy: null,
  seconds: n,
});
const histogram = (step: number) => ({
  layer: 0,
  step,
  edges: Array.from({ length: 33 }, (_, i) => i / 7),
  counts: new Array(32).fill(3),
});
const detail = (step: number, histograms: number[]): HostMessage => ({
  type: 'detail',
  detail: {
    step,
    epoch: 1,
    heatmap: null,
    perExample: null,
    examples: [],
    imageShape: null,
    histograms: histograms.map(histogram),
  } as StepDetail,
});

/** The messages a long run's worker reports, step by step, in the order the session queues them. */
function* longRun(): Generator<HostMessage> {
  for (let step = 1; step <= STEPS; step++) {
    yield { type: 'steps', points: [point(step)] };
    if (step % 25 === 0) yield { type: 'epoch', epoch: epoch(step / 25) };
    if (step % 5 === 0) yield detail(step, step % 10 === 0 ? [step] : []);
  }
}

test('an outbox never drained holds at most its caps of points, epochs and histograms through 100,000 steps', () => {
  const box = new Outbox();
  const most = { points: 0, epochs: 0, histogramBytes: 0 };
  for (const m of longRun()) {
    box.add(m);
    const q = box.queued;
    most.points = Math.max(most.points, q.points);
    most.epochs = Math.max(most.epochs, q.epochs);
    most.histogramBytes = Math.max(most.histogramBytes, q.histograms * JSON.stringify(histogram(STEPS)).length);
  }
  assert.ok(most.points <= QUEUED_POINTS, `${most.points} points queued`);
  assert.ok(most.epochs <= QUEUED_EPOCHS, `${most.epochs} epochs queued`);
  assert.ok(most.histogramBytes <= HISTOGRAM_BYTES_PER_POST, `${most.histogramBytes} bytes of histograms queued`);
  const out = box.drain();
  assert.ok(box.lastDrainThinned, 'the drain says steps or epochs were left out');
  const epochs = out.filter((m) => m.type === 'epoch');
  assert.equal(epochs.at(-1)?.type === 'epoch' && epochs.at(-1)?.epoch.epoch, STEPS / 25, 'the newest epoch is kept');
  const steps = out.find((m) => m.type === 'steps');
  assert.equal(steps?.type === 'steps' && steps.points.at(-1)?.step, STEPS, 'the newest step is kept');
});

test('a view that never answers costs the host at most 16 posts in flight and one bounded box', () => {
  const inFlight: HostMessage[] = [];
  const pacer = new ViewPacer((m) => {
    inFlight.push(m);
    return new Promise(() => {}); // never answered
  });
  for (const m of longRun()) pacer.post(m);
  assert.equal(inFlight.length, 16);
  assert.equal(pacer.unanswered, 16);
  const box = (pacer as unknown as { waiting: Outbox }).waiting;
  assert.ok(box.queued.points <= QUEUED_POINTS && box.queued.epochs <= QUEUED_EPOCHS, JSON.stringify(box.queued));
});

test('a message is measured once whichever views it is posted to, in UTF-8 bytes', () => {
  const m: HostMessage = { type: 'status', status: { state: 'running', step: 1, epoch: 0, message: '‖G‖ → 20×' } };
  const bytes = messageBytes(m);
  assert.equal(bytes, Buffer.byteLength(JSON.stringify(m)));
  assert.ok(bytes > JSON.stringify(m).length, 'non-ASCII counts its UTF-8 bytes');
  (m as { status: { message: string } }).status.message = 'changed after posting';
  assert.equal(messageBytes(m), bytes, 'measured once');
});
