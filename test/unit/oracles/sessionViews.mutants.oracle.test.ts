// What the worker builds for the views (src/session: the heatmap, the step point's per-example
// norm summary, the default selection, the example images, the histograms, the bounded history),
// each checked against a value worked out by hand from the inputs, never against an array the code
// under test produced. Written for the survivors of Stryker over src/session/{detail,heatmap,
// histogram,history}.ts (test/unit/oracles/SCORES.md, 2026-12-04).

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Trainer, referenceBackend } from '../../../src/engine';
import type { LayerStepStats, StepStats } from '../../../src/engine/types';
import type { Dataset } from '../../../src/data/dataset';
import type { ModelSpec } from '../../../src/model/spec';
import type { StepPoint } from '../../../src/protocol';
import {
  buildDetail,
  defaultSelection,
  gradientHistograms,
  imageShrinkFactor,
  isValidSelection,
  stepPoint,
  type TrainerView,
} from '../../../src/session/detail';
import { buildHeatmap, matrixView } from '../../../src/session/heatmap';
import { StepHistory } from '../../../src/session/history';
import { dense, makeSpec, randomDataset } from '../engine/helpers';

const meta = { layer: 0, kind: 'weight' as const, mode: 'grad' as const };

test('heatmap: the colour range spans the finite cells only, an infinite cell shows as ∞ outside it', () => {
  // a dense weight [in 2, out 2] at one entry per cell: cells are the entries themselves
  const h = buildHeatmap(Float64Array.from([1, Infinity, -2, 0.5]), matrixView('weight', [2, 2]), 16, meta);
  assert.deepEqual(h.values, [1, Infinity, -2, 0.5]);
  assert.equal(h.min, -2);
  assert.equal(h.max, 1);
});

test('heatmap: with no finite cell the range is 0…0; with one value everywhere it is that value', () => {
  const nan = buildHeatmap(Float64Array.from([NaN, NaN, NaN, NaN]), matrixView('weight', [2, 2]), 16, meta);
  assert.deepEqual([nan.min, nan.max], [0, 0]);
  const flat = buildHeatmap(Float64Array.from([0.3, 0.3, 0.3, 0.3]), matrixView('weight', [2, 2]), 16, meta);
  assert.deepEqual([flat.min, flat.max], [0.3, 0.3]);
});

test('heatmap: of entries of equal magnitude a cell shows the first in reading order (the same tensor, the same picture)', () => {
  // one cell over the whole [1, 3] weight: |0.5| = |−0.5| > |0.2|, so entry 0
  const h = buildHeatmap(Float64Array.from([0.5, -0.5, 0.2]), matrixView('weight', [1, 3]), 1, meta);
  assert.deepEqual([h.cellRows, h.cellCols], [1, 1]);
  assert.deepEqual(h.values, [0.5]);
  assert.deepEqual(h.indices, [0]);
});

const layerStats = (perExampleNorms: number[]): LayerStepStats => ({
  layer: 0,
  gradNorm: 1,
  weightNorm: 1,
  updateRatio: 0.01,
  perExampleNorms,
  cosineToMean: perExampleNorms.map(() => 0.5),
  noiseScale: 1,
  deadFraction: null,
});

const stats = (layers: LayerStepStats[], exampleIndices: number[]): StepStats => ({
  step: 1,
  epoch: 1,
  batchInEpoch: 0,
  batchSize: exampleIndices.length,
  examplesSeen: exampleIndices.length,
  loss: 1,
  perExampleLoss: exampleIndices.map(() => 1),
  accuracy: 0,
  exampleIndices,
  labels: exampleIndices.map(() => 0),
  predictions: exampleIndices.map(() => 0),
  layers,
  noiseScale: 1,
  learningRate: 0.1,
  nonFinite: null,
});

test('the step point: min, median and max of an odd number of per-example norms (the middle one)', () => {
  const p = stepPoint(stats([layerStats([3, 1, 2])], [0, 1, 2]), 0);
  assert.deepEqual([p.layers[0].perExampleNormMin, p.layers[0].perExampleNormMedian, p.layers[0].perExampleNormMax], [1, 2, 3]);
});

