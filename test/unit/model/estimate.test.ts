// The memory estimate against what the engine really allocates, and the refusal it leads to.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Trainer } from '../../../src/engine';
import type { ModelSpec } from '../../../src/model/spec';
import { checkMemory, estimateRun, formatBytes, memoryRefusal } from '../../../src/model/estimate';
import { DEFAULT_CHUNK } from '../../../src/engine';
import { countingBackend, makeSpec, optimizer, randomDataset } from '../engine/helpers';

const specs: [string, ModelSpec, number[]][] = [
  [
    'mlp',
    makeSpec(
      [
        { type: 'dense', units: 32, activation: 'relu' },
        { type: 'dense', units: 5, activation: 'linear' },
      ],
      { batchSize: 16, optimizer: optimizer({ momentum: 0.9 }), dtype: 'float32' },
    ),
    [20],
  ],
  [
    'cnn',
    makeSpec(
      [
        { type: 'conv2d', filters: 4, kernelSize: 3, stride: 1, padding: 'same', activation: 'relu' },
        { type: 'maxpool2d', poolSize: 2, stride: 2 },
        { type: 'flatten' },
        { type: 'dense', units: 5, activation: 'linear' },
      ],
      { batchSize: 8, optimizer: optimizer({ type: 'adam' }) },
    ),
    [1, 8, 8],
  ],
  [
    // more examples than a conv chunk: the columns are sized for one chunk, not the batch
    'chunked cnn',
    makeSpec(
      [
        { type: 'conv2d', filters: 4, kernelSize: 3, stride: 1, padding: 'same', activation: 'relu' },
        { type: 'flatten' },
        { type: 'dense', units: 5, activation: 'linear' },
      ],
      { batchSize: 3 * DEFAULT_CHUNK, dtype: 'float32' },
    ),
    [2, 10, 10],
  ],
];

for (const [name, spec, inputShape] of specs) {
  for (const snapshot of [false, true]) {
    test(`the estimate covers what a ${name} trainer allocates${snapshot ? ' with a batch snapshot' : ''}, within a factor of two`, () => {
      const train = randomDataset(1, Math.max(40, spec.batchSize), inputShape, 5);
      const { backend, elements } = countingBackend(spec.dtype);
      const trainer = new Trainer({ spec, train, validation: null, backend });
      trainer.trainStep();
      if (snapshot) trainer.batchSnapshot();
      const bytes = elements() * (spec.dtype === 'float64' ? 8 : 4);
      const e = estimateRun({ spec, inputShape, numClasses: 5, trainCount: train.count, perExampleTensors: { snapshot } });
      assert.ok(e);
      assert.ok(e.runBytes >= bytes, `estimate ${e.runBytes} < allocated ${bytes}`);
      assert.ok(e.runBytes <= 2 * bytes, `estimate ${e.runBytes} > 2 × allocated ${bytes}`);
      const params = trainer.getWeights().reduce((a, t) => a + t.value.length, 0);
      assert.equal(e.parameters, params);
    });
  }
}

test('a view reading the training batch per-example tensors is counted: the estimate covers that allocation too', () => {
  const [, spec, inputShape] = specs[0];
  const train = randomDataset(1, 40, inputShape, 5);
  const { backend, elements } = countingBackend(spec.dtype);
  const trainer = new Trainer({ spec, train, validation: null, backend });
  trainer.trainStep();
  const before = elements();
  trainer.perExampleGradients(0, 'weight');
  assert.equal(elements() - before, spec.batchSize * 20 * 32, 'the dense layer allocates M × |W| on first use');
  const e = estimateRun({ spec, inputShape, numClasses: 5, trainCount: train.count, perExampleTensors: { training: true } });
  assert.ok(e);
  assert.ok(e.runBytes >= elements() * 4, `estimate ${e.runBytes} < allocated ${elements() * 4}`);
  const plain = estimateRun({ spec, inputShape, numClasses: 5, trainCount: train.count });
  assert.equal(e.runBytes - plain!.runBytes, spec.batchSize * (20 * 32 + 32 * 5) * 4);
});

