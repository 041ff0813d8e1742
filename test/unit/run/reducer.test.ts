// The one snapshot reducer the host, the webview and the recorder share: the same caps everywhere.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { apply, emptySnapshot, clearRun } from '../../../src/run/reducer';
import type { Histogram, StepPoint } from '../../../src/protocol';

const point = (step: number): StepPoint => ({
  step,
  epoch: 1,
  examplesSeen: step,
  time: step,
  loss: 1 / step,
  accuracy: 0,
  noiseScale: 1,
  layers: [],
});
const histogram = (layer: number, step: number): Histogram => ({ layer, step, edges: [0, 1], counts: [1] });

test("steps are kept within the snapshot's cap, first and newest steps exact, the status follows", () => {
  const s = emptySnapshot({ historyLength: 100, histogramsPerLayer: 3 });
  apply(s, { type: 'steps', points: Array.from({ length: 1000 }, (_, i) => point(i + 1)) });
  assert.ok(s.history.length <= 100);
  assert.equal(s.history[0].step, 1);
  assert.equal(s.history[s.history.length - 1].step, 1000);
  assert.equal(s.status.step, 1000);
  apply(s, { type: 'steps', points: [point(999), point(1001)] });
  assert.equal(s.history[s.history.length - 1].step, 1001, 'old points arriving late are dropped');
  assert.equal(s.history.filter((p) => p.step === 999).length <= 1, true);
});

test('a snapshot from a holder with other caps is kept with those caps', () => {
  const s = emptySnapshot();
  const incoming = emptySnapshot({ historyLength: 10, histogramsPerLayer: 2 });
  incoming.history = Array.from({ length: 50 }, (_, i) => point(i + 1));
  incoming.histograms = [histogram(0, 1), histogram(0, 2), histogram(0, 3), histogram(1, 1)];
  apply(s, { type: 'snapshot', snapshot: incoming });
  assert.ok(s.history.length <= 10);
  assert.deepEqual(s.limits, { historyLength: 10, histogramsPerLayer: 2 });
  assert.deepEqual(
    s.histograms.map((h) => `${h.layer}:${h.step}`),
    ['0:2', '0:3', '1:1'],
  );
});

test("details set what the views follow; the view message is the host's word on it", () => {
  const s = emptySnapshot();
  const selection = { layer: 0, kind: 'weight' as const, index: 3 };
  apply(s, {
    type: 'detail',
    detail: {
      step: 1,
      epoch: 1,
      examples: [],
      imageShape: null,
      histograms: [histogram(0, 1), histogram(0, 1)],
      heatmap: {
        layer: 0,
        kind: 'weight',
        mode: 'update',
        rows: 1,
        cols: 1,
        cellRows: 1,
        cellCols: 1,
        rowBlock: 1,
        colBlock: 1,
        values: [0],
        indices: [0],
        min: 0,
        max: 0,
      },
      perExample: {
        selection,
        paramName: 'w',
        perExample: [],
        mean: 0,
        learningRate: 0.1,
        optimizer: 'sgd',
        before: 0,
        after: 0,
        update: 0,
      },
    },
  });
  assert.deepEqual(s.selection, selection);
  assert.equal(s.heatmapMode, 'update');
  assert.equal(s.histograms.length, 1, 'a histogram is kept once');
  apply(s, { type: 'view', selection: null, heatmapMode: 'weight' });
  assert.equal(s.heatmapMode, 'weight');
});

test('a NaN report stays while the run is held on it, and goes when it trains on', () => {
  const s = emptySnapshot();
  const nonFinite = { layer: 1, example: 2, where: 'gradient' as const, message: 'NaN' };
  apply(s, { type: 'status', status: { state: 'paused', step: 3, epoch: 1, nonFinite } });
  apply(s, { type: 'status', status: { state: 'paused', step: 3, epoch: 1 } });
  assert.deepEqual(s.status.nonFinite, nonFinite);
  apply(s, { type: 'status', status: { state: 'running', step: 3, epoch: 1 } });
  assert.equal(s.status.nonFinite, undefined);
});

test('clearing a run keeps the caps, and the comparison when asked', () => {
  const s = emptySnapshot({ historyLength: 20, histogramsPerLayer: 5 });
  apply(s, { type: 'steps', points: [point(1)] });
  apply(s, {
    type: 'compare',
    result: { runs: [], summary: 'x', rateMode: 'file', examples: 0, sweepExamples: 0, seconds: 0, chosenBy: 'training' },
  });
  clearRun(s, true);
  assert.deepEqual([s.history.length, s.compare?.summary, s.limits?.historyLength], [0, 'x', 20]);
  clearRun(s);
  assert.equal(s.compare, null);
});
