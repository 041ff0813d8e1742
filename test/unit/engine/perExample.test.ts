// Per-example gradients: each gᵢ equals the gradient of example i alone (a batch of one), their
// mean is the batch gradient, the cheap norms/cosines equal those of the materialised tensors,
// and the single-scalar accessor agrees with the full tensor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Trainer } from '../../../src/engine/trainer';
import { Network } from '../../../src/engine/network';
import { referenceBackend } from '../../../src/engine/reference';
import { computeLoss } from '../../../src/engine/loss';
import type { LayerSpec } from '../../../src/model/spec';
import { conv, dense, makeSpec, maxRelDiff, optimizer, randomDataset } from './helpers';

const nets: { name: string; layers: LayerSpec[]; shape: number[] }[] = [
  { name: 'dense', layers: [dense(6, 'relu'), dense(5, 'tanh'), { type: 'leaky-relu' }, dense(3)], shape: [7] },
  // wide enough for the batch that the cosines go through the Gram matrices (layers 0 and 1)
  { name: 'wide dense', layers: [dense(16, 'relu'), dense(12, 'gelu'), dense(3)], shape: [20] },
  {
    name: 'conv',
    layers: [
      conv(3, 3, 2, 'same', 'relu'),
      { type: 'maxpool2d', poolSize: 2, stride: 1 },
      conv(2, 2, 1, 'valid', 'tanh'),
      { type: 'flatten' },
      dense(3),
    ],
    shape: [2, 7, 6],
  },
];

function trainedOneStep(layers: LayerSpec[], shape: number[], m = 5) {
  const spec = makeSpec(layers, { batchSize: m, optimizer: optimizer({ learningRate: 0.05 }) });
  const data = randomDataset(9, m, shape, 3);
  const trainer = new Trainer({ spec, train: data, validation: null });
  const stats = trainer.trainStep();
  return { spec, data, trainer, stats, m };
}

