// The other numbers the panel draws from a step (src/session/detail.ts, heatmap.ts, histogram.ts):
// the heatmap in each mode against the reference gradient, θ and update; the default selection
// against the reference mean gradient; histograms against counts done by hand; example images
// against the raw pixels averaged by hand.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Trainer, referenceBackend } from '../../../src/engine';
import type { Dataset } from '../../../src/data/dataset';
import type { ModelSpec } from '../../../src/model/spec';
import { buildDetail, defaultSelection, gradientHistograms, isValidSelection } from '../../../src/session/detail';
import { buildHistogram } from '../../../src/session/histogram';
import { batchGradients, close, meanGradient, mlpSpec, optimizer, separable } from './reference';

test('heatmap cells show, per block, the reference entry of largest magnitude in grad, weight and update mode', () => {
  const spec = mlpSpec({
    layers: [
      { type: 'dense', units: 5, activation: 'relu' },
      { type: 'dense', units: 3, activation: 'linear' },
    ],
    batchSize: 6,
    optimizer: optimizer({ momentum: 0.9 }),
  });
  const train = separable(18, 7, 3, 111);
  const trainer = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64') });
  trainer.trainStep();
  const before = trainer.getWeights();
  const stats = trainer.trainStep();
  const after = trainer.getWeights();
  const ref = batchGradients(spec, before, train, stats.exampleIndices);
  const name = 'layers[0].weight';
  const sources = {
    grad: meanGradient(ref, name),
    weight: after.find((w) => w.name === name)!.value,
    update: after.find((w) => w.name === name)!.value.map((v, i) => v - before.find((w) => w.name === name)!.value[i]),
  };
  for (const mode of ['grad', 'weight', 'update'] as const) {
    // 7 inputs × 5 outputs in at most 3 × 3 cells: blocks of 3 rows × 2 columns.
    const d = buildDetail(trainer, stats, spec, train, {
      selection: { layer: 0, kind: 'weight', index: 0 },
      mode,
      heatmapMaxCells: 3,
      histograms: [],
    });
    const h = d.heatmap!;
    assert.deepEqual(
      [h.rows, h.cols, h.rowBlock, h.colBlock, h.cellRows, h.cellCols, h.mode, h.layer, h.kind],
      [7, 5, 3, 2, 3, 3, mode, 0, 'weight'],
    );
    const src = sources[mode];
    let lo = Infinity,
      hi = -Infinity;
    for (let cr = 0; cr < 3; cr++) {
      for (let cc = 0; cc < 3; cc++) {
        let best = -1;
        for (let r = cr * 3; r < Math.min(7, cr * 3 + 3); r++) {
          for (let c = cc * 2; c < Math.min(5, cc * 2 + 2); c++)
            if (best < 0 || Math.abs(src[r * 5 + c]) > Math.abs(src[best])) best = r * 5 + c;
        }
        const cell = cr * 3 + cc;
        assert.equal(h.indices[cell], best, `${mode} cell (${cr}, ${cc}) shows entry ${best}`);
        close(h.values[cell], src[best], 1e-3, `${mode} cell (${cr}, ${cc}) value (4 digits)`);
        lo = Math.min(lo, src[best]);
        hi = Math.max(hi, src[best]);
      }
    }
    close(h.min, lo, 1e-3, `${mode} min`);
    close(h.max, hi, 1e-3, `${mode} max`);
  }
  // A bias is one row.
  const b = buildDetail(trainer, stats, spec, train, {
    selection: { layer: 1, kind: 'bias', index: 2 },
    mode: 'grad',
    heatmapMaxCells: 8,
    histograms: [],
  }).heatmap!;
  assert.deepEqual([b.rows, b.cols, b.cellRows, b.cellCols], [1, 3, 1, 3]);
  meanGradient(ref, 'layers[1].bias').forEach((g, i) => close(b.values[i], g, 1e-3, `bias cell ${i}`));
});

test('the default selection is the first layer weight with the largest reference batch gradient; selections are range-checked', () => {
  const spec = mlpSpec({ batchSize: 5 });
  const train = separable(15, 4, 3, 121);
  const trainer = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64') });
  const before = trainer.getWeights();
  const stats = trainer.trainStep();
  const g = meanGradient(batchGradients(spec, before, train, stats.exampleIndices), 'layers[0].weight');
  const best = g.reduce((k, v, i) => (Math.abs(v) > Math.abs(g[k]) ? i : k), 0);
  assert.ok(best > 0, 'the largest entry is not the first one, so a search that stops early shows');
  assert.deepEqual(defaultSelection(trainer), { layer: 0, kind: 'weight', index: best });
  assert.equal(isValidSelection(trainer, { layer: 0, kind: 'weight', index: 23 }), true, '4 × 6 = 24 weights');
  assert.equal(isValidSelection(trainer, { layer: 0, kind: 'weight', index: 24 }), false);
  assert.equal(isValidSelection(trainer, { layer: 0, kind: 'weight', index: -1 }), false);
  assert.equal(isValidSelection(trainer, { layer: 0, kind: 'weight', index: 1.5 }), false);
  assert.equal(isValidSelection(trainer, { layer: 1, kind: 'bias', index: 2 }), true);
  assert.equal(isValidSelection(trainer, { layer: 1, kind: 'bias', index: 3 }), false);
  assert.equal(isValidSelection(trainer, { layer: 2, kind: 'weight', index: 0 }), false, 'no layer 2');
  const none = buildDetail(trainer, stats, spec, train, {
    selection: { layer: 5, kind: 'weight', index: 0 },
    mode: 'grad',
    heatmapMaxCells: 8,
    histograms: [],
  });
  assert.equal(none.perExample, null, 'a selection of a missing layer shows no per-example view');
  assert.equal(none.heatmap, null);
});

