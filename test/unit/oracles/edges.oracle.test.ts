// Edge cases of the statistics and the step-through, each against a value worked out by hand or
// by the float64 reference: one-example batches, the 'none' stats level, zero weights, conv units
// that are dead at every position, the replay's per-layer norms, images and its error messages.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Trainer, referenceBackend } from '../../../src/engine';
import { deadFraction, noiseScale, noiseTrace } from '../../../src/engine/stats';
import { walkThroughBatch } from '../../../src/engine/walkthrough';
import type { Dataset } from '../../../src/data/dataset';
import { batchGradients, close, mlpSpec, optimizer, separable } from './reference';

test('noise trace and scale from their formulas: (Σ‖gᵢ‖² − M‖G‖²)/(M − 1) and tr/‖G‖², with the edge cases', () => {
  // g = (1, 0), (3, 0): G = (2, 0), Σ‖gᵢ‖² = 10, M‖G‖² = 8 → tr = 2/1 = 2; B = 2/4.
  assert.equal(noiseTrace(10, 4, 2), 2);
  assert.equal(noiseScale(2, 4), 0.5);
  // Three examples: Σ = 14, ‖G‖² = 4 → (14 − 12)/2 = 1.
  assert.equal(noiseTrace(14, 4, 3), 1);
  assert.ok(Number.isNaN(noiseTrace(5, 5, 1)), 'one example has no covariance');
  assert.equal(noiseTrace(7.999999, 4, 2), 0, 'rounding below zero is clamped to 0');
  assert.ok(Number.isNaN(noiseScale(1, 0)), 'no mean gradient, no scale');
});

test('dead fraction per unit over all its positions and all examples (a conv channel is a unit)', () => {
  // 2 examples × (3 units × 2 positions): unit 0 alive (example 1), unit 1 dead everywhere, unit 2 alive (position 1 of example 0).
  const out = Float64Array.from([0, 0, 0, 0, 0, 5, /* example 1 */ 0, 2, 0, 0, 0, 0]);
  assert.equal(deadFraction(out, 2, 6, 2), 1 / 3);
  assert.equal(deadFraction(out, 1, 6, 2), 2 / 3, 'only example 0: units 0 and 1 dead');
  assert.equal(deadFraction(new Float64Array(4), 2, 2, 1), 1);
  assert.equal(deadFraction(Float64Array.from([1, 0, 0, 1]), 2, 2, 1), 0);
  assert.equal(deadFraction(Float64Array.from([0, 0, 0, -0.5]), 1, 4, 4), 0, 'a negative (leaky) output is alive');
  // The buffer holds the largest batch; only the first m rows are this batch (the rest is stale).
  assert.equal(deadFraction(new Float64Array(6), 1, 2, 1), 1, 'two units, both dead, whatever lies after row m');
  assert.equal(deadFraction(Float64Array.from([0, 3, 0, 0, 0, 0]), 1, 2, 1), 0.5);
});

test('a one-example batch: per-example norm equals the gradient norm, every cosine is 1, no noise scale', () => {
  const spec = mlpSpec({ batchSize: 1 });
  const train = separable(3, 4, 3, 141);
  const trainer = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64') });
  const before = trainer.getWeights();
  const s = trainer.trainStep();
  const ref = batchGradients(spec, before, train, s.exampleIndices)[0];
  for (const l of s.layers) {
    const g = [...ref.grads.get(`layers[${l.layer}].weight`)!, ...ref.grads.get(`layers[${l.layer}].bias`)!];
    const n = Math.sqrt(g.reduce((a, v) => a + v * v, 0));
    close(l.gradNorm, n, 1e-12, 'gradNorm');
    close(l.perExampleNorms[0], n, 1e-12, '‖g₀‖');
    close(l.cosineToMean[0], 1, 1e-12, 'cos(g₀, G)');
    assert.ok(Number.isNaN(l.noiseScale), 'no layer noise scale with M = 1');
  }
  assert.ok(Number.isNaN(s.noiseScale), 'no model noise scale with M = 1');
});

test("stats level 'none' reports NaN norms and no per-example values, yet the step trains the same", () => {
  const spec = mlpSpec({ batchSize: 5 });
  const train = separable(10, 4, 3, 151);
  const a = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64'), stats: 'none' });
  const b = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64'), stats: 'full' });
  const sa = a.trainStep();
  const sb = b.trainStep();
  for (const l of sa.layers) {
    assert.ok([l.gradNorm, l.weightNorm, l.updateRatio, l.noiseScale].every(Number.isNaN), `layer ${l.layer}: NaN norms`);
    assert.deepEqual([l.perExampleNorms, l.cosineToMean, l.deadFraction], [[], [], null]);
  }
  assert.ok(Number.isNaN(sa.noiseScale));
  assert.equal(sa.loss, sb.loss);
  assert.deepEqual(a.getWeights(), b.getWeights(), 'the statistics level does not change the training');
});