for (const { name, layers, shape } of nets) {
  test(`${name}: mean of per-example gradients is the batch gradient (every parameter, 1e-10)`, () => {
    const { trainer, m } = trainedOneStep(layers, shape);
    for (const info of trainer.layers)
      for (const p of info.params) {
        const all = trainer.perExampleGradients(p.layer, p.kind);
        const size = p.shape.reduce((a, b) => a * b, 1);
        assert.equal(all.length, m * size);
        const mean = new Float64Array(size);
        for (let i = 0; i < m; i++) for (let j = 0; j < size; j++) mean[j] += all[i * size + j] / m;
        assert.ok(maxRelDiff(mean, trainer.gradient(p.layer, p.kind)) < 1e-10, p.name);
      }
  });

  test(`${name}: each per-example gradient equals the gradient of that example alone`, () => {
    const { spec, data, trainer, m } = trainedOneStep(layers, shape);
    // A fresh network at the weights the step started from: θ_before = θ_after − Δθ.
    const single = new Network(spec, shape, referenceBackend('float64'), 1);
    for (const l of single.paramLayers)
      for (const p of l.params) {
        const after = trainer.parameter(l.index, p.info.kind),
          upd = trainer.lastUpdate(l.index, p.info.kind);
        for (let j = 0; j < p.size; j++) p.value[j] = after[j] - upd[j];
      }
    const indices = trainer.lastBatchInputs().indices;
    const size = single.inputSize;
    for (let i = 0; i < m; i++) {
      single.input.set(data.x.subarray(indices[i] * size, (indices[i] + 1) * size));
      computeLoss(
        spec.loss,
        single.forward(1),
        Int32Array.of(data.y[indices[i]]),
        1,
        3,
        new Float64Array(1),
        new Int32Array(1),
        single.outputGrad,
      );
      single.backward(1);
      for (const l of single.paramLayers)
        for (const p of l.params) {
          const all = trainer.perExampleGradients(l.index, p.info.kind);
          assert.ok(maxRelDiff(all.subarray(i * p.size, (i + 1) * p.size), p.grad) < 1e-10, `${p.info.name} example ${i}`);
        }
    }
  });

  test(`${name}: per-example norms and cosines equal those of the materialised gradients`, () => {
    const { trainer, stats, m } = trainedOneStep(layers, shape);
    for (const ls of stats.layers) {
      const w = trainer.perExampleGradients(ls.layer, 'weight'),
        b = trainer.perExampleGradients(ls.layer, 'bias');
      const gw = trainer.gradient(ls.layer, 'weight'),
        gb = trainer.gradient(ls.layer, 'bias');
      const sw = gw.length,
        sb = gb.length;
      let gSq = 0;
      for (const v of gw) gSq += v * v;
      for (const v of gb) gSq += v * v;
      assert.ok(Math.abs(Math.sqrt(gSq) - ls.gradNorm) <= 1e-12 * ls.gradNorm);
      for (let i = 0; i < m; i++) {
        let sq = 0,
          dot = 0;
        for (let j = 0; j < sw; j++) {
          sq += w[i * sw + j] ** 2;
          dot += w[i * sw + j] * gw[j];
        }
        for (let j = 0; j < sb; j++) {
          sq += b[i * sb + j] ** 2;
          dot += b[i * sb + j] * gb[j];
        }
        assert.ok(
          Math.abs(Math.sqrt(sq) - ls.perExampleNorms[i]) <= 1e-10 * Math.sqrt(sq),
          `norm layer ${ls.layer} example ${i}`,
        );
        // A zero gradient (e.g. all-dead ReLU for this example) has no direction: reported as 0.
        const cos = sq > 0 ? dot / (Math.sqrt(sq) * Math.sqrt(gSq)) : 0;
        assert.ok(Math.abs(cos - ls.cosineToMean[i]) <= 1e-10, `cosine layer ${ls.layer} example ${i}`);
      }
    }
  });

  test(`${name}: perExampleGradient(selection) matches perExampleGradients`, () => {
    const { trainer, m } = trainedOneStep(layers, shape);
    for (const info of trainer.layers)
      for (const p of info.params) {
        const size = p.shape.reduce((a, b) => a * b, 1);
        const all = trainer.perExampleGradients(p.layer, p.kind);
        for (const index of [0, Math.floor(size / 2), size - 1]) {
          const one = trainer.perExampleGradient({ layer: p.layer, kind: p.kind, index });
          assert.equal(one.length, m);
          for (let i = 0; i < m; i++)
            assert.ok(
              Math.abs(one[i] - all[i * size + index]) <= 1e-15 * Math.max(1, Math.abs(one[i])),
              `${p.name}[${index}] example ${i}`,
            );
        }
      }
  });
}

test('perExampleGradient rejects out-of-range indices and layers without parameters', () => {
  const { trainer } = trainedOneStep(nets[0].layers, nets[0].shape);
  assert.throws(() => trainer.perExampleGradient({ layer: 0, kind: 'bias', index: 6 }), /layers\[0\]\.bias has 6 entries/);
  assert.throws(() => trainer.perExampleGradients(2, 'weight'), /layers\[2\] has no parameters/);
});

test('per-example gradients reuse one buffer per parameter: each step refreshes it, a copy keeps the old step', () => {
  const spec = makeSpec([dense(6, 'relu'), dense(3)], { batchSize: 5, epochs: 3, optimizer: optimizer({ learningRate: 0.05 }) });
  const trainer = new Trainer({ spec, train: randomDataset(9, 5, [4], 3), validation: null });
  trainer.trainStep();
  const first = trainer.perExampleGradients(0, 'weight');
  const kept = first.slice();
  assert.equal(trainer.perExampleGradients(0, 'weight').buffer, first.buffer, 'no new allocation for the same parameter');
  const stepTwo = trainer.trainStep();
  assert.ok(stepTwo.step === 2);
  const second = trainer.perExampleGradients(0, 'weight');
  // The view now holds step 2's gradients (their mean is step 2's batch gradient), the copy step 1's.
  const size = second.length / stepTwo.batchSize;
  const mean = new Float64Array(size);
  for (let i = 0; i < stepTwo.batchSize; i++) for (let j = 0; j < size; j++) mean[j] += second[i * size + j] / stepTwo.batchSize;
  assert.ok(maxRelDiff(mean, trainer.gradient(0, 'weight')) < 1e-10);
  assert.ok(maxRelDiff(kept, second) > 1e-6, 'the kept copy is still step 1');
});
