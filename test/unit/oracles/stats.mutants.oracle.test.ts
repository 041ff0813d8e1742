// The smallest batch that has a noise scale, M = 2: the model-wide B_simple against the float64
// reference's two per-example gradients, where the unbiased trace of their covariance is simply
// ‖g₁ − g₂‖²/2 and ‖G‖² = ‖(g₁ + g₂)/2‖², summed over every parameter of every layer.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Trainer, referenceBackend } from '../../../src/engine';
import { batchGradients, close, mlpSpec, separable } from './reference';

for (const stats of ['full', 'norms'] as const) {
  test(`B_simple of a batch of two is ‖g₁ − g₂‖²/2 over ‖(g₁ + g₂)/2‖², model-wide and per layer (stats '${stats}')`, () => {
    const spec = mlpSpec({ batchSize: 2 });
    // Two examples: the batch is both, whatever the shuffle.
    const train = separable(2, 4, 3, 47);
    const trainer = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64'), stats });
    const weights = trainer.getWeights();
    const s = trainer.trainStep();
    const [g1, g2] = batchGradients(spec, weights, train, [0, 1]);
    let trace = 0,
      gSq = 0;
    for (const layer of [0, 1]) {
      let layerTrace = 0,
        layerGSq = 0;
      for (const kind of ['weight', 'bias']) {
        const a = g1.grads.get(`layers[${layer}].${kind}`)!,
          b = g2.grads.get(`layers[${layer}].${kind}`)!;
        a.forEach((v, j) => {
          layerTrace += (v - b[j]) ** 2 / 2;
          layerGSq += ((v + b[j]) / 2) ** 2;
        });
      }
      const l = s.layers.find((x) => x.layer === layer)!;
      assert.ok(Number.isFinite(l.noiseScale), `layer ${layer}: a batch of two has a noise scale`);
      close(l.noiseScale, layerTrace / layerGSq, 1e-9, `layer ${layer} B_simple`);
      trace += layerTrace;
      gSq += layerGSq;
    }
    assert.ok(Number.isFinite(s.noiseScale), 'a batch of two has a model-wide noise scale');
    close(s.noiseScale, trace / gSq, 1e-9, 'model-wide B_simple');
  });
}

test('a batch of one has no noise scale (NaN), per layer and model-wide', () => {
  const spec = mlpSpec({ batchSize: 1 });
  const trainer = new Trainer({ spec, train: separable(3, 4, 3, 5), validation: null, backend: referenceBackend('float64') });
  const s = trainer.trainStep();
  assert.ok(Number.isNaN(s.noiseScale));
  assert.ok(s.layers.every((l) => Number.isNaN(l.noiseScale)));
  assert.equal(s.layers[0].perExampleNorms.length, 1, 'the per-example norm is still there');
});
