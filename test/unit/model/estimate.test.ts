// The memory estimate against what the engine really allocates, and the refusal it leads to.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Trainer, referenceBackend } from '../../../src/engine';
import type { Backend } from '../../../src/engine/backend';
import type { ModelSpec } from '../../../src/model/spec';
import { checkMemory, estimateRun, formatBytes } from '../../../src/model/estimate';
import { makeSpec, optimizer, randomDataset } from '../engine/helpers';

/** The reference backend, counting every element it allocates. */
function counting(dtype: 'float32' | 'float64'): { backend: Backend; elements: () => number } {
  const inner = referenceBackend(dtype);
  let total = 0;
  const backend = {
    ...inner,
    alloc: (n: number) => {
      total += n;
      return inner.alloc(n);
    },
  } as Backend;
  return { backend, elements: () => total };
}

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
];

for (const [name, spec, inputShape] of specs) {
  test(`the estimate covers what a ${name} trainer allocates, within a factor of two`, () => {
    const train = randomDataset(1, 40, inputShape, 5);
    const { backend, elements } = counting(spec.dtype);
    const trainer = new Trainer({ spec, train, validation: null, backend });
    trainer.trainStep();
    trainer.batchSnapshot();
    const bytes = elements() * (spec.dtype === 'float64' ? 8 : 4);
    const e = estimateRun({ spec, inputShape, numClasses: 5, trainCount: train.count });
    assert.ok(e);
    assert.ok(e.runBytes >= bytes, `estimate ${e.runBytes} < allocated ${bytes}`);
    assert.ok(e.runBytes <= 2 * bytes, `estimate ${e.runBytes} > 2 × allocated ${bytes}`);
    const params = trainer.getWeights().reduce((a, t) => a + t.value.length, 0);
    assert.equal(e.parameters, params);
  });
}

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
  const r = checkMemory(spec, e, 100e6);
  assert.ok(r);
  assert.equal(r.layer, 0);
  assert.equal(
    r.detail,
    `layers[0] (dense, 4096 units): training needs about ${formatBytes(e.runBytes)} (parameters ${formatBytes(e.parameterBytes)}, ` +
      `activations ${formatBytes(e.activationBytes)}, per-example gradients ${formatBytes(e.perExampleBytes)}, at batch size 64), over the memory limit of 100 MB; ` +
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
