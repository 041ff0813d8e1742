import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { compareBatchSizes, stepVariance, MAX_COMPARE_POINTS, CompareCancelled } from '../../../src/engine/compare';
import { loadDataset } from '../../../src/data/load';
import { parseModel } from '../../../src/model';

const media = path.resolve(__dirname, '../../../media');
const spec = parseModel(`{
  "seed": 3, "data": { "source": "mnist", "limit": 200, "validationSplit": 0 },
  "layers": [ { "type": "dense", "units": 16, "activation": "relu" }, { "type": "dense", "units": 10 } ],
  "optimizer": { "learningRate": 0.05 }, "batchSize": 32, "epochs": 1 }`).spec!;

async function digits() {
  return (await loadDataset(spec.data, { dataPath: null, labelsPath: null, mediaDir: media, seed: spec.seed })).train;
}

test('every batch size sees the same examples; smaller batches make more, noisier updates', async () => {
  const train = await digits();
  const r = compareBatchSizes({ spec, train, batchSizes: [1, 20, 'full'], examples: 600 });
  assert.deepEqual(r.runs.map((x) => x.batchSize), [1, 20, 200]);
  assert.deepEqual(r.runs.map((x) => x.steps), [600, 30, 3]);
  for (const run of r.runs) {
    assert.equal(run.points[run.points.length - 1].examplesSeen, 600);
    assert.ok(run.points.length <= MAX_COMPARE_POINTS);
  }
  assert.ok(r.runs[0].stepLossVariance > 10 * r.runs[1].stepLossVariance, 'M = 1 moves the loss far more per step');
  assert.ok(Number.isNaN(r.runs[0].noiseScale), 'no noise scale from one example');
  assert.ok(r.runs[1].noiseScale > 0);
  const ratio = Math.sqrt(r.runs[0].stepLossVariance / r.runs[1].stepLossVariance).toFixed(1);
  assert.ok(r.summary.includes(`moved ${ratio}× more from step to step than with M = 20`), r.summary);
  assert.match(r.summary, /full batch\) \(3 updates\)/);
});

test('the comparison is deterministic, apart from wall time', async () => {
  const train = await digits();
  const strip = (x: ReturnType<typeof compareBatchSizes>) => x.runs.map((r) => r.points.map((p) => [p.examplesSeen, p.loss]));
  const a = compareBatchSizes({ spec, train, batchSizes: [4, 50], examples: 200, now: () => 0 });
  const b = compareBatchSizes({ spec, train, batchSizes: [4, 50], examples: 200, now: () => 0 });
  assert.deepEqual(strip(a), strip(b));
  assert.equal(a.summary, b.summary);
});

test('the comparison can be cancelled', async () => {
  const train = await digits();
  let calls = 0;
  assert.throws(() => compareBatchSizes({ spec, train, batchSizes: [1, 32], examples: 600, shouldCancel: () => ++calls > 10 }), CompareCancelled);
});

test('step variance is the variance of successive loss changes', () => {
  assert.equal(stepVariance([1, 2, 3, 4]), 0);
  assert.ok(Math.abs(stepVariance([0, 1, 0, 1]) - 4 / 3) < 1e-12);
  assert.ok(Number.isNaN(stepVariance([1, 2])));
});
