// The health statistics of a step (gradient norm, weight norm, update ratio, per-example norms,
// cosine to the mean, noise scale B_simple, dead units), and the compact point the history keeps
// of them (src/session/detail.ts stepPoint), against a float64 recomputation from per-example
// gradients materialised by the reference backward pass.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Trainer, referenceBackend, type NamedTensor } from '../../../src/engine';
import type { ModelSpec } from '../../../src/model/spec';
import { stepPoint } from '../../../src/session/detail';
import { batchGradients, close, exampleInput, mlpSpec, optimizer, separable, type ExampleResult } from './reference';

const dot = (a: number[], b: number[]): number => a.reduce((s, v, i) => s + v * b[i], 0);
const norm = (a: number[]): number => Math.sqrt(dot(a, a));

/** Weights and bias of one layer as one flat vector, per example and for the mean. */
function layerVector(e: ExampleResult, layer: number): number[] {
  return [...e.grads.get(`layers[${layer}].weight`)!, ...e.grads.get(`layers[${layer}].bias`)!];
}

interface RefLayerStats {
  gradNorm: number;
  weightNorm: number;
  updateRatio: number;
  norms: number[];
  cosines: number[];
  trace: number;
  gSq: number;
  noiseScale: number;
}

function reference(ref: ExampleResult[], layer: number, before: NamedTensor[], after: NamedTensor[]): RefLayerStats {
  const per = ref.map((e) => layerVector(e, layer));
  const m = per.length;
  const G = per[0].map((_, j) => per.reduce((s, g) => s + g[j], 0) / m);
  const gSq = dot(G, G);
  const theta = before.filter((w) => w.layer === layer).flatMap((w) => w.value);
  const thetaAfter = after.filter((w) => w.layer === layer).flatMap((w) => w.value);
  const delta = thetaAfter.map((v, i) => v - theta[i]);
  // tr(Σ) from the definition: the unbiased covariance of the per-example gradients, summed over
  // coordinates (not from the Σ‖gᵢ‖² − M‖G‖² shortcut the engine uses).
  let trace = 0;
  for (let j = 0; j < G.length; j++) trace += per.reduce((s, g) => s + (g[j] - G[j]) ** 2, 0) / (m - 1);
  return {
    gradNorm: Math.sqrt(gSq),
    weightNorm: norm(theta),
    updateRatio: norm(delta) / norm(theta),
    norms: per.map(norm),
    // A zero gradient has no direction: the documented cosine is then 0.
    cosines: per.map((g) => (norm(g) * Math.sqrt(gSq) > 0 ? dot(g, G) / (norm(g) * Math.sqrt(gSq)) : 0)),
    trace,
    gSq,
    noiseScale: trace / gSq,
  };
}

const CASES: { name: string; spec: ModelSpec }[] = [
  { name: 'relu MLP, SGD', spec: mlpSpec({ batchSize: 6 }) },
  {
    name: 'three layers, momentum',
    spec: mlpSpec({
      batchSize: 8,
      layers: [
        { type: 'dense', units: 5, activation: 'tanh' },
        { type: 'dense', units: 4, activation: 'relu' },
        { type: 'dense', units: 3, activation: 'linear' },
      ],
      optimizer: optimizer({ learningRate: 0.02, momentum: 0.9 }),
    }),
  },
  { name: 'Adam, mse', spec: mlpSpec({ batchSize: 5, loss: 'mse', optimizer: optimizer({ type: 'adam', learningRate: 0.05 }) }) },
];

