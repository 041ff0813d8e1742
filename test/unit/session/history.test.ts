import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { StepHistory } from '../../../src/session/history';
import { Outbox, postIntervalMs } from '../../../src/session/outbox';
import type { StepPoint, StepDetail } from '../../../src/protocol';

function point(step: number): StepPoint {
  return { step, epoch: 1, examplesSeen: step * 32, time: step / 100, loss: 1 / step, accuracy: 0.5, noiseScale: 1, layers: [] };
}

test('the history keeps at most its capacity, the first step, and the newest steps at full resolution', () => {
  const h = new StepHistory(100);
  const steps = Array.from({ length: 10000 }, (_, i) => point(i + 1));
  h.push(steps);
  const kept = h.toArray().map((p) => p.step);
  assert.ok(kept.length <= 100, `${kept.length} points kept`);
  assert.equal(kept[0], 1);
  assert.equal(kept[kept.length - 1], 10000);
  for (let i = 1; i < kept.length; i++) assert.ok(kept[i] > kept[i - 1], 'points stay in step order');
  // The newest quarter of the capacity is contiguous.
  const tail = kept.slice(-25);
  assert.deepEqual(
    tail,
    Array.from({ length: 25 }, (_, i) => 10000 - 24 + i),
  );
  h.clear();
  assert.equal(h.length, 0);
});

test('the history shrinks when its capacity is lowered', () => {
  const h = new StepHistory(1000);
  h.push(Array.from({ length: 800 }, (_, i) => point(i + 1)));
  h.setCapacity(100);
  assert.ok(h.length <= 100);
  assert.equal(h.last()?.step, 800);
});

test('the outbox concatenates steps, appends epochs, keeps the newest detail and status, in apply order', () => {
  const box = new Outbox();
  assert.ok(box.isEmpty);
  const detail = (step: number) =>
    ({ step, epoch: 1, heatmap: null, perExample: null, examples: [], imageShape: null, histograms: [] }) as StepDetail;
  box.add({ type: 'status', status: { state: 'running', step: 0, epoch: 1 } });
  box.add({ type: 'steps', points: [point(1), point(2)] });
  box.add({ type: 'detail', detail: detail(2) });
  box.add({ type: 'steps', points: [point(3)] });
  box.add({
    type: 'epoch',
    epoch: { epoch: 1, step: 3, trainLoss: 1, trainAccuracy: 0.5, validationLoss: null, validationAccuracy: null, seconds: 1 },
  });
  box.add({ type: 'detail', detail: detail(3) });
  box.add({ type: 'status', status: { state: 'paused', step: 3, epoch: 1 } });
  const out = box.drain();
  assert.deepEqual(
    out.map((m) => m.type),
    ['steps', 'epoch', 'detail', 'status'],
  );
  assert.deepEqual(out[0].type === 'steps' && out[0].points.map((p) => p.step), [1, 2, 3]);
  assert.equal(out[2].type === 'detail' && out[2].detail.step, 3);
  assert.equal(out[3].type === 'status' && out[3].status.state, 'paused');
  assert.ok(box.isEmpty);
  assert.deepEqual(box.drain(), []);
});

test('the post interval honours the update rate and caps it at 20 per second', () => {
  assert.equal(postIntervalMs(10), 100);
  assert.equal(postIntervalMs(50), 50);
  assert.equal(postIntervalMs(0), 1000);
  assert.equal(postIntervalMs(Number.NaN), 100);
});

