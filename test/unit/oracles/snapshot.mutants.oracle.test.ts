// Mutation-oriented tests for src/engine/snapshot.ts (issue 14). The oracle is the float64
// reference of oracles/reference.ts (the chain rule written out per example, no engine code),
// fed the network's weights and the raw data; the batch is read back from the data set by index.
// The network's batch is 2 and the snapshot 5 examples (one repeated), so it runs in chunks
// 2 + 2 + 1 and a chunk's offset, length or order shows in every per-example row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildBatchSnapshot } from '../../../src/engine/snapshot';
import { Network } from '../../../src/engine/network';
import { referenceBackend } from '../../../src/engine/reference';
import type { LossName } from '../../../src/model/spec';
import { batchGradients, close, meanGradient, mlpSpec, separable, type Weights } from './reference';

const data = separable(9, 4, 3, 5);
const indices = [4, 0, 7, 0, 3];

function snapshotAndReference(loss: LossName, maxBatch: number) {
  const spec = mlpSpec({ loss });
  const net = new Network(spec, data.inputShape, referenceBackend('float64'), maxBatch);
  const weights: Weights[] = net.paramLayers.flatMap((l) =>
    l.params.map((p) => ({ ...p.info, shape: p.info.shape.slice(), value: Array.from(p.value) })),
  );
  const snap = buildBatchSnapshot(net, loss, data, indices);
  return { net, snap, weights, ref: batchGradients(spec, weights, data, indices) };
}

for (const loss of ['cross-entropy', 'mse'] as const) {
  for (const maxBatch of [2, 5]) {
    test(`batch snapshot (${loss}, chunks of ${maxBatch}): losses, batch, gradients and every per-example row against the float64 reference`, () => {
      const { snap, weights, ref } = snapshotAndReference(loss, maxBatch);
      assert.equal(snap.perExampleLoss.length, indices.length);
      snap.perExampleLoss.forEach((l, i) => close(l, ref[i].loss, 1e-12, `loss of example ${i}`));
      close(snap.loss, ref.reduce((s, e) => s + e.loss, 0) / indices.length, 1e-12, 'batch loss');
      assert.deepEqual(
        snap.batch.x,
        indices.map((k) => [0, 1, 2, 3].map((f) => data.x[k * 4 + f])),
      );
      const labels = indices.map((k) => data.y[k]);
      assert.deepEqual(snap.batch.y, loss === 'mse' ? labels.map((c) => [0, 1, 2].map((j) => (j === c ? 1 : 0))) : labels);
      assert.deepEqual(
        snap.parameters.map((p) => [p.name, p.layer, p.shape]),
        [
          ['layers[0].weight', 0, [4, 6]],
          ['layers[0].bias', 0, [6]],
          ['layers[1].weight', 1, [6, 3]],
          ['layers[1].bias', 1, [3]],
        ],
      );
      for (const p of snap.parameters) {
        assert.deepEqual(p.value, weights.find((w) => w.name === p.name)!.value, p.name);
        const mean = meanGradient(ref, p.name);
        assert.equal(p.grad.length, mean.length, p.name);
        p.grad.forEach((g, j) => close(g, mean[j], 1e-10, `${p.name} grad[${j}]`));
        assert.equal(p.perExampleGrad.length, indices.length, p.name);
        p.perExampleGrad.forEach((row, i) => {
          const want = ref[i].grads.get(p.name)!;
          assert.equal(row.length, want.length, `${p.name} row ${i}`);
          row.forEach((g, j) => close(g, want[j], 1e-10, `${p.name} example ${i} [${j}]`));
        });
      }
    });
  }
}

test("batch snapshot: the shapes are copies (changing one leaves the network's own shape as it was)", () => {
  const { net, snap } = snapshotAndReference('cross-entropy', 2);
  snap.parameters[0].shape[0] = 99;
  assert.deepEqual(net.paramLayers[0].params[0].info.shape, [4, 6]);
});