test('a full batch of 10,000 digits through 784-512-10 fits 4 GB; its snapshot and a 100,000-unit layer do not', () => {
  const spec = makeSpec(
    [
      { type: 'dense', units: 512, activation: 'relu' },
      { type: 'dense', units: 10, activation: 'linear' },
    ],
    { batchSize: 10000, dtype: 'float32' },
  );
  const check = { spec, inputShape: [784], numClasses: 10, trainCount: 10000, limit: 4e9 };
  const e = estimateRun({ ...check });
  assert.ok(e);
  // no per-example dense tensors: parameters, activations and the conv-free rest only
  assert.equal(e.perExampleBytes, 0);
  assert.ok(e.runBytes < 200e6, formatBytes(e.runBytes));
  assert.equal(memoryRefusal(check), null);
  const snap = memoryRefusal({ ...check, snapshot: true });
  assert.ok(snap);
  assert.equal(snap.estimate.what, 'a batch snapshot');
  const wide = makeSpec(
    [
      { type: 'dense', units: 100000, activation: 'relu' },
      { type: 'dense', units: 10, activation: 'linear' },
    ],
    {
      batchSize: 10000,
      dtype: 'float32',
    },
  );
  const r = memoryRefusal({
    ...check,
    spec: wide,
    locateLayer: (i) => ({ file: 'm.json', line: 3 + i, column: 5, endLine: 3 + i, endColumn: 9 }),
  });
  assert.ok(r);
  assert.equal(r.estimate.layer, 0);
  assert.ok(r.message.includes('layers[0] (dense, 100000 units): training needs about'), r.message);
  assert.ok(r.message.includes('m.json:3:5'), r.message);
});

test('a run over the limit names the largest layer and the estimate', () => {
  const spec = makeSpec(
    [
      { type: 'dense', units: 4096, activation: 'relu' },
      { type: 'dense', units: 10, activation: 'linear' },
    ],
    { batchSize: 64, dtype: 'float32' },
  );
  const e = estimateRun({ spec, inputShape: [784], numClasses: 10, trainCount: 1000 });
  assert.ok(e);
  assert.equal(e.parameters, 784 * 4096 + 4096 + 4096 * 10 + 10);
  assert.equal(checkMemory(spec, e, 1e12), null);
  const r = checkMemory(spec, e, 30e6);
  assert.ok(r);
  assert.equal(r.layer, 0);
  assert.equal(
    r.detail,
    `layers[0] (dense, 4096 units): training needs about ${formatBytes(e.runBytes)} (parameters ${formatBytes(e.parameterBytes)}, ` +
      `activations ${formatBytes(e.activationBytes)}, per-example gradients ${formatBytes(e.perExampleBytes)}, at batch size 64), over the memory limit of 30.0 MB; ` +
      `this layer needs ${formatBytes(e.layers[0].total)} of it. To fit: use fewer units or filters (or a larger stride or pool), a smaller batchSize, or raise the memory limit`,
  );
  const s = checkMemory(spec, e, e.runBytes + 1, true);
  assert.ok(s);
  assert.equal(e.snapshotNumbers, 64 * (784 + 2) + e.parameters * (2 + 64));
  assert.equal(s.layer, 0);
  assert.ok(
    s.detail.startsWith(
      `layers[0] (dense, 4096 units): the batch snapshot holds ${e.snapshotNumbers.toLocaleString('en-US')} numbers (every per-example gradient of 64 examples; this layer has 3,215,360 parameters)`,
    ),
    s.detail,
  );
});

test('formatBytes', () => {
  assert.deepEqual([0, 999, 1000, 1_234_567, 8.5e12].map(formatBytes), ['0 bytes', '999 bytes', '1.0 kB', '1.2 MB', '8.5 TB']);
});
