import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deadFraction, noiseScale, noiseTrace } from '../../../src/engine/stats';
import { Trainer } from '../../../src/engine/trainer';
import { dense, makeSpec, randomDataset } from './helpers';

test('noise scale B_simple = tr(Σ)/‖G‖² on a tiny hand case', () => {
  // Per-example gradients g₁ = (1, 0), g₂ = (3, 2): G = (2, 1), ‖G‖² = 5;
  // Σ‖gᵢ‖² = 1 + 13 = 14; tr(Σ) = (14 − 2·5)/(2 − 1) = 4 (= var of x 2 + var of y 2, unbiased); B = 4/5.
  const trace = noiseTrace(14, 5, 2);
  assert.equal(trace, 4);
  assert.equal(noiseScale(trace, 5), 0.8);
  assert.ok(Number.isNaN(noiseTrace(14, 5, 1)));
  assert.ok(Number.isNaN(noiseScale(1, 0)));
});

test('the trainer noise scale is the formula applied to its own per-example gradients', () => {
  const spec = makeSpec([dense(4, 'tanh'), dense(3)], { batchSize: 6 });
  const trainer = new Trainer({ spec, train: randomDataset(2, 6, [5], 3), validation: null });
  const s = trainer.trainStep();
  let sumSq = 0,
    gSq = 0;
  for (const ls of s.layers) {
    for (const kind of ['weight', 'bias'] as const) {
      const all = trainer.perExampleGradients(ls.layer, kind);
      const g = trainer.gradient(ls.layer, kind);
      for (const v of all) sumSq += v * v;
      for (const v of g) gSq += v * v;
    }
  }
  const expected = (sumSq - 6 * gSq) / 5 / gSq;
  assert.ok(Math.abs(s.noiseScale - expected) < 1e-10 * expected, `${s.noiseScale} vs ${expected}`);
});

test('dead fraction counts units that are zero for every example (dense units, conv channels)', () => {
  // 2 examples × 3 units: unit 0 alive in example 1, unit 1 dead, unit 2 alive.
  assert.equal(deadFraction(Float64Array.of(0, 0, 1, 2, 0, 0), 2, 3, 1), 1 / 3);
  // 1 example, 2 channels of 2 positions: channel 0 all zero, channel 1 has one non-zero.
  assert.equal(deadFraction(Float64Array.of(0, 0, 0, 5), 1, 4, 2), 1 / 2);
});

test('deadFraction is reported for ReLU layers (fused or standalone next) and null otherwise', () => {
  const spec = makeSpec([dense(4, 'relu'), dense(4), { type: 'relu' }, dense(3, 'tanh'), dense(3)], { batchSize: 4 });
  const trainer = new Trainer({ spec, train: randomDataset(3, 4, [5], 3), validation: null });
  // Make every unit of layer 0 dead: a huge negative bias.
  trainer.parameter(0, 'bias').fill(-1e3);
  const s = trainer.trainStep();
  const byLayer = new Map(s.layers.map((l) => [l.layer, l.deadFraction]));
  assert.equal(byLayer.get(0), 1);
  assert.equal(typeof byLayer.get(1), 'number');
  assert.equal(byLayer.get(3), null);
  assert.equal(byLayer.get(4), null);
});

test("stats levels: 'norms' skips cosines and dead units, 'none' skips everything per example", () => {
  const spec = makeSpec([dense(4, 'relu'), dense(3)], { batchSize: 4 });
  const data = randomDataset(3, 8, [5], 3);
  const full = new Trainer({ spec, train: data, validation: null, stats: 'full' }).trainStep();
  const norms = new Trainer({ spec, train: data, validation: null, stats: 'norms' }).trainStep();
  const none = new Trainer({ spec, train: data, validation: null, stats: 'none' }).trainStep();
  assert.deepEqual(norms.layers[0].perExampleNorms, full.layers[0].perExampleNorms);
  assert.equal(norms.layers[0].updateRatio, full.layers[0].updateRatio);
  assert.equal(norms.layers[0].cosineToMean.length, 0);
  assert.equal(norms.layers[0].deadFraction, null);
  assert.equal(full.layers[0].cosineToMean.length, 4);
  assert.equal(none.layers[0].perExampleNorms.length, 0);
  assert.ok(Number.isNaN(none.noiseScale));
  assert.equal(none.loss, full.loss);
});

test('updateRatio is ‖Δθ‖/‖θ_before‖ of the update actually applied', () => {
  const spec = makeSpec([dense(3), dense(2)], { batchSize: 3 });
  const trainer = new Trainer({ spec, train: randomDataset(4, 3, [4], 2), validation: null });
  const before = [...trainer.parameter(0, 'weight'), ...trainer.parameter(0, 'bias')];
  const s = trainer.trainStep();
  const after = [...trainer.parameter(0, 'weight'), ...trainer.parameter(0, 'bias')];
  const du = Math.hypot(...after.map((v, i) => v - before[i]));
  const w = Math.hypot(...before);
  assert.ok(Math.abs(s.layers[0].weightNorm - w) < 1e-12);
  assert.ok(Math.abs(s.layers[0].updateRatio - du / w) < 1e-12);
  // Plain SGD: Δθ = −γ·G exactly.
  const g = trainer.gradient(0, 'weight'),
    upd = trainer.lastUpdate(0, 'weight');
  for (let i = 0; i < g.length; i++) assert.ok(Math.abs(upd[i] + 0.1 * g[i]) < 1e-15);
});