/** A trainer view over fixed arrays: what the default selection reads when no per-example tensor is at hand. */
function fixedView(gradient: number[]): TrainerView {
  const shape = [1, gradient.length];
  return {
    layers: [{ index: 0, type: 'dense', params: [{ kind: 'weight', name: 'L0.W', shape }] }] as TrainerView['layers'],
    perExampleGradient: () => [],
    parameter: () => new Float64Array(gradient.length),
    gradient: () => Float64Array.from(gradient),
    lastUpdate: () => new Float64Array(gradient.length),
    step: 1,
  };
}

test('default selection without per-example tensors: the largest |G| entry, the first of equal ones', () => {
  assert.deepEqual(defaultSelection(fixedView([0.1, -0.7, 0.3])), { layer: 0, kind: 'weight', index: 1 });
  assert.deepEqual(defaultSelection(fixedView([0.5, -0.5, 0.2])), { layer: 0, kind: 'weight', index: 0 });
});

test('a selection at index 0 is valid, one past the end is not', () => {
  const view = fixedView([0.1, 0.2, 0.3]);
  assert.equal(isValidSelection(view, { layer: 0, kind: 'weight', index: 0 }), true);
  assert.equal(isValidSelection(view, { layer: 0, kind: 'weight', index: 2 }), true);
  assert.equal(isValidSelection(view, { layer: 0, kind: 'weight', index: 3 }), false);
  assert.equal(isValidSelection(view, { layer: 0, kind: 'weight', index: -1 }), false);
});

test('the image shrink factor at its edges: an exact fit, a budget that even 1 pixel an image exceeds, a thin image', () => {
  assert.equal(imageShrinkFactor(1, 100, 100), 1); // 10,000 pixels: exactly the budget
  assert.equal(imageShrinkFactor(20000, 2, 2), 2); // never past the image's own size
  assert.equal(imageShrinkFactor(20000, 1, 10), 10); // the longer side bounds the factor
});

test('a small batch of digits gets its images at full size (the budget shared by the batch, not by 32)', () => {
  const count = 4;
  const x = new Float32Array(count * 784).map((_, i) => ((i * 37) % 256) / 255);
  const train: Dataset = { name: 'digits', inputShape: [1, 28, 28], numClasses: 10, count, x, y: new Int32Array(count) };
  // no selection: the trainer and the spec are not read
  const detail = buildDetail({} as TrainerView, stats([], [0, 1, 2, 3]), {} as ModelSpec, train, {
    selection: null,
    mode: 'grad',
    heatmapMaxCells: 16,
    histograms: [],
  });
  assert.deepEqual(detail.imageShape, [28, 28]);
  // pixel 5 of example 2: x = ((2·784 + 5)·37 mod 256)/255, shown as round(x·255)
  assert.equal(detail.examples[2].image![5], ((2 * 784 + 5) * 37) % 256);
});

test('histograms: one per layer with a weight, each over all of that weight gradient', () => {
  const train = randomDataset(3, 8, [5], 3);
  const spec = makeSpec([dense(4, 'relu'), { type: 'tanh' }, dense(3)], { batchSize: 8 });
  const trainer = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64') });
  trainer.trainStep();
  const weighted = trainer.layers.filter((l) => l.params.length > 0).map((l) => l.index);
  assert.equal(trainer.layers.length, 3, 'the activation is a layer of its own');
  const histograms = gradientHistograms(trainer, 1);
  assert.deepEqual(
    histograms.map((h) => h.layer),
    weighted,
  );
  // every finite entry counted once: 5·4 and 4·3 weights
  assert.deepEqual(
    histograms.map((h) => h.counts.reduce((a, b) => a + b, 0)),
    [20, 12],
  );
});

const point = (step: number): StepPoint => ({
  step,
  epoch: 1,
  examplesSeen: step,
  time: step,
  loss: 1,
  accuracy: 0,
  noiseScale: 1,
  layers: [],
});

test('the history: a raised capacity keeps every point; its array is a copy', () => {
  const h = new StepHistory(4);
  h.setCapacity(100);
  h.push(Array.from({ length: 50 }, (_, i) => point(i + 1)));
  assert.equal(h.length, 50);
  const copy = h.toArray();
  copy.length = 0;
  assert.equal(h.toArray().length, 50, 'emptying the array toArray() returned changed the history');
});
