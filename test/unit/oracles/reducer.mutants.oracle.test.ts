// The snapshot reducer against outcomes written out by hand, aimed at what mutation testing found
// unguarded: the empty snapshot field by field, the caps an old snapshot falls back to, what
// clearing keeps (the pace, the caps), what a detail without a selection or heatmap leaves alone,
// the one-field messages (ranks, problems, pace), fractional caps, and the ranks of a step record.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  DEFAULT_LIMITS,
  appendHistograms,
  appendPoints,
  apply,
  clearRun,
  emptySnapshot,
  limitsOf,
  ranksStep,
  thinToCapacity,
} from '../../../src/run/reducer';
import type { Histogram, HostMessage, SessionSnapshot, StepPoint } from '../../../src/protocol';
import type { StepRecord } from '../../../src/run/source';

const point = (step: number, epoch = 1): StepPoint => ({
  step,
  epoch,
  examplesSeen: step,
  time: step,
  loss: 1 / step,
  accuracy: 0,
  noiseScale: 1,
  layers: [],
});
const histogram = (layer: number, step: number): Histogram => ({ layer, step, edges: [0, 1], counts: [1] });
const stepsOf = (h: StepPoint[]) => h.map((p) => p.step);

test('the empty snapshot, field by field, with its own copy of the caps', () => {
  const limits = { historyLength: 7, histogramsPerLayer: 3 };
  const s = emptySnapshot(limits);
  assert.deepEqual(s, {
    run: null,
    status: { state: 'idle', step: 0, epoch: 0 },
    history: [],
    epochs: [],
    histograms: [],
    detail: null,
    heatmapMode: 'grad',
    selection: null,
    gradCheck: null,
    compare: null,
    walkthrough: null,
    repeat: null,
    problems: null,
    pace: 0,
    ranks: null,
    limits: { historyLength: 7, histogramsPerLayer: 3 },
  });
  s.limits!.historyLength = 99;
  assert.equal(limits.historyLength, 7, "the caps passed in are not the snapshot's");
  assert.deepEqual(emptySnapshot().limits, { historyLength: 5000, histogramsPerLayer: 100 });
  assert.deepEqual(DEFAULT_LIMITS, { historyLength: 5000, histogramsPerLayer: 100 });
});

test('limitsOf: a snapshot with caps gives its own, one from an older holder the defaults', () => {
  const s = emptySnapshot({ historyLength: 12, histogramsPerLayer: 4 });
  assert.deepEqual(limitsOf(s), { historyLength: 12, histogramsPerLayer: 4 });
  delete s.limits;
  assert.deepEqual(limitsOf(s), { historyLength: 5000, histogramsPerLayer: 100 });
});

test('clearing a run keeps the pace and the caps and empties everything else', () => {
  const s = emptySnapshot({ historyLength: 9, histogramsPerLayer: 2 });
  apply(s, { type: 'pace', stepsPerSecond: 10 });
  apply(s, { type: 'steps', points: [point(1), point(2)] });
  apply(s, { type: 'status', status: { state: 'running', step: 2, epoch: 1 } });
  apply(s, { type: 'view', selection: { layer: 1, kind: 'bias', index: 0 }, heatmapMode: 'update' });
  clearRun(s);
  const expected = emptySnapshot({ historyLength: 9, histogramsPerLayer: 2 });
  expected.pace = 10;
  assert.deepEqual(s, expected);
  // A snapshot from before the pace existed clears to pace 0, not undefined.
  delete (s as Partial<SessionSnapshot>).pace;
  clearRun(s);
  assert.equal(s.pace, 0);
  // Keeping the comparison of a snapshot without a Repeat field gives null, not undefined.
  apply(s, { type: 'compare', result: { runs: [] } as never });
  delete (s as Partial<SessionSnapshot>).repeat;
  clearRun(s, true);
  assert.deepEqual([s.compare, s.repeat], [{ runs: [] }, null]);
});