test('histograms: symmetric linear edges up to the largest finite |value|, every finite value counted once in its bin', () => {
  const values = Float64Array.from([-2, -1.5, -0.25, 0, 0.1, 0.9, 1, 2, NaN, Infinity]);
  const h = buildHistogram(values, 3, 17, 4);
  assert.deepEqual([h.layer, h.step], [3, 17]);
  assert.deepEqual(h.edges, [-2, -1, 0, 1, 2]);
  // [-2,-1): −2, −1.5; [-1,0): −0.25; [0,1): 0, 0.1, 0.9; [1,2]: 1, 2 (the top edge is in the last bin).
  assert.deepEqual(h.counts, [2, 1, 3, 2]);
  const zeros = buildHistogram(new Float64Array(5), 0, 1, 2);
  assert.deepEqual(zeros.counts, [0, 5], 'all zeros: one bin holds them all');
  assert.ok(zeros.edges[0] < 0 && zeros.edges[2] > 0 && zeros.edges[1] === 0);
  // Per layer, from the engine's batch weight gradient: counts add up to the tensor's size.
  const spec: ModelSpec = mlpSpec({ batchSize: 4 });
  const train = separable(8, 4, 3, 131);
  const trainer = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64') });
  const before = trainer.getWeights();
  const stats = trainer.trainStep();
  const hs = gradientHistograms(trainer, 1);
  assert.deepEqual(
    hs.map((x) => [x.layer, x.step, x.counts.reduce((a, b) => a + b, 0)]),
    [
      [0, 1, 24],
      [1, 1, 18],
    ],
  );
  const g0 = meanGradient(batchGradients(spec, before, train, stats.exampleIndices), 'layers[0].weight');
  close(hs[0].edges[hs[0].edges.length - 1], Math.max(...g0.map(Math.abs)), 1e-3, 'top edge = largest |G|');
});

/** One full-batch step on `count` grey h×w images with pixel i = pixel(i): the detail it yields, and the pixels. */
function imageDetail(count: number, h: number, w: number, pixel: (i: number) => number) {
  const x = new Float32Array(count * h * w).map((_, i) => pixel(i));
  const train: Dataset = {
    name: 'img',
    inputShape: [1, h, w],
    numClasses: 2,
    count,
    x,
    y: Int32Array.from({ length: count }, (_, i) => i % 2),
  };
  const spec: ModelSpec = {
    ...mlpSpec(),
    layers: [{ type: 'dense', units: 2, activation: 'linear' }],
    batchSize: count,
    epochs: 1,
  };
  const trainer = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64') });
  const stats = trainer.trainStep();
  return {
    x,
    d: buildDetail(trainer, stats, spec, train, { selection: null, mode: 'grad', heatmapMaxCells: 8, histograms: [] }),
  };
}

test('example images: pixels 0–255 of the raw input, shrunk by whole blocks to fit the budget', () => {
  const { x, d } = imageDetail(40, 5, 3, (i) => ((i * 37) % 101) / 100);
  // 32 images of 5×3 = 480 pixels fit the 10 000 budget: full size; the 8 beyond the first 32 have none.
  assert.deepEqual(d.imageShape, [5, 3]);
  assert.equal(d.examples.filter((e) => e.image !== null).length, 32);
  d.examples.forEach((e, i) => {
    if (i >= 32) return assert.equal(e.image, null);
    const raw = Array.from(x.subarray(e.index * 15, e.index * 15 + 15), (v) => Math.round(v * 255));
    assert.deepEqual(e.image, raw, `example ${i} image`);
  });
  // Tabular data has no images.
  const tab = separable(6, 4, 3, 1);
  const t2 = new Trainer({ spec: mlpSpec({ batchSize: 6 }), train: tab, validation: null, backend: referenceBackend('float64') });
  const d2 = buildDetail(t2, t2.trainStep(), mlpSpec(), tab, {
    selection: null,
    mode: 'grad',
    heatmapMaxCells: 8,
    histograms: [],
  });
  assert.equal(d2.imageShape, null);
  assert.ok(d2.examples.every((e) => e.image === null));
});

test('example images larger than the budget are averaged over f × f blocks, edge blocks over what they cover', () => {
  const h = 29,
    w = 30;
  const { x, d } = imageDetail(32, h, w, (i) => ((i * 13) % 97) / 96);
  // 32 · ⌈29/f⌉ · ⌈30/f⌉ ≤ 10 000 first at f = 2: 32 · 15 · 15 = 7200.
  assert.deepEqual(d.imageShape, [15, 15]);
  const e = d.examples[5];
  const base = e.index * h * w;
  const px = (r: number, c: number): number => {
    const vals: number[] = [];
    for (let y = 2 * r; y < Math.min(h, 2 * r + 2); y++)
      for (let xx = 2 * c; xx < Math.min(w, 2 * c + 2); xx++) vals.push(x[base + y * w + xx]);
    return Math.round((vals.reduce((a, b) => a + b, 0) / vals.length) * 255);
  };
  for (const [r, c] of [
    [0, 0],
    [3, 7],
    [14, 0],
    [14, 14],
    [7, 14],
  ])
    assert.equal(e.image![r * 15 + c], px(r, c), `pixel (${r}, ${c})`);
});
