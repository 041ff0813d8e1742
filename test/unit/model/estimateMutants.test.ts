// Survivors of a mutation run over estimate.ts. The estimate's parts are checked against what the
// engine really allocates (a counting backend around the reference one): the extra memory a change
// to the model costs (an activation, momentum, Adam, one more example, one more input) must be
// exactly what the trainer allocates more. The words and limits of a refusal are written out here.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Trainer } from '../../../src/engine';
import type { LayerSpec, ModelSpec } from '../../../src/model/spec';
import { checkMemory, describeLayer, estimateRun, formatBytes, largestLayer, memoryRefusal } from '../../../src/model/estimate';
import type { RunEstimate } from '../../../src/model/estimate';
import { countingBackend, makeSpec, optimizer, randomDataset } from '../engine/helpers';

const COUNT = 40;
/** Elements the trainer allocates for one training step. */
function allocated(spec: ModelSpec, inputShape: number[], count = COUNT): number {
  const { backend, elements } = countingBackend(spec.dtype);
  const trainer = new Trainer({ spec, train: randomDataset(1, count, inputShape, 2), validation: null, backend });
  trainer.trainStep();
  return elements();
}
const estimated = (spec: ModelSpec, inputShape: number[], count = COUNT): number =>
  estimateRun({ spec, inputShape, numClasses: 2, trainCount: count })!.runBytes / (spec.dtype === 'float64' ? 8 : 4);

const dense = (units: number, activation = 'linear'): LayerSpec => ({ type: 'dense', units, activation }) as LayerSpec;
const conv = (activation = 'linear'): LayerSpec =>
  ({ type: 'conv2d', filters: 2, kernelSize: 3, stride: 1, padding: 'valid', activation }) as LayerSpec;
const pool1: LayerSpec = { type: 'maxpool2d', poolSize: 1, stride: 1 };
const flat: LayerSpec = { type: 'flatten' };

test('what a change to the model costs in the estimate is exactly what the trainer allocates more', () => {
  const mlp = [dense(3), dense(2)];
  const cnn = [conv(), flat, dense(2)];
  const pairs: [string, ModelSpec, ModelSpec, number[], number[]][] = [
    ['a relu on a dense layer', makeSpec([dense(3, 'relu'), dense(2)]), makeSpec(mlp), [5], [5]],
    ['momentum', makeSpec(mlp, { optimizer: optimizer({ momentum: 0.9 }) }), makeSpec(mlp), [5], [5]],
    ['Adam', makeSpec(mlp, { optimizer: optimizer({ type: 'adam' }) }), makeSpec(mlp), [5], [5]],
    ['one more input', makeSpec(mlp), makeSpec(mlp), [6], [5]],
    ['a relu on a conv layer', makeSpec([conv('relu'), flat, dense(2)]), makeSpec(cnn), [1, 5, 5], [1, 5, 5]],
    [
      'a relu on a conv layer that is not the first',
      makeSpec([pool1, conv('relu'), flat, dense(2)]),
      makeSpec([pool1, conv(), flat, dense(2)]),
      [1, 5, 5],
      [1, 5, 5],
    ],
    [
      'one more example through a conv layer',
      makeSpec(cnn, { batchSize: 5 }),
      makeSpec(cnn, { batchSize: 4 }),
      [1, 5, 5],
      [1, 5, 5],
    ],
  ];
  for (const [what, a, b, shapeA, shapeB] of pairs) {
    const real = allocated(a, shapeA) - allocated(b, shapeB);
    assert.ok(real !== 0, `${what} changes the allocation`);
    // plus, for one more example in the batch, the 16 bytes the estimate keeps for the outputs' JS
    // arrays (as the next test): 2 float64s. (This matched without them only while the estimate
    // missed the conv layer's two per-example reductions, 2 float64s an example too.)
    const js = (16 / 8) * (a.batchSize - b.batchSize);
    assert.equal(estimated(a, shapeA) - estimated(b, shapeB), real + js, what);
  }
});

test('one more training example (in the evaluation chunk, below the conv chunk) costs exactly what the trainer allocates more', () => {
  const spec = makeSpec([conv(), flat, dense(2)]);
  const real = allocated(spec, [1, 5, 5], 41) - allocated(spec, [1, 5, 5], 40);
  assert.ok(real > 0);
  // plus the 16 bytes an example the estimate keeps for what the backend does not allocate (labels, indices): 2 float64s
  assert.equal(estimated(spec, [1, 5, 5], 41) - estimated(spec, [1, 5, 5], 40), real + 16 / 8);
});

