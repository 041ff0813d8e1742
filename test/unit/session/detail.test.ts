import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Trainer, referenceBackend, Rng, type NamedTensor } from '../../../src/engine';
import type { Dataset } from '../../../src/data/dataset';
import type { ModelSpec } from '../../../src/model/spec';
import {
  MAX_PER_EXAMPLE_ELEMENTS,
  buildDetail,
  defaultSelection,
  imageShrinkFactor,
  stepPoint,
} from '../../../src/session/detail';
import { createWasmBackendSync } from '../../../src/engine/wasm/backend';
import { mostVariedWeight } from '../../../src/engine/walkthrough';
import { makeSpec, randomDataset } from '../engine/helpers';
import { batchOfOneGradients, engineGradient } from '../oracles/batchOfOne';
import { optimizer } from '../oracles/reference';

test('example images shrink by the smallest whole factor that fits the pixel budget', () => {
  assert.equal(imageShrinkFactor(1, 28, 28), 1);
  assert.equal(imageShrinkFactor(12, 28, 28), 1); // 9408 pixels
  assert.equal(imageShrinkFactor(13, 28, 28), 2); // 10192 > 10000
  assert.equal(imageShrinkFactor(32, 28, 28), 2); // 32 · 14 · 14 = 6272
  assert.equal(imageShrinkFactor(32, 28, 28, 1000), 6); // 32 · 5 · 5 = 800
});

test('a detail of a real step: per-example gradients of the selection, its update, examples with images', () => {
  const rng = new Rng(4);
  const count = 24;
  const x = new Float32Array(count * 36).map(() => rng.next());
  const y = Int32Array.from({ length: count }, (_, i) => i % 3);
  const train: Dataset = { name: 'tiny', inputShape: [1, 6, 6], numClasses: 3, count, x, y };
  const spec: ModelSpec = {
    name: 't',
    seed: 2,
    dtype: 'float64',
    data: { source: 'tiny', validationSplit: 0 },
    layers: [
      { type: 'conv2d', filters: 2, kernelSize: 3, stride: 1, padding: 'valid', activation: 'relu' },
      { type: 'flatten' },
      { type: 'dense', units: 3, activation: 'linear' },
    ],
    loss: 'cross-entropy',
    optimizer: optimizer({ learningRate: 0.5 }),
    batchSize: 8,
    epochs: 1,
  };
  const trainer = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64') });
  const weightsBefore = trainer.getWeights();
  const stats = trainer.trainStep();
  const selection = defaultSelection(trainer);
  assert.ok(selection);
  assert.equal(selection.layer, 0);
  const detail = buildDetail(trainer, stats, spec, train, { selection, mode: 'grad', heatmapMaxCells: 48, histograms: [] });
  assert.ok(detail.perExample && detail.heatmap);
  const g = detail.perExample.perExample;
  assert.equal(g.length, 8);
  // Each bar is that example's own gradient: a fresh network at the weights before the step, run on that example alone.
  const own = batchOfOneGradients(spec, train, weightsBefore, stats.exampleIndices, selection);
  assert.ok(new Set(own).size > 1, 'the examples pull differently on this weight, so a bar in the wrong place shows');
  g.forEach((v, i) => assert.ok(Math.abs(v - own[i]) <= 1e-9 * Math.max(...own.map(Math.abs)), `bar ${i}: ${v} vs ${own[i]}`));
  // The mean against the batch backward pass, of the run and of a fresh network over the same batch.
  const batch = engineGradient(spec, train, weightsBefore, stats.exampleIndices, selection);
  assert.ok(Math.abs(detail.perExample.mean - batch) < 1e-12, `mean ${detail.perExample.mean} vs fresh batch ${batch}`);
  assert.ok(
    Math.abs(detail.perExample.mean - trainer.gradient(0, 'weight')[selection.index]) < 1e-12,
    'the mean is the batch gradient',
  );
  // Plain SGD: θ before and after are the weights read before and after the step, the update −γ·G.
  const theta = (w: NamedTensor[]) => w.find((t) => t.layer === 0 && t.kind === 'weight')!.value[selection.index];
  assert.ok(Math.abs(detail.perExample.before - theta(weightsBefore)) < 1e-12, 'θ before');
  assert.ok(Math.abs(detail.perExample.after - theta(trainer.getWeights())) < 1e-12, 'θ after');
  assert.ok(Math.abs(detail.perExample.update - -0.5 * batch) < 1e-12, 'update = −γ·G');
  // Conv weights [2, 1, 3, 3] as rows = 9, cols = 2.
  assert.deepEqual([detail.heatmap.rows, detail.heatmap.cols], [9, 2]);
  assert.deepEqual(detail.imageShape, [6, 6]);
  assert.equal(detail.examples.length, 8);
  const first = detail.examples[0];
  assert.deepEqual(
    first.image,
    Array.from(x.subarray(first.index * 36, first.index * 36 + 36), (v) => Math.round(v * 255)),
  );
  assert.equal(first.label, y[first.index]);
  const point = stepPoint(stats, 0.5);
  assert.equal(point.layers.length, 2);
  assert.ok(point.layers[0].perExampleNormMin <= point.layers[0].perExampleNormMedian);
  assert.ok(point.layers[0].perExampleNormMedian <= point.layers[0].perExampleNormMax);
});