test('update ratio with all-zero weights: 0 when nothing moves, ∞ when something does', () => {
  const spec = mlpSpec({ batchSize: 4, optimizer: optimizer({ learningRate: 0.5 }) });
  const train = separable(8, 4, 3, 161);
  const zero = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64') });
  zero.setWeights(zero.getWeights().map((w) => ({ ...w, value: w.value.map(() => 0) })));
  const s = zero.trainStep();
  // All weights zero: layer 0's gradient is zero (nothing flows back through zero weights) → it stays put.
  assert.equal(s.layers[0].weightNorm, 0);
  assert.equal(s.layers[0].gradNorm, 0);
  assert.equal(s.layers[0].updateRatio, 0);
  // Layer 1's bias gets the softmax error, so it moves away from zero weights: an infinite ratio.
  assert.ok(s.layers[1].gradNorm > 0);
  assert.equal(s.layers[1].updateRatio, Infinity);
});

test('step-through: per-layer norms of each example, its image, and its messages for a bad request', () => {
  const count = 12;
  const x = new Float32Array(count * 9).map((_, i) => ((i * 7) % 11) / 10 - 0.2);
  const train: Dataset = {
    name: 'img',
    inputShape: [1, 3, 3],
    numClasses: 3,
    count,
    x,
    y: Int32Array.from({ length: count }, (_, i) => i % 3),
  };
  const spec = mlpSpec({ batchSize: 4 });
  const trainer = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64') });
  const weights = trainer.getWeights();
  const indices = [2, 7, 11];
  const r = walkThroughBatch({ spec, train, indices, weights, selection: { layer: 1, kind: 'weight', index: 4 } });
  assert.equal(r.paramName, 'layers[1].weight[4]');
  assert.equal(r.learningRate, spec.optimizer.learningRate);
  assert.deepEqual(r.imageShape, [3, 3]);
  const ref = batchGradients(spec, weights, train, indices);
  r.examples.forEach((e, i) => {
    assert.deepEqual(
      e.image,
      Array.from(x.subarray(indices[i] * 9, indices[i] * 9 + 9), (v) => Math.round(Math.min(1, Math.max(0, v)) * 255)),
      `image ${i}, clamped to [0, 1]`,
    );
    assert.deepEqual(
      e.layerNorms.map((l) => l.layer),
      [0, 1],
    );
    for (const { layer, norm } of e.layerNorms) {
      const g = [...ref[i].grads.get(`layers[${layer}].weight`)!, ...ref[i].grads.get(`layers[${layer}].bias`)!];
      close(norm, Math.sqrt(g.reduce((a, v) => a + v * v, 0)), 1e-10, `example ${i} layer ${layer} ‖gᵢ‖`);
    }
  });
  // The replay runs on the backend the caller asks for: one per one-example run, one for the batch.
  let made = 0;
  walkThroughBatch({
    spec,
    train,
    indices,
    weights,
    selection: { layer: 0, kind: 'bias', index: 0 },
    backendFactory: (sp) => {
      made++;
      return referenceBackend(sp.dtype);
    },
  });
  assert.equal(made, indices.length + 1);
  const tab = separable(6, 4, 3, 171);
  const rt = walkThroughBatch({
    spec,
    train: tab,
    indices: [0, 1],
    weights: new Trainer({ spec, train: tab, validation: null }).getWeights(),
    selection: { layer: 0, kind: 'bias', index: 0 },
  });
  assert.equal(rt.imageShape, null);
  assert.ok(rt.examples.every((e) => e.image === null));
  assert.throws(
    () => walkThroughBatch({ spec, train, indices: [], weights, selection: { layer: 0, kind: 'weight', index: 0 } }),
    { message: 'The batch is empty.' },
  );
  assert.throws(
    () => walkThroughBatch({ spec, train, indices: [1], weights, selection: { layer: 2, kind: 'weight', index: 0 } }),
    { message: 'layers[2] has no weight.' },
  );
  assert.throws(() => walkThroughBatch({ spec, train, indices: [1], weights, selection: { layer: 0, kind: 'bias', index: 6 } }), {
    message: 'layers[0].bias has no entry 6.',
  });
  assert.throws(
    () => walkThroughBatch({ spec, train, indices: [1], weights, selection: { layer: 0, kind: 'bias', index: -1 } }),
    { message: 'layers[0].bias has no entry -1.' },
  );
  assert.deepEqual(trainer.getWeights(), weights, 'the replay leaves the watched weights alone');
});
