// Per-example statistics of the PyTorch ranks come from each layer's input and the gradient at its
// pre-activation, captured in the training pass itself (python/gradlens/stats.py), not from vmap.
// On the CNN example (convolutions and a dense layer, 2 ranks) they equal the built-in engine's own
// per-example norms, cosines and noise scale, and functorch's vmap(grad) run of the same steps.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { engineSteps, load, relative, root, torchRun } from './run';

const STEPS = 2;

test('CNN on 2 ranks: per-example norms, cosines and noise scale from the captured pass equal the engine and vmap', async () => {
  const m = await load(readFileSync(path.join(root, 'examples/cnn/cnn.gradlens.json'), 'utf8'));
  const engine = engineSteps(m, STEPS);
  const hooks = await torchRun(m, { nproc: 2, maxSteps: STEPS });
  const vmap = await torchRun(m, { nproc: 2, maxSteps: STEPS, env: { GRADLENS_PER_EXAMPLE: 'vmap' } });
  for (const run of [hooks, vmap]) {
    assert.equal(run.failed, null, run.failed?.message);
    assert.equal(run.steps.length, STEPS);
  }
  let worst = 0;
  for (const [s, rec] of hooks.steps.entries()) {
    for (const [l, layer] of rec.layers.entries()) {
      for (const other of [engine[s].layers[l], vmap.steps[s].layers[l]]) {
        assert.equal(layer.perExampleNorms.length, 32);
        layer.perExampleNorms.forEach((v, i) => {
          worst = Math.max(worst, relative(v, other.perExampleNorms[i]));
          assert.ok(relative(v, other.perExampleNorms[i]) < 2e-5, `step ${rec.step} layer ${layer.layer} ‖g${i}‖`);
          assert.ok(
            Math.abs(layer.cosineToMean[i] - other.cosineToMean[i]) < 1e-4,
            `step ${rec.step} layer ${layer.layer} cos${i}`,
          );
        });
        assert.ok(relative(layer.noiseScale, other.noiseScale) < 1e-4, `step ${rec.step} layer ${layer.layer} noise scale`);
      }
    }
  }
  assert.ok(worst > 0, 'three implementations agreeing to the last bit would mean one was compared with itself');
});