test('the first detail of a full batch (10,000 × 784-512-10) reads no per-example weight tensor beyond the bound', () => {
  const spec = makeSpec(
    [
      { type: 'dense', units: 512, activation: 'relu' },
      { type: 'dense', units: 10, activation: 'linear' },
    ],
    { batchSize: 10000, dtype: 'float32' },
  );
  const train = randomDataset(3, 10000, [784], 10);
  const backend = createWasmBackendSync();
  const trainer = new Trainer({ spec, train, validation: null, backend });
  const stats = trainer.trainStep();
  const before = backend.memoryInfo().allocatedBytes;
  const selection = defaultSelection(trainer, stats.batchSize);
  assert.ok(selection);
  const detail = buildDetail(trainer, stats, spec, train, { selection, mode: 'grad', heatmapMaxCells: 64, histograms: [] });
  const grown = backend.memoryInfo().allocatedBytes - before;
  // all of layer 0's gᵢ(W) would be 10,000 × 401,408 floats (16 GB)
  assert.ok(grown <= MAX_PER_EXAMPLE_ELEMENTS * 4, `the first detail allocated ${grown} bytes`);
  assert.equal(backend.memoryInfo().outsideAllocs, 0, 'nothing allocated outside the WASM memory either');
  const g = trainer.gradient(0, 'weight');
  const largest = argmaxAbs(g);
  assert.deepEqual(selection, { layer: 0, kind: 'weight', index: largest });
  assert.equal(detail.perExample?.perExample.length, 10000);
  assert.ok(Math.abs(detail.perExample!.mean - g[largest]) <= 1e-4 * Math.abs(g[largest]), 'the M values average to G');
});

test('below the bound the default is the most varied weight; a layer over it is not searched', () => {
  const spec = makeSpec(
    [
      { type: 'dense', units: 6, activation: 'tanh' },
      { type: 'dense', units: 3, activation: 'linear' },
    ],
    { batchSize: 8, dtype: 'float64' },
  );
  const trainer = new Trainer({
    spec,
    train: randomDataset(5, 16, [5], 3),
    validation: null,
    backend: referenceBackend('float64'),
  });
  trainer.trainStep();
  assert.deepEqual(defaultSelection(trainer, 8), mostVariedWeight(trainer, 8));
  const g = trainer.gradient(0, 'weight');
  const largest = argmaxAbs(g);
  // 8 × 30 elements in layer 0: a bound below that leaves no layer to search
  assert.deepEqual(defaultSelection(trainer, 8, 8 * 30 - 1), { layer: 0, kind: 'weight', index: largest });
  // layer 0 fits, layer 1 (8 × 18) does not: the most varied weight of layer 0 alone
  const firstOnly = mostVariedWeight(
    { layers: trainer.layers.slice(0, 1), perExampleGradients: (L, k) => trainer.perExampleGradients(L, k) },
    8,
  );
  assert.deepEqual(defaultSelection(trainer, 8, 8 * 30), firstOnly);
});

function argmaxAbs(g: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[best])) best = i;
  return best;
}