for (const { name, spec } of CASES) {
  test(`health statistics equal a float64 recomputation from the materialised per-example gradients (${name})`, () => {
    const train = separable(25, 4, 3, 31);
    const trainer = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64'), stats: 'full' });
    for (let step = 1; step <= 4; step++) {
      const before = trainer.getWeights();
      const stats = trainer.trainStep();
      const after = trainer.getWeights();
      const ref = batchGradients(spec, before, train, stats.exampleIndices);
      let trace = 0,
        gSq = 0;
      assert.deepEqual(
        stats.layers.map((l) => l.layer),
        spec.layers.map((_, i) => i),
        'one entry per dense layer, in order',
      );
      for (const l of stats.layers) {
        const r = reference(ref, l.layer, before, after);
        const at = `step ${step} layer ${l.layer}`;
        close(l.gradNorm, r.gradNorm, 1e-10, `${at} gradNorm`);
        close(l.weightNorm, r.weightNorm, 1e-12, `${at} weightNorm (before the update)`);
        close(l.updateRatio, r.updateRatio, 1e-8, `${at} updateRatio`);
        assert.equal(l.perExampleNorms.length, r.norms.length);
        r.norms.forEach((v, i) => close(l.perExampleNorms[i], v, 1e-10, `${at} ‖g${i}‖`));
        r.cosines.forEach((v, i) => close(l.cosineToMean[i], v, 1e-9, `${at} cos(g${i}, G)`));
        close(l.noiseScale, r.noiseScale, 1e-8, `${at} B_simple`);
        trace += r.trace;
        gSq += r.gSq;
        // The compact point the history and the health view keep.
        const p = stepPoint(stats, 1.5).layers.find((q) => q.layer === l.layer)!;
        const sorted = r.norms.slice().sort((a, b) => a - b);
        const mid = sorted.length / 2;
        const median = sorted.length % 2 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
        close(p.perExampleNormMin, sorted[0], 1e-10, `${at} point min`);
        close(p.perExampleNormMax, sorted[sorted.length - 1], 1e-10, `${at} point max`);
        close(p.perExampleNormMedian, median, 1e-10, `${at} point median`);
        close(p.cosineMean, r.cosines.reduce((a, b) => a + b, 0) / r.cosines.length, 1e-9, `${at} point mean cosine`);
        close(p.gradNorm, r.gradNorm, 1e-10, `${at} point gradNorm`);
        close(p.weightNorm, r.weightNorm, 1e-12, `${at} point weightNorm`);
        close(p.updateRatio, r.updateRatio, 1e-8, `${at} point updateRatio`);
        close(p.noiseScale, r.noiseScale, 1e-8, `${at} point B_simple`);
      }
      close(stats.noiseScale, trace / gSq, 1e-8, `step ${step} model-wide B_simple = Σ tr(Σ) / Σ ‖G‖²`);
      const point = stepPoint(stats, 1.5);
      assert.deepEqual(
        [point.step, point.epoch, point.examplesSeen, point.time],
        [stats.step, stats.epoch, stats.examplesSeen, 1.5],
      );
      close(point.loss, ref.reduce((s, e) => s + e.loss, 0) / ref.length, 1e-12, `step ${step} point loss`);
      close(point.noiseScale, trace / gSq, 1e-8, `step ${step} point B_simple`);
    }
  });
}

test('dead fraction counts the ReLU units that are zero for every example of the batch', () => {
  const spec = mlpSpec({
    batchSize: 7,
    layers: [
      { type: 'dense', units: 6, activation: 'relu' },
      { type: 'dense', units: 4, activation: 'relu' },
      { type: 'dense', units: 3, activation: 'linear' },
    ],
  });
  const train = separable(21, 4, 3, 41);
  const trainer = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64'), stats: 'full' });
  // Kill units 1 and 4 of layer 0 and unit 2 of layer 1 with a large negative bias; leave the rest alive.
  const w = trainer.getWeights();
  const set = (name: string, i: number, v: number): void => {
    w.find((t) => t.name === name)!.value[i] = v;
  };
  set('layers[0].bias', 1, -100);
  set('layers[0].bias', 4, -100);
  set('layers[1].bias', 2, -100);
  set('layers[0].bias', 0, 3);
  trainer.setWeights(w);
  const before = trainer.getWeights();
  const stats = trainer.trainStep();
  const ref = batchGradients(spec, before, train, stats.exampleIndices);
  for (const layer of [0, 1]) {
    const units = (spec.layers[layer] as { units: number }).units;
    let dead = 0;
    for (let u = 0; u < units; u++) if (ref.every((e) => e.outputs[layer][u] === 0)) dead++;
    assert.ok(dead > 0 && dead < units, `layer ${layer}: the setup has some dead and some live units (${dead}/${units})`);
    assert.equal(stats.layers[layer].deadFraction, dead / units, `layer ${layer} dead fraction`);
  }
  assert.equal(stats.layers[2].deadFraction, null, 'a linear output layer has no ReLU and so no dead units');
  const point = stepPoint(stats, 0);
  assert.deepEqual(
    point.layers.map((l) => l.deadFraction),
    stats.layers.map((l) => l.deadFraction),
  );
  // One example on its own: a unit alive for one example is alive for the batch.
  const one = exampleInput(train, stats.exampleIndices[0]);
  assert.equal(one.length, 4);
});

test("stats level 'norms' keeps the norms and the noise scale but leaves cosines and dead units out", () => {
  const spec = mlpSpec({ batchSize: 6 });
  const train = separable(18, 4, 3, 51);
  const full = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64'), stats: 'full' });
  const norms = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64'), stats: 'norms' });
  const before = norms.getWeights();
  const a = full.trainStep();
  const b = norms.trainStep();
  const ref = batchGradients(spec, before, train, b.exampleIndices);
  for (const l of b.layers) {
    const r = reference(ref, l.layer, before, norms.getWeights());
    close(l.gradNorm, r.gradNorm, 1e-10, 'norms level gradNorm');
    close(l.noiseScale, r.noiseScale, 1e-8, 'norms level B_simple');
    assert.deepEqual(l.cosineToMean, []);
    assert.equal(l.deadFraction, null);
    assert.ok(a.layers[l.layer].cosineToMean.length === b.batchSize, "the 'full' level has the cosines");
  }
});
