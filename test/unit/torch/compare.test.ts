// The engine-vs-PyTorch comparison itself, on records whose differences are known.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { StepStats } from '../../../src/engine/types';
import { compareRuns, formatComparison, relativeDifference } from '../../../src/torch/compare';

const step = (n: number, gradNorm: number, perExample: number[]): StepStats => ({
  step: n,
  epoch: 1,
  batchInEpoch: n - 1,
  batchSize: perExample.length,
  examplesSeen: n * perExample.length,
  loss: 2,
  perExampleLoss: perExample.map(() => 2),
  accuracy: 0,
  exampleIndices: perExample.map((_, i) => i + n * 10),
  labels: [],
  predictions: [],
  noiseScale: NaN,
  learningRate: 0.1,
  nonFinite: null,
  layers: [
    {
      layer: 0,
      gradNorm,
      weightNorm: 3,
      updateRatio: 0.01,
      perExampleNorms: perExample,
      cosineToMean: [],
      noiseScale: NaN,
      deadFraction: null,
    },
  ],
});

test('the largest relative difference per layer and where it happened', () => {
  const engine = [step(1, 1, [1, 2]), step(2, 2, [1, 2])];
  const torch = [step(1, 1.001, [1, 2]), step(2, 2, [1, 2.2])];
  const c = compareRuns(engine, torch, new Map([[0, 'dense 4→2']]));
  assert.equal(c.steps, 2);
  assert.ok(Math.abs(c.layers[0].max.gradNorm.value - 1e-3) < 1e-12);
  assert.equal(c.layers[0].max.gradNorm.step, 1);
  assert.ok(Math.abs(c.layers[0].max.perExampleNorms.value - 0.1) < 1e-12);
  assert.equal(c.layers[0].max.perExampleNorms.step, 2);
  assert.ok(Math.abs(c.worst - 0.1) < 1e-12);
  assert.match(formatComparison(c, 2), /dense 4→2: ‖G‖ 1\.0e-3.*per-example ‖gᵢ‖ 1\.0e-1\n.*differ by up to 1\.0e-1/);
});

test('runs over other examples are refused; NaN against a number is an infinite difference', () => {
  const a = step(1, 1, [1]);
  const b = { ...step(1, 1, [1]), exampleIndices: [99] };
  assert.throws(() => compareRuns([a], [b], new Map()), /other examples than the engine/);
  assert.equal(relativeDifference(NaN, 1), Infinity);
  assert.equal(relativeDifference(0, 0), 0);
});