test('a post carries at most MAX_POINTS_PER_POST step points with every spike and dip of the loss, ending with the newest', async () => {
  const { Outbox, MAX_POINTS_PER_POST, thinPoints } = await import('../../../src/session/outbox');
  // A falling loss with one spike, one dip and one NaN step, each alone among its neighbours.
  const loss = (step: number) => (step === 333 ? 50 : step === 777 ? -1 : step === 901 ? Number.NaN : 1 / step);
  const point = (step: number) => ({
    step,
    epoch: 1,
    examplesSeen: step * 32,
    time: step / 1000,
    loss: loss(step),
    accuracy: 0.5,
    noiseScale: 10,
    layers: [],
  });
  const box = new Outbox();
  box.add({ type: 'steps', points: Array.from({ length: 1000 }, (_, i) => point(i + 1)) });
  const [steps] = box.drain();
  assert.equal(steps.type, 'steps');
  const pts = (steps as { points: { step: number; loss: number }[] }).points;
  assert.ok(pts.length <= MAX_POINTS_PER_POST && pts.length >= MAX_POINTS_PER_POST - 2, `${pts.length} points`);
  assert.equal(pts[pts.length - 1].step, 1000);
  assert.ok(pts.every((p, i) => i === 0 || p.step > pts[i - 1].step));
  const kept = new Set(pts.map((p) => p.step));
  assert.ok(kept.has(1) && kept.has(333) && kept.has(777) && kept.has(901), 'the first step, the spike, the dip and the NaN');
  assert.equal(thinPoints([point(1), point(2)], 5).length, 2);
});

test('a post of step points of a three-layer model stays under the live-post budget', async () => {
  const { Outbox, POINTS_BYTES_PER_POST } = await import('../../../src/session/outbox');
  // Every field at full float64 precision, as the worker reports them.
  const layer = (i: number) => ({
    layer: i,
    gradNorm: 1.7031853407048592,
    weightNorm: 15.97193927606417,
    updateRatio: 0.005331802170857746,
    perExampleNormMin: 4.7778743221573,
    perExampleNormMedian: 8.087313854439948,
    perExampleNormMax: 15.992891162920587,
    cosineMean: 0.20098982943579013,
    noiseScale: 25.505543092085418,
    deadFraction: 0.0234375,
  });
  const point = (step: number) => ({
    step,
    epoch: 1,
    examplesSeen: step * 32,
    time: step / 1000.123456789,
    loss: 2.352902646605521 / step,
    accuracy: 0.125,
    noiseScale: 22.893743780180976,
    layers: [layer(0), layer(1), layer(2)],
  });
  const box = new Outbox();
  box.add({ type: 'steps', points: Array.from({ length: 1000 }, (_, i) => point(i + 1)) });
  const [steps] = box.drain();
  const bytes = JSON.stringify(steps).length;
  assert.ok(bytes <= POINTS_BYTES_PER_POST + 1024, `a post of ${bytes} bytes`);
  const pts = (steps as { points: { step: number }[] }).points;
  assert.equal(pts[pts.length - 1].step, 1000, 'the newest point is always sent');
  assert.ok(pts.length >= 16);
});

test('a detail that replaces a queued one carries its histograms; a burst is cut to the newest that fit the budget', async () => {
  const { HISTOGRAM_BYTES_PER_POST } = await import('../../../src/session/outbox');
  const histogram = (step: number) => ({
    layer: 0,
    step,
    edges: Array.from({ length: 33 }, (_, i) => i / 7),
    counts: new Array(32).fill(3),
  });
  const detail = (step: number, steps: number[]) =>
    ({
      step,
      epoch: 1,
      heatmap: null,
      perExample: null,
      examples: [],
      imageShape: null,
      histograms: steps.map(histogram),
    }) as StepDetail;
  const box = new Outbox();
  box.add({ type: 'detail', detail: detail(10, [10]) });
  box.add({ type: 'detail', detail: detail(20, [20]) });
  const [two] = box.drain();
  assert.deepEqual(two.type === 'detail' && two.detail.histograms.map((h) => h.step), [10, 20], 'no histogram is lost');

  const burst = Array.from({ length: 400 }, (_, i) => (i + 1) * 10);
  box.add({ type: 'detail', detail: detail(4000, burst) });
  const [cut] = box.drain();
  assert.ok(cut.type === 'detail');
  const kept = cut.detail.histograms.map((h) => h.step);
  assert.ok(kept.length > 10 && kept.length < burst.length, `kept ${kept.length} of ${burst.length}`);
  assert.deepEqual(kept, burst.slice(burst.length - kept.length), 'the newest, in order');
  assert.ok(JSON.stringify(cut.detail.histograms).length <= HISTOGRAM_BYTES_PER_POST + kept.length);
});