test("a snapshot without caps is kept with the receiver's caps, and thinned and cut to them", () => {
  const s = emptySnapshot({ historyLength: 6, histogramsPerLayer: 1 });
  const incoming = emptySnapshot() as Partial<SessionSnapshot> & SessionSnapshot;
  delete incoming.limits;
  incoming.history = Array.from({ length: 8 }, (_, i) => point(i + 1));
  incoming.histograms = [histogram(0, 1), histogram(0, 2), histogram(1, 1)];
  incoming.pace = 3;
  apply(s, { type: 'snapshot', snapshot: incoming });
  assert.deepEqual(s.limits, { historyLength: 6, histogramsPerLayer: 1 });
  // 8 > 6: the older half [1..4] loses every other point → [1, 3, 5, 6, 7, 8].
  assert.deepEqual(stepsOf(s.history), [1, 3, 5, 6, 7, 8]);
  assert.deepEqual(
    s.histograms.map((h) => `${h.layer}:${h.step}`),
    ['0:2', '1:1'],
  );
  assert.equal(s.pace, 3, 'the rest of the snapshot is taken as sent');
  assert.equal(incoming.histograms.length, 3, "the sender's histograms are not cut");
});

test("a snapshot whose caps field is there but undefined is kept with the receiver's caps too", () => {
  const s = emptySnapshot({ historyLength: 5, histogramsPerLayer: 2 });
  // A structured clone (postMessage) keeps a property that is undefined; Object.assign copies it.
  const incoming = { ...emptySnapshot(), limits: undefined };
  apply(s, { type: 'snapshot', snapshot: incoming });
  assert.deepEqual(s.limits, { historyLength: 5, histogramsPerLayer: 2 });
});

test('a detail without a per-example card or heatmap leaves the selection and the heatmap mode alone', () => {
  const s = emptySnapshot();
  const selection = { layer: 0, kind: 'weight' as const, index: 2 };
  apply(s, { type: 'view', selection, heatmapMode: 'update' });
  const detail = { step: 4, epoch: 1, examples: [], imageShape: null, histograms: [], heatmap: null, perExample: null };
  assert.equal(apply(s, { type: 'detail', detail } as HostMessage), true);
  assert.deepEqual(s.selection, selection);
  assert.equal(s.heatmapMode, 'update');
  assert.equal(s.detail, detail);
});

test('status: a new NaN report replaces the held one; the status is a copy', () => {
  const s = emptySnapshot();
  const first = { layer: 0, example: 1, where: 'gradient' as const, message: 'first' };
  const second = { layer: 2, example: 0, where: 'loss' as const, message: 'second' };
  apply(s, { type: 'status', status: { state: 'paused', step: 1, epoch: 1, nonFinite: first } });
  const sent = { state: 'failed' as const, step: 2, epoch: 1, nonFinite: second };
  apply(s, { type: 'status', status: sent });
  assert.deepEqual(s.status.nonFinite, second);
  assert.notEqual(s.status, sent, 'the reducer keeps its own status object');
  // Held on a NaN, then a running status that carries a report keeps that report.
  apply(s, { type: 'status', status: { state: 'running', step: 3, epoch: 1, nonFinite: first } });
  assert.deepEqual(s.status.nonFinite, first);
  assert.deepEqual({ ...s.status, nonFinite: undefined }, { state: 'running', step: 3, epoch: 1, nonFinite: undefined });
});

test('the ranks, problems and pace messages set their field and ask for a redraw', () => {
  const s = emptySnapshot();
  const ranks = { step: 1, epoch: 1, batchSize: 2, learningRate: 0.1, mean: [], ranks: [], meanOfMeans: null };
  const problems = { file: 'a.json', problems: [] } as never;
  assert.equal(apply(s, { type: 'ranks', ranks }), true);
  assert.equal(apply(s, { type: 'problems', problems }), true);
  assert.equal(apply(s, { type: 'pace', stepsPerSecond: 25 }), true);
  assert.equal(s.ranks, ranks);
  assert.equal(s.problems, problems);
  assert.equal(s.pace, 25);
});

test('steps: the status takes the newest step and its epoch, keeping its state', () => {
  const s = emptySnapshot();
  apply(s, { type: 'status', status: { state: 'running', step: 0, epoch: 1 } });
  assert.equal(apply(s, { type: 'steps', points: [point(1, 1), point(2, 3)] }), true);
  assert.deepEqual(s.status, { state: 'running', step: 2, epoch: 3 });
});

