import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { walkThroughBatch } from '../../../src/engine/walkthrough';
import { Trainer } from '../../../src/engine';
import { loadDataset } from '../../../src/data/load';
import { parseModel } from '../../../src/model';

const media = path.resolve(__dirname, '../../../media');
const spec = parseModel(`{
  "seed": 5, "dtype": "float64", "data": { "source": "mnist", "limit": 64, "validationSplit": 0 },
  "layers": [ { "type": "conv2d", "filters": 2, "kernelSize": 3, "stride": 2, "activation": "relu" }, { "type": "flatten" },
              { "type": "dense", "units": 12, "activation": "tanh" }, { "type": "dense", "units": 10 } ],
  "optimizer": { "learningRate": 0.1, "momentum": 0.9 }, "batchSize": 8, "epochs": 1 }`).spec!;

test('each example is run on its own; their mean is the batch gradient, and the one update uses it', async () => {
  const { train } = await loadDataset(spec.data, { dataPath: null, labelsPath: null, mediaDir: media, seed: spec.seed });
  const run = new Trainer({ spec, train, validation: null });
  run.trainStep();
  const weights = run.getWeights();
  const indices = [3, 17, 22, 40, 41, 5];
  for (const selection of [{ layer: 0, kind: 'weight' as const, index: 7 }, { layer: 2, kind: 'bias' as const, index: 4 }, { layer: 3, kind: 'weight' as const, index: 55 }]) {
    const r = walkThroughBatch({ spec, train, indices, weights, selection });
    assert.equal(r.examples.length, indices.length);
    const mean = r.examples.reduce((a, e) => a + e.gradient, 0) / indices.length;
    assert.ok(Math.abs(mean - r.batchGradient) <= 1e-12 * Math.max(1, Math.abs(mean)), `${mean} vs ${r.batchGradient}`);
    assert.equal(r.examples[indices.length - 1].runningMean, r.examples[indices.length - 1].runningSum / indices.length);
    assert.equal(r.after, r.before - 0.1 * mean);
    assert.deepEqual(r.examples.map((e) => e.index), indices);
    assert.deepEqual(r.examples.map((e) => e.label), indices.map((k) => train.y[k]));
    assert.equal(r.examples[0].image?.length, 784);
  }
  assert.deepEqual(run.getWeights(), weights, 'the watched run is untouched');
});

test('the per-example gradients agree with the engine\'s per-example path on the same batch', async () => {
  const { train } = await loadDataset(spec.data, { dataPath: null, labelsPath: null, mediaDir: media, seed: spec.seed });
  const run = new Trainer({ spec, train, validation: null });
  const weights = run.getWeights();
  run.trainStep();
  const indices = run.lastBatchInputs().indices;
  const selection = { layer: 2, kind: 'weight' as const, index: 100 };
  const fromBatch = run.perExampleGradient(selection);
  const r = walkThroughBatch({ spec, train, indices, weights, selection });
  r.examples.forEach((e, i) => assert.ok(Math.abs(e.gradient - fromBatch[i]) <= 1e-12 * Math.max(1, Math.abs(e.gradient)), `example ${i}`));
});

test('with plain SGD the walkthrough\'s single update equals the Trainer\'s own step on that batch', async () => {
  const sgd = { ...spec, optimizer: { ...spec.optimizer, momentum: 0 } };
  const { train } = await loadDataset(sgd.data, { dataPath: null, labelsPath: null, mediaDir: media, seed: sgd.seed });
  const run = new Trainer({ spec: sgd, train, validation: null });
  const weights = run.getWeights();
  run.trainStep();
  const indices = run.lastBatchInputs().indices;
  const after = run.getWeights();
  // For every parameter tensor, the entry this step moved most.
  const selections = after.map((w, t) => {
    let best = 0;
    w.value.forEach((v, k) => { if (Math.abs(v - weights[t].value[k]) > Math.abs(w.value[best] - weights[t].value[best])) best = k; });
    return { layer: w.layer, kind: w.kind, index: best };
  });
  assert.equal(selections.length, 6);
  for (const selection of selections) {
    const r = walkThroughBatch({ spec: sgd, train, indices, weights, selection });
    const trained = after.find((w) => w.layer === selection.layer && w.kind === selection.kind)!.value[selection.index];
    assert.notEqual(r.before, trained, 'the step must move this weight for the comparison to mean anything');
    assert.ok(Math.abs(r.after - trained) <= 1e-13 * Math.max(1, Math.abs(trained)), `${r.after} vs ${trained}`);
  }
});
