import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { lastUpdateTerms, mostVariedWeight, walkThroughBatch, weightsBeforeLastStep } from '../../../src/engine/walkthrough';
import { Trainer } from '../../../src/engine';
import { loadDataset } from '../../../src/data/load';
import { parseModel } from '../../../src/model';
import { engineGradient } from '../oracles/batchOfOne';
import type { OptimizerSpec } from '../../../src/model/spec';

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
  for (const selection of [
    { layer: 0, kind: 'weight' as const, index: 7 },
    { layer: 2, kind: 'bias' as const, index: 4 },
    { layer: 3, kind: 'weight' as const, index: 55 },
  ]) {
    const r = walkThroughBatch({ spec, train, indices, weights, selection });
    assert.equal(r.examples.length, indices.length);
    const mean = r.examples.reduce((a, e) => a + e.gradient, 0) / indices.length;
    assert.ok(Math.abs(mean - r.batchGradient) <= 1e-12 * Math.max(1, Math.abs(mean)), `${mean} vs ${r.batchGradient}`);
    assert.equal(r.examples[indices.length - 1].runningMean, r.examples[indices.length - 1].runningSum / indices.length);
    // θ before is the weight it was given; θ after is θ − γ·G with G from a fresh network's batch
    // backward pass at those weights over those examples. The file sets momentum 0.9, but this
    // replay is of no update the run made: it must say so rather than pass for the run's update.
    const theta = weights.find((w) => w.layer === selection.layer && w.kind === selection.kind)!.value[selection.index];
    assert.equal(r.before, theta);
    const G = engineGradient(spec, train, weights, indices, selection);
    assert.ok(
      Math.abs(r.after - (theta - 0.1 * G)) <= 1e-12 * Math.max(1, Math.abs(theta)),
      `θ after ${r.after} vs ${theta - 0.1 * G}`,
    );
    assert.equal(r.atWeightsBeforeUpdate, false);
    assert.equal(r.applied, null, 'no applied update is claimed for a batch the run did not train on at these weights');
    assert.deepEqual(
      r.examples.map((e) => e.index),
      indices,
    );
    assert.deepEqual(
      r.examples.map((e) => e.label),
      indices.map((k) => train.y[k]),
    );
    assert.equal(r.examples[0].image?.length, 784);
  }
  assert.deepEqual(run.getWeights(), weights, 'the watched run is untouched');
});

test("the per-example gradients agree with the engine's per-example path on the same batch", async () => {
  const { train } = await loadDataset(spec.data, { dataPath: null, labelsPath: null, mediaDir: media, seed: spec.seed });
  const run = new Trainer({ spec, train, validation: null });
  const weights = run.getWeights();
  run.trainStep();
  const indices = run.lastBatchInputs().indices;
  const selection = { layer: 2, kind: 'weight' as const, index: 100 };
  const fromBatch = run.perExampleGradient(selection);
  const r = walkThroughBatch({ spec, train, indices, weights, selection });
  r.examples.forEach((e, i) =>
    assert.ok(Math.abs(e.gradient - fromBatch[i]) <= 1e-12 * Math.max(1, Math.abs(e.gradient)), `example ${i}`),
  );
});