test('the estimate covers a conv layer after another layer (its input gradient included)', () => {
  for (const spec of [
    makeSpec([pool1, conv('relu'), flat, dense(2)]),
    makeSpec([pool1, conv(), flat, dense(2)], { batchSize: 9 }),
  ]) {
    const real = allocated(spec, [1, 5, 5]);
    const e = estimated(spec, [1, 5, 5]);
    assert.ok(e >= real, `estimate ${e} < allocated ${real}`);
  }
});

test('a network that does not fit its input has no estimate', () => {
  const spec = makeSpec([conv(), flat, dense(2)]);
  assert.equal(estimateRun({ spec, inputShape: [25], numClasses: 2, trainCount: COUNT }), null);
  assert.equal(memoryRefusal({ spec, inputShape: [25], numClasses: 2, trainCount: COUNT, limit: 1 }), null);
});

test('the class count changes the estimate only through the targets of mse', () => {
  const spec = makeSpec([dense(3), dense(2)]);
  const at = (numClasses: number, s = spec) => estimateRun({ spec: s, inputShape: [5], numClasses, trainCount: COUNT })!;
  // The output buffers are the last layer's (2 wide), whatever the data's class count says.
  assert.equal(at(7).runBytes, at(2).runBytes);
  assert.equal(at(7).snapshotNumbers, at(2).snapshotNumbers);
  // Under mse a snapshot holds a target vector (numClasses numbers) per example instead of one label.
  const mse = makeSpec(spec.layers, { loss: 'mse' });
  assert.equal(at(7, mse).snapshotNumbers - at(7).snapshotNumbers, spec.batchSize * (7 - 1));
});

test("each layer's total is its parameters, activations and per-example gradients together", () => {
  const spec = makeSpec([conv('relu'), flat, dense(2)]);
  const e = estimateRun({
    spec,
    inputShape: [1, 5, 5],
    numClasses: 2,
    trainCount: COUNT,
    perExampleTensors: { training: true },
  })!;
  assert.ok(e.layers[0].perExampleBytes > 0);
  for (const l of e.layers) assert.equal(l.total, l.parameterBytes + l.activationBytes + l.perExampleBytes);
});

test('formatBytes: non-finite values as they are, GB and PB, at most PB, whole numbers from 100 up', () => {
  assert.equal(formatBytes(Infinity), 'Infinity');
  assert.equal(formatBytes(NaN), 'NaN');
  assert.equal(formatBytes(2.5e9), '2.5 GB');
  assert.equal(formatBytes(3.25e15), '3.3 PB');
  assert.equal(formatBytes(4e18), '4000 PB');
  assert.equal(formatBytes(100e3), '100 kB');
  assert.equal(formatBytes(99.9e3), '99.9 kB');
  assert.equal(formatBytes(512e6), '512 MB');
});

const fake = (totals: number[], parameters: number[] = totals): RunEstimate => ({
  batch: 2,
  parameters: 0,
  parameterBytes: 0,
  activationBytes: 0,
  perExampleBytes: 0,
  runBytes: 100,
  snapshotNumbers: 10,
  snapshotBytes: 160,
  layers: totals.map((total, index) => ({
    index,
    type: 'dense',
    parameters: parameters[index],
    parameterBytes: 0,
    activationBytes: 0,
    perExampleBytes: 0,
    total,
  })),
});

test('largestLayer: the layer with the largest total, the first of ties', () => {
  assert.equal(largestLayer(fake([1, 5, 3]))?.index, 1);
  assert.equal(largestLayer(fake([4, 4, 2]))?.index, 0);
  assert.equal(largestLayer(fake([])), undefined);
});

test('describeLayer words conv, pooling and the other layers', () => {
  assert.equal(
    describeLayer({ type: 'conv2d', filters: 8, kernelSize: 3, stride: 1, padding: 'same', activation: 'relu' }, 2),
    'layers[2] (conv2d, 8 filters of 3×3, same padding)',
  );
  assert.equal(describeLayer({ type: 'maxpool2d', poolSize: 2, stride: 2 }, 1), 'layers[1] (maxpool2d 2×2)');
  assert.equal(describeLayer({ type: 'flatten' }, 0), 'layers[0] (flatten)');
});

