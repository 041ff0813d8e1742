import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { Trainer } from '../../../src/engine';
import { loadDataset } from '../../../src/data/load';
import { parseModel } from '../../../src/model';
import { stepPoint } from '../../../src/session/detail';
import type { StepPoint } from '../../../src/protocol';
import type { EpochStats } from '../../../src/engine/types';
import {
  historyFromCsv,
  historyToCsv,
  historyToJson,
  parseHistoryJson,
  parseWeightsJson,
  weightsToJson,
} from '../../../src/export';

const media = path.resolve(__dirname, '../../../media');

function specOf(batchSize: number, validationSplit: number) {
  return parseModel(`{
    "name": "tiny digits", "seed": 3, "dtype": "float32", "data": { "source": "mnist", "limit": 40, "validationSplit": ${validationSplit} },
    "layers": [ { "type": "dense", "units": 6, "activation": "relu" }, { "type": "dense", "units": 10 } ],
    "optimizer": { "learningRate": 0.05 }, "batchSize": ${batchSize}, "epochs": 2 }`).spec!;
}

/** A real run: every step's point and every epoch's statistics, as the session keeps them. */
async function realRun(
  batchSize: number,
  validationSplit: number,
): Promise<{ history: StepPoint[]; epochs: EpochStats[]; trainer: Trainer }> {
  const spec = specOf(batchSize, validationSplit);
  const { train, validation } = await loadDataset(spec.data, {
    dataPath: null,
    labelsPath: null,
    mediaDir: media,
    seed: spec.seed,
  });
  const trainer = new Trainer({ spec, train, validation });
  const history: StepPoint[] = [];
  const epochs: EpochStats[] = [];
  let time = 0;
  while (!trainer.done()) {
    const s = trainer.trainStep();
    time += 0.001 * Math.PI; // a non-round time, so the float round trip is really tested
    history.push(stepPoint(s, time));
    if (s.batchInEpoch === trainer.stepsPerEpoch - 1) epochs.push(trainer.evaluate());
  }
  return { history, epochs, trainer };
}

test('history → CSV → history loses nothing (M = 1 has NaN noise scales; no validation set gives nulls)', async () => {
  for (const [m, split] of [
    [1, 0],
    [8, 0.25],
  ] as const) {
    const { history, epochs } = await realRun(m, split);
    assert.ok(history.length > 4 && epochs.length === 2);
    if (m === 1)
      assert.ok(
        history.some((p) => Number.isNaN(p.noiseScale)),
        'M = 1 should produce NaN noise scales',
      );
    const csv = historyToCsv(history, epochs);
    const lines = csv.trimEnd().split('\n');
    assert.equal(lines.length, history.length + 1, 'one row per step');
    assert.ok(lines[0].split(',').includes('layer0.gradNorm') && lines[0].split(',').includes('layer1.updateRatio'));
    const back = historyFromCsv(csv);
    assert.deepEqual(back.history, history);
    assert.deepEqual(back.epochs, epochs);
  }
});

test('history → JSON → history loses nothing', async () => {
  const { history, epochs } = await realRun(1, 0.25);
  const back = parseHistoryJson(historyToJson({ model: 'tiny digits', history, epochs }));
  assert.equal(back.model, 'tiny digits');
  assert.deepEqual(back.history, history);
  assert.deepEqual(back.epochs, epochs);
  const negZero = parseHistoryJson(
    historyToJson({ model: 'm', history: [{ ...history[0], loss: -0, time: Infinity }], epochs: [] }),
  );
  assert.ok(Object.is(negZero.history[0].loss, -0));
  assert.equal(negZero.history[0].time, Infinity);
});

test('weights → JSON → weights is exact and loads into a fresh trainer to the same predictions', async () => {
  const { trainer } = await realRun(8, 0);
  const weights = trainer.getWeights();
  const text = weightsToJson({ model: 'tiny digits', specHash: 'abc123', tensors: weights });
  const back = parseWeightsJson(text, weights);
  assert.equal(back.model, 'tiny digits');
  assert.equal(back.specHash, 'abc123');
  assert.deepEqual(back.tensors, weights);
  const spec = specOf(8, 0);
  const { train } = await loadDataset(spec.data, { dataPath: null, labelsPath: null, mediaDir: media, seed: spec.seed });
  const fresh = new Trainer({ spec, train, validation: null });
  assert.notDeepEqual(fresh.getWeights(), weights);
  fresh.setWeights(back.tensors);
  assert.deepEqual(fresh.getWeights(), weights);
  assert.deepEqual(fresh.evaluate().trainLoss, trainer.evaluate().trainLoss);
});

test('bad weights files get clear messages that name the problem', async () => {
  const { trainer } = await realRun(8, 0);
  const weights = trainer.getWeights();
  const good = JSON.parse(weightsToJson({ model: 'm', tensors: weights }));
  assert.throws(() => parseWeightsJson('{ nope'), /not valid JSON/);
  assert.throws(
    () => parseWeightsJson(JSON.stringify({ ...good, format: 'something-else' })),
    /\$\.format: expected "gradient-lens-weights"/,
  );
  assert.throws(() => parseWeightsJson(JSON.stringify({ ...good, version: 2 })), /\$\.version/);
  const reshaped = structuredClone(good);
  reshaped.tensors[0].shape = [reshaped.tensors[0].shape[1], reshaped.tensors[0].shape[0]];
  const name = weights[0].name;
  assert.throws(
    () => parseWeightsJson(JSON.stringify(reshaped), weights),
    new RegExp(`Tensor "${name.replace(/[[\]]/g, '\\$&')}" has shape \\[${reshaped.tensors[0].shape.join(', ')}\\]`),
  );
  const short = structuredClone(good);
  short.tensors[1].value.pop();
  assert.throws(() => parseWeightsJson(JSON.stringify(short)), /\$\.tensors\[1\].*holds \d+ values, but value has/);
  const missing = structuredClone(good);
  missing.tensors.pop();
  assert.throws(() => parseWeightsJson(JSON.stringify(missing), weights), /has no tensor/);
  const wrongType = structuredClone(good);
  wrongType.tensors[0].value[3] = 'x';
  assert.throws(() => parseWeightsJson(JSON.stringify(wrongType)), /\.value\[3\]: expected a number/);
});