test("with plain SGD the walkthrough's single update equals the Trainer's own step on that batch", async () => {
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
    w.value.forEach((v, k) => {
      if (Math.abs(v - weights[t].value[k]) > Math.abs(w.value[best] - weights[t].value[best])) best = k;
    });
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

// An independent float64 optimizer, written from the textbook formulas, to check the terms shown.
function referenceStep(o: OptimizerSpec, theta: number, grads: number[]): { theta: number; first: number; second: number } {
  let m = 0,
    v = 0;
  grads.forEach((G, k) => {
    const t = k + 1;
    const g = G + o.weightDecay * theta;
    if (o.type === 'adam') {
      m = o.beta1 * m + (1 - o.beta1) * g;
      v = o.beta2 * v + (1 - o.beta2) * g * g;
      theta -= (o.learningRate * (m / (1 - o.beta1 ** t))) / (Math.sqrt(v / (1 - o.beta2 ** t)) + o.epsilon);
    } else if (o.momentum !== 0) {
      m = o.momentum * m + g;
      theta -= o.learningRate * (o.nesterov ? g + o.momentum * m : m);
    } else {
      theta -= o.learningRate * g;
    }
  });
  return { theta, first: m, second: v };
}

const optimizers = [
  { name: 'plain SGD', o: { type: 'sgd' as const, momentum: 0, nesterov: false, weightDecay: 0 } },
  { name: 'momentum', o: { type: 'sgd' as const, momentum: 0.9, nesterov: false, weightDecay: 0 } },
  { name: 'Nesterov + weight decay', o: { type: 'sgd' as const, momentum: 0.8, nesterov: true, weightDecay: 0.01 } },
  { name: 'Adam', o: { type: 'adam' as const, momentum: 0, nesterov: false, weightDecay: 0 } },
  { name: 'Adam + weight decay', o: { type: 'adam' as const, momentum: 0, nesterov: false, weightDecay: 0.05 } },
];
for (const { name, o } of optimizers) {
  test(`the formula's terms for ${name} are what an independent float64 step computes, and both sides agree`, async () => {
    const s = { ...spec, optimizer: { ...spec.optimizer, ...o, learningRate: o.type === 'adam' ? 0.01 : 0.1 } };
    const { train } = await loadDataset(s.data, { dataPath: null, labelsPath: null, mediaDir: media, seed: s.seed });
    const run = new Trainer({ spec: s, train, validation: null });
    const sel = { layer: 2, kind: 'weight' as const, index: 33 };
    const theta0 = run.parameter(2, 'weight')[33];
    const grads: number[] = [];
    for (let k = 0; k < 3; k++) {
      run.trainStep();
      grads.push(run.gradient(2, 'weight')[33]);
      const terms = lastUpdateTerms(run, s.optimizer, sel)!;
      const ref = referenceStep(s.optimizer, theta0, grads);
      const prev = referenceStep(s.optimizer, theta0, grads.slice(0, -1));
      const close = (a: number | null, b: number, what: string): void =>
        assert.ok(a !== null && Math.abs(a - b) <= 1e-9 * Math.max(1e-6, Math.abs(b)), `${what} at t = ${k + 1}: ${a} vs ${b}`);
      assert.equal(terms.step, k + 1);
      close(terms.after, ref.theta, 'θ after');
      close(terms.before, prev.theta, 'θ before');
      close(terms.predictedAfter, terms.after, 'right side vs applied');
      if (o.type === 'adam' || o.momentum !== 0) {
        close(terms.firstAfter, ref.first, 'velocity / m after');
        close(terms.firstBefore, prev.first, 'velocity / m before');
      } else {
        assert.equal(terms.firstAfter, null);
        close(terms.direction, grads[k], 'plain SGD direction = G');
      }
      if (o.type === 'adam') {
        close(terms.secondAfter, ref.second, 'v after');
        close(terms.secondBefore, prev.second, 'v before');
        close(terms.firstCorrected, ref.first / (1 - s.optimizer.beta1 ** (k + 1)), 'm̂');
      }
    }
  });
}

test('after a step, Step Through replays that batch at the weights before its update', async () => {
  const { train } = await loadDataset(spec.data, { dataPath: null, labelsPath: null, mediaDir: media, seed: spec.seed });
  const run = new Trainer({ spec, train, validation: null });
  run.trainStep();
  const initial = run.getWeights();
  run.trainStep();
  const indices = run.lastBatchInputs().indices;
  const selection = { layer: 3, kind: 'weight' as const, index: 21 };
  const before = weightsBeforeLastStep(run);
  before.forEach((w, t) => w.value.forEach((v, k) => assert.ok(Math.abs(v - initial[t].value[k]) <= 1e-12, `${w.name}[${k}]`)));
  const r = walkThroughBatch({
    spec,
    train,
    indices,
    weights: before,
    selection,
    replayOf: { applied: lastUpdateTerms(run, spec.optimizer, selection) },
  });
  // The engine's own batch gradient at those weights: a fresh trainer set to them, one step on that batch.
  const check = new Trainer({
    spec: { ...spec, batchSize: indices.length },
    train: {
      ...train,
      count: indices.length,
      x: Float32Array.from(indices.flatMap((k) => Array.from(train.x.subarray(k * 784, (k + 1) * 784)))) as never,
      y: Int32Array.from(indices.map((k) => train.y[k])),
    },
    validation: null,
  });
  check.setWeights(initial);
  check.trainStep();
  const ownSet = new Set(check.lastBatchInputs().indices);
  assert.equal(ownSet.size, indices.length);
  const g = check.gradient(3, 'weight')[21];
  assert.ok(Math.abs(r.batchGradient - g) <= 1e-12 * Math.max(1, Math.abs(g)), `${r.batchGradient} vs ${g}`);
  assert.ok(Math.abs(r.batchGradient - run.gradient(3, 'weight')[21]) <= 1e-12, 'the gradient the run used');
  assert.equal(r.before, initial.find((w) => w.layer === 3 && w.kind === 'weight')!.value[21]);
  assert.equal(r.atWeightsBeforeUpdate, true);
  assert.ok(r.applied && Math.abs(r.applied.after - run.parameter(3, 'weight')[21]) <= 1e-15);
  // At the post-update weights the gradient is a different one: the test can tell the two apart.
  const wrong = walkThroughBatch({ spec, train, indices, weights: run.getWeights(), selection });
  assert.ok(Math.abs(wrong.batchGradient - g) > 1e-9);
});

test('the default selection is the weight whose per-example gradients vary most, with most examples pulling', async () => {
  const { train } = await loadDataset(spec.data, { dataPath: null, labelsPath: null, mediaDir: media, seed: spec.seed });
  const run = new Trainer({ spec, train, validation: null });
  run.trainStep();
  const m = run.lastBatchInputs().indices.length;
  const sel = mostVariedWeight(run, m)!;
  assert.equal(sel.kind, 'weight');
  const score = (layer: number, j: number): number => {
    const size = run.layers.find((l) => l.index === layer)!.params[0].shape.reduce((a, b) => a * b, 1);
    const g = Array.from({ length: m }, (_, i) => run.perExampleGradients(layer, 'weight')[i * size + j]);
    const mean = g.reduce((a, b) => a + b, 0) / m;
    const sd = Math.sqrt(g.reduce((a, b) => a + (b - mean) ** 2, 0) / (m - 1));
    const max = Math.max(...g.map(Math.abs));
    return max === 0 ? 0 : (sd * g.filter((v) => Math.abs(v) >= 0.1 * max).length) / m;
  };
  const chosen = score(sel.layer, sel.index);
  for (const layer of [0, 2, 3]) {
    const size = run.layers.find((l) => l.index === layer)!.params[0].shape.reduce((a, b) => a * b, 1);
    for (let j = 0; j < size; j += 7)
      assert.ok(score(layer, j) <= chosen * (1 + 1e-9), `layers[${layer}].weight[${j}] varies more`);
  }
  const g = run.perExampleGradient(sel);
  assert.ok(g.filter((v) => v !== 0).length > 1, 'more than one example pulls on it');
  assert.equal(mostVariedWeight(run, 1), null);
});