test('checkMemory: exactly the limit fits; a snapshot names the layer with most parameters, the first of ties', () => {
  const spec = makeSpec([dense(3), dense(4), dense(2)]);
  // runBytes 100, snapshot 160 more.
  assert.equal(checkMemory(spec, fake([1, 2, 3]), 100), null);
  assert.equal(checkMemory(spec, fake([1, 2, 3]), 260, true), null);
  assert.equal(checkMemory(spec, fake([1, 2, 3]), 1000, true), null);
  const run = checkMemory(spec, fake([1, 2, 3]), 99);
  assert.equal(run?.what, 'a training run');
  assert.equal(run?.layer, 2);
  const snap = checkMemory(spec, fake([1, 2, 3], [5, 9, 9]), 259, true, 'the test limit');
  assert.ok(snap);
  assert.deepEqual([snap.layer, snap.bytes, snap.limit, snap.what], [1, 260, 259, 'a batch snapshot']);
  assert.equal(
    snap.detail,
    'layers[1] (dense, 4 units): the batch snapshot holds 10 numbers (every per-example gradient of 2 examples; this layer has 9 parameters), ' +
      'about 160 bytes to build, over the test limit of 259 bytes. To fit: a smaller batchSize, a smaller layer, or raise the memory limit',
  );
});

test('memoryRefusal: the snapshot counts the dense per-example tensors, the evaluation chunk the larger set, and the limits are named', () => {
  const spec = makeSpec([dense(30, 'relu'), dense(2)], { batchSize: 8 });
  const base = { spec, inputShape: [20], numClasses: 2, trainCount: 10 };
  const e = (evalCount: number, snapshot: boolean) => estimateRun({ ...base, evalCount, perExampleTensors: { snapshot } })!;
  // With the validation set larger than the training set, the evaluation chunk is the validation set's.
  const withSnap = e(50, true);
  assert.ok(withSnap.runBytes > e(10, true).runBytes);
  assert.ok(withSnap.runBytes > e(50, false).runBytes, 'a snapshot asks for every dense gᵢ(W) at once');
  const limit = withSnap.runBytes + withSnap.snapshotBytes - 1;
  const r = memoryRefusal({ ...base, validationCount: 50, limit, snapshot: true });
  assert.ok(r);
  assert.equal(r.estimate.what, 'a batch snapshot');
  assert.equal(r.estimate.bytes, withSnap.runBytes + withSnap.snapshotBytes);
  assert.ok(r.message.includes(`over the memory limit of ${formatBytes(limit)}`), r.message);
  assert.equal(memoryRefusal({ ...base, validationCount: 50, limit: limit + 1, snapshot: true }), null);
  // A training run over a named limit says that name.
  const small = memoryRefusal({ ...base, limit: 100, limitName: 'the worker heap' });
  assert.ok(small?.message.includes('over the worker heap of 100 bytes'), small?.message);
  assert.equal(small?.estimate.bytes, e(10, false).runBytes, 'without a snapshot no dense per-example tensors are counted');
  // A snapshot limit below the run's limit is the one applied, and named as the heap share.
  const shared = memoryRefusal({ ...base, validationCount: 50, limit: 1e12, snapshot: true, snapshotLimit: limit });
  assert.ok(shared);
  assert.equal(shared.estimate.limit, limit);
  assert.ok(shared.message.includes('over the share of the JavaScript heap a snapshot may use of'), shared.message);
  // Without a snapshot, the snapshot limit does not apply; above the run's limit, neither does it.
  assert.equal(memoryRefusal({ ...base, validationCount: 50, limit: 1e12, snapshotLimit: 1 }), null);
  const above = memoryRefusal({ ...base, validationCount: 50, limit, snapshot: true, snapshotLimit: 1e12 });
  assert.equal(above?.estimate.limit, limit);
  assert.ok(above?.message.includes('over the memory limit of'), above?.message);
  // A snapshot limit equal to the run's limit is just the memory limit.
  const equal = memoryRefusal({ ...base, validationCount: 50, limit, snapshot: true, snapshotLimit: limit });
  assert.ok(equal?.message.includes(`over the memory limit of ${formatBytes(limit)}`), equal?.message);
});

test('a network of mostly pooling is not overestimated by more than a quarter (its int32 indices counted at their size)', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    const spec = makeSpec([{ type: 'maxpool2d', poolSize: 2, stride: 2 }, flat, dense(2)], { dtype, batchSize: 8 });
    const real = allocated(spec, [1, 16, 16]);
    const e = estimated(spec, [1, 16, 16]);
    assert.ok(e >= real && e <= 1.25 * real, `${dtype}: estimate ${e}, allocated ${real}`);
  }
});

test('without layers the output buffers are the class scores', () => {
  const spec = makeSpec([]);
  const at = (numClasses: number) => estimateRun({ spec, inputShape: [3], numClasses, trainCount: COUNT })!.runBytes;
  // batch 4 + evaluation chunk 40 = 44 examples, 8 bytes a number (float64)
  assert.equal(at(7) - at(2), (7 - 2) * 44 * 8);
});