test('fractional caps count whole points', () => {
  const seven = Array.from({ length: 7 }, (_, i) => point(i + 1));
  // floor(6.9) = 6: 7 points are thinned once → [1, 3, 4, 5, 6, 7].
  assert.deepEqual(stepsOf(thinToCapacity(seven.slice(), 6.9)), [1, 3, 4, 5, 6, 7]);
  // Live, a cap of 4.5 is 4: the fifth point thins [1, 2, 3, 4] to [1, 3, 4] first.
  const live: StepPoint[] = [];
  appendPoints(live, seven.slice(0, 5), 4.5);
  assert.deepEqual(stepsOf(live), [1, 3, 4, 5]);
  // A history at exactly its cap is thinned before the next point, not after.
  const full = seven.slice(0, 4);
  appendPoints(full, [point(5)], 5);
  assert.deepEqual(stepsOf(full), [1, 2, 3, 4, 5]);
  appendPoints(full, [point(6)], 5);
  assert.deepEqual(stepsOf(full), [1, 3, 4, 5, 6]);
});

test('appendPoints into an empty history keeps every point from step 1 on, and none at step 0', () => {
  const h: StepPoint[] = [];
  appendPoints(h, [point(0), point(1), point(3)], 10);
  assert.deepEqual(stepsOf(h), [1, 3]);
});

test('appendHistograms: at the cap a layer drops its oldest, not another layer’s', () => {
  const all = [histogram(1, 1), histogram(0, 1), histogram(0, 2)];
  appendHistograms(all, [histogram(0, 3)], 2);
  assert.deepEqual(
    all.map((h) => `${h.layer}:${h.step}`),
    ['1:1', '0:2', '0:3'],
  );
  appendHistograms(all, [histogram(0, 4)], 3);
  assert.deepEqual(
    all.map((h) => `${h.layer}:${h.step}`),
    ['1:1', '0:2', '0:3', '0:4'],
    'at exactly the cap nothing is dropped',
  );
});

function record(
  ranks: StepRecord['ranks'],
  meanOfMeans?: { layer: number; gradNorm: number; relativeDifference: number | null }[],
) {
  const layer = (i: number, g: number) => ({
    layer: i,
    gradNorm: g,
    weightNorm: 1,
    updateRatio: 0,
    perExampleNorms: [],
    cosineToMean: [],
    noiseScale: 0,
    deadFraction: null,
  });
  return {
    step: 7,
    epoch: 2,
    batchInEpoch: 0,
    batchSize: 5,
    examplesSeen: 35,
    loss: 1,
    perExampleLoss: [],
    accuracy: 0,
    exampleIndices: [],
    labels: [],
    predictions: [],
    layers: [layer(0, 0.5), layer(3, 1.5)],
    learningRate: 0.2,
    ranks,
    meanOfMeans,
  } as unknown as StepRecord & { meanOfMeans?: typeof meanOfMeans };
}

test('ranksStep: none without ranks; otherwise the record’s step, batch, rate, ‖G‖ per layer and copies of each rank', () => {
  assert.equal(ranksStep(record(undefined)), null);
  assert.equal(ranksStep(record([])), null);
  const rankLayers = [{ layer: 0, gradNorm: 0.7, cosineToMean: 0.9 }];
  const r = ranksStep(record([{ rank: 0, batchSize: 3, loss: 1.25, layers: rankLayers } as never]))!;
  assert.deepEqual(r, {
    step: 7,
    epoch: 2,
    batchSize: 5,
    learningRate: 0.2,
    mean: [
      { layer: 0, gradNorm: 0.5 },
      { layer: 3, gradNorm: 1.5 },
    ],
    ranks: [{ rank: 0, batchSize: 3, loss: 1.25, layers: [{ layer: 0, gradNorm: 0.7, cosineToMean: 0.9 }] }],
    meanOfMeans: null,
  });
  assert.notEqual(r.ranks[0].layers[0], rankLayers[0], 'a rank’s layers are copied');
  const mm = [{ layer: 0, gradNorm: 0.4, relativeDifference: 0.2 }];
  const withMeans = ranksStep(record([{ rank: 0, batchSize: 3, loss: 1, layers: [] } as never], mm))!;
  assert.deepEqual(withMeans.meanOfMeans, [{ layer: 0, gradNorm: 0.4, relativeDifference: 0.2 }]);
  assert.notEqual(withMeans.meanOfMeans![0], mm[0]);
});
