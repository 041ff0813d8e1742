import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Trainer } from '../../../src/engine/trainer';
import { Rng } from '../../../src/engine/random';
import type { Dataset } from '../../../src/data/dataset';
import { conv, dense, makeSpec, maxRelDiff, optimizer, randomDataset } from './helpers';

/** Two Gaussian blobs per class around distinct centres: learnable, so loss must fall. */
function blobs(count: number, classes: number, dim: number): Dataset {
  const rng = new Rng(17);
  const centres = Array.from({ length: classes }, () => Array.from({ length: dim }, () => 2 * rng.normal()));
  const x = new Float32Array(count * dim),
    y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    y[i] = i % classes;
    for (let j = 0; j < dim; j++) x[i * dim + j] = centres[y[i]][j] + 0.5 * rng.normal();
  }
  return { name: 'blobs', inputShape: [dim], numClasses: classes, count, x, y };
}

test('training lowers the loss and raises accuracy on learnable data; evaluate covers validation', () => {
  const spec = makeSpec([dense(16, 'relu'), dense(3)], {
    batchSize: 8,
    epochs: 5,
    dtype: 'float32',
    optimizer: optimizer({ learningRate: 0.1, momentum: 0.9 }),
  });
  const train = blobs(120, 3, 6),
    validation = blobs(30, 3, 6);
  const trainer = new Trainer({ spec, train, validation });
  const before = trainer.evaluate();
  const epochs = [];
  while (!trainer.done()) {
    trainer.trainStep();
    if (trainer.epochJustEnded()) epochs.push(trainer.evaluate());
  }
  assert.equal(epochs.length, 5);
  assert.deepEqual(
    epochs.map((e) => e.epoch),
    [1, 2, 3, 4, 5],
  );
  const last = epochs[4];
  assert.ok(last.trainLoss < before.trainLoss / 3, `${before.trainLoss} → ${last.trainLoss}`);
  assert.ok(last.trainAccuracy > 0.9 && last.validationAccuracy! > 0.9);
  assert.equal(last.step, trainer.totalSteps);
  assert.equal(trainer.backendName, 'reference-float32');
});

test('layers describe shapes, labels and parameters', () => {
  const spec = makeSpec([
    conv(4, 3, 2, 'same', 'relu'),
    { type: 'maxpool2d', poolSize: 2, stride: 2 },
    { type: 'flatten' },
    dense(3),
  ]);
  const trainer = new Trainer({ spec, train: randomDataset(1, 4, [1, 9, 9], 3), validation: null });
  assert.deepEqual(
    trainer.layers.map((l) => l.outputShape),
    [[4, 5, 5], [4, 2, 2], [16], [3]],
  );
  assert.deepEqual(
    trainer.layers[0].params.map((p) => [p.name, p.shape]),
    [
      ['layers[0].weight', [4, 1, 3, 3]],
      ['layers[0].bias', [4]],
    ],
  );
  assert.deepEqual(trainer.layers[3].params[0].shape, [16, 3]);
  assert.equal(trainer.layers[0].label, 'conv2d 3×3×4 /2 same relu');
  assert.equal(trainer.layers[1].params.length, 0);
});

test('getWeights/setWeights round-trip; mismatches throw clear errors', () => {
  const spec = makeSpec([dense(4, 'relu'), dense(3)]);
  const data = randomDataset(1, 8, [5], 3);
  const a = new Trainer({ spec, train: data, validation: null });
  const b = new Trainer({ spec, train: data, validation: null });
  b.parameter(0, 'weight').fill(0.5); // b now differs from a; setWeights must bring it back
  const w = a.getWeights();
  assert.deepEqual(
    w.map((t) => t.name),
    ['layers[0].weight', 'layers[0].bias', 'layers[1].weight', 'layers[1].bias'],
  );
  b.setWeights(JSON.parse(JSON.stringify(w)));
  assert.equal(a.trainStep().loss, b.trainStep().loss);
  const wrongShape = w.map((t) => (t.name === 'layers[1].weight' ? { ...t, shape: [3, 4] } : t));
  assert.throws(() => b.setWeights(wrongShape), /"layers\[1\]\.weight" has shape \[3, 4\] but the model needs \[4, 3\]/);
  assert.throws(() => b.setWeights(w.slice(1)), /the weights have no "layers\[0\]\.weight"/);
  assert.throws(
    () => b.setWeights([...w, { ...w[0], name: 'layers[9].weight' }]),
    /"layers\[9\]\.weight", which this model does not have/,
  );
});

test('batchSnapshot: first batch at current weights, gradient = mean of per-example rows, last step untouched', () => {
  const spec = makeSpec([conv(2, 3, 1, 'valid', 'tanh'), { type: 'flatten' }, dense(3)], { loss: 'mse', batchSize: 5 });
  const data = randomDataset(3, 12, [1, 5, 5], 3);
  const trainer = new Trainer({ spec, train: data, validation: null });
  const fresh = new Trainer({ spec, train: data, validation: null });
  const firstStep = fresh.trainStep();
  const snap = trainer.batchSnapshot();
  // At step 0 the snapshot is exactly what the first step computes before updating.
  assert.equal(snap.loss, firstStep.loss);
  assert.deepEqual(snap.perExampleLoss, firstStep.perExampleLoss);
  assert.equal(snap.batch.x.length, 5);
  assert.deepEqual(
    snap.batch.y[0],
    Array.from({ length: 3 }, (_, j) => (j === firstStep.labels[0] ? 1 : 0)),
  );
  for (const p of snap.parameters) {
    const kind = p.name.endsWith('weight') ? 'weight' : 'bias';
    assert.ok(maxRelDiff(p.grad, fresh.gradient(p.layer, kind)) < 1e-12, p.name);
    assert.equal(p.perExampleGrad.length, 5);
    assert.ok(maxRelDiff(p.perExampleGrad.flat(), fresh.perExampleGradients(p.layer, kind)) < 1e-12, p.name);
  }
  // A snapshot taken after a step does not disturb that step's per-example state.
  const sel = { layer: 2, kind: 'weight' as const, index: 5 };
  const beforeSnap = fresh.perExampleGradient(sel);
  fresh.batchSnapshot();
  assert.deepEqual(fresh.perExampleGradient(sel), beforeSnap);
});

test('float32 and float64 runs agree to float32 precision', () => {
  const layers = [
    conv(2, 3, 1, 'same', 'relu'),
    { type: 'maxpool2d' as const, poolSize: 2, stride: 2 },
    { type: 'flatten' as const },
    dense(3),
  ];
  const data = randomDataset(8, 12, [1, 6, 6], 3);
  const run = (dtype: 'float32' | 'float64') => {
    const t = new Trainer({ spec: makeSpec(layers, { dtype, batchSize: 4, epochs: 1 }), train: data, validation: null });
    const losses = [];
    while (!t.done()) losses.push(t.trainStep().loss);
    return losses;
  };
  const a = run('float32'),
    b = run('float64');
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-4 * Math.max(1, Math.abs(b[i])), `${v} vs ${b[i]}`));
});

test('a model that does not fit the data is refused with a sentence', () => {
  const data = randomDataset(1, 4, [5], 3);
  assert.throws(
    () => new Trainer({ spec: makeSpec([dense(4)]), train: data, validation: null }),
    /last layer outputs shape \[4\] but random has 3 classes/,
  );
  assert.throws(
    () => new Trainer({ spec: makeSpec([conv(2, 3, 1, 'same'), dense(3)]), train: data, validation: null }),
    /layers\[0\]: conv2d needs an image input/,
  );
});
