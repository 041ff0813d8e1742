// The worker loop's requests about a run and its one-shot jobs, through a real MessageChannel with the real engine on a small
// generated dataset: step-through of the run's batch, weights out and in, and a batch-size comparison.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { NamedTensor } from '../../../src/engine/trainer';
import type { ModelSpec } from '../../../src/model/spec';
import type { WorkerEvent, WorkerRequest } from '../../../src/protocol';
import { dataset, loopSpec, openLoop } from './helpers';
import { optimizer } from '../oracles/reference';

const SPEC: ModelSpec = loopSpec({
  dtype: 'float64',
  data: { source: 'generated.csv', validationSplit: 0 },
  layers: [
    { type: 'dense', units: 16, activation: 'tanh' },
    { type: 'dense', units: 4, activation: 'linear' },
  ],
  optimizer: optimizer({ learningRate: 0.1 }),
});
const TRAIN = dataset(64, 12, 4, 1);

function weightsOf(answer: { type: string; tensors?: NamedTensor[] }): NamedTensor[] {
  assert.equal(answer.type, 'weights', JSON.stringify(answer).slice(0, 200));
  return answer.tensors!;
}

function loop() {
  const harness = openLoop({ train: TRAIN, validation: null });
  const { events } = harness;
  const send = (r: WorkerRequest) => harness.port.postMessage(r);
  /** The value of the reply to request `id`, or its error as `{ error }`. */
  const reply = (id: number) =>
    next((e) => (e.type === 'reply' && e.id === id ? (e.ok ? e.value : { type: 'error' as const, error: e.error }) : undefined));
  /** The first event (from index `from` on) that `pick` accepts. */
  const next = <T>(pick: (e: WorkerEvent) => T | undefined, from = 0) =>
    new Promise<T>((resolve, reject) => {
      const look = () => {
        for (const e of events.slice(from)) {
          const v = pick(e);
          if (v !== undefined) return v;
        }
        return undefined;
      };
      const now = look();
      if (now !== undefined) return resolve(now);
      const timer = setTimeout(() => reject(new Error(`timed out; events: ${events.map((e) => e.type).join(', ')}`)), 20000);
      harness.onEvent(() => {
        const v = look();
        if (v !== undefined) {
          clearTimeout(timer);
          resolve(v);
        }
      });
    });
  const start = () =>
    send({
      type: 'start',
      spec: SPEC,
      dataPath: null,
      labelsPath: null,
      mediaDir: '/nonexistent',
      file: 'loop.gradlens.json',
      paused: true,
      settings: { pauseOnNonFinite: true, histogramEvery: 5, heatmapMaxCells: 8, detailIntervalMs: 0, useWasm: false },
    });
  return {
    events,
    send,
    next,
    reply,
    start,
    close: harness.close,
  };
}

test('a step-through without a run says so; before any step it replays the batch Step then trains on, at unchanged weights', async () => {
  const w = loop();
  try {
    w.send({ type: 'walkthrough', id: 10, selection: null });
    const failed = await w.reply(10);
    assert.ok(failed.type === 'error');
    assert.match(failed.error, /Nothing is training/);

    w.start();
    await w.next((e) => (e.type === 'status' && e.status.state === 'paused' ? true : undefined));
    w.send({ type: 'getWeights', id: 1 });
    const initial = weightsOf(await w.reply(1));
    w.send({ type: 'walkthrough', id: 11, selection: { layer: 0, kind: 'weight', index: 5 } });
    const answer = await w.reply(11);
    assert.ok(answer.type === 'walkthrough');
    const result = answer.result;
    assert.equal(result.examples.length, SPEC.batchSize);
    const mean = result.examples.reduce((a, e) => a + e.gradient, 0) / result.examples.length;
    assert.ok(Math.abs(mean - result.batchGradient) < 1e-12, `mean ${mean} vs batch gradient ${result.batchGradient}`);
    assert.equal(result.before, initial[0].value[5]);

    const from = w.events.length;
    w.send({ type: 'step', id: 12 });
    const detail = await w.next((e) => (e.type === 'detail' ? e.detail : undefined), from);
    assert.deepEqual(
      detail.examples.map((e) => e.index),
      result.examples.map((e) => e.index),
      'Step trained on another batch',
    );
    // With plain SGD the step's update is exactly the one the step-through showed.
    w.send({ type: 'getWeights', id: 2 });
    const after = weightsOf(await w.reply(2));
    assert.ok(
      Math.abs(after[0].value[5] - result.after) < 1e-12,
      `θ after the step ${after[0].value[5]} vs shown ${result.after}`,
    );
  } finally {
    w.close();
  }
});

test('weights go out and back in exactly; a wrong shape is refused with the tensor named', async () => {
  const w = loop();
  try {
    w.start();
    await w.next((e) => (e.type === 'status' && e.status.state === 'paused' ? true : undefined));
    w.send({ type: 'getWeights', id: 1 });
    const initial = weightsOf(await w.reply(1));
    const changed: NamedTensor[] = initial.map((t) => ({ ...t, value: t.value.map((v, i) => v + i * 1e-3) }));
    w.send({ type: 'setWeights', id: 2, tensors: changed });
    assert.equal((await w.reply(2)).type, 'weightsSet');
    w.send({ type: 'getWeights', id: 3 });
    assert.deepEqual(weightsOf(await w.reply(3)), changed);
    w.send({ type: 'setWeights', id: 4, tensors: [{ ...changed[0], shape: [2, 2], value: [0, 0, 0, 0] }, ...changed.slice(1)] });
    const refused = await w.reply(4);
    assert.ok(refused.type === 'error');
    assert.match(refused.error, /layers\[0\]\.weight.*shape \[2, 2\]/);
  } finally {
    w.close();
  }
});

test('a comparison reports progress per run and one result per batch size, for the same examples', async () => {
  const w = loop();
  try {
    w.send({
      type: 'compare',
      id: 5,
      spec: SPEC,
      dataPath: null,
      labelsPath: null,
      mediaDir: '/nonexistent',
      file: 'loop.gradlens.json',
      batchSizes: [1, 'full'],
      useWasm: false,
    });
    const answer = await w.reply(5);
    assert.ok(answer.type === 'compare');
    const result = answer.result;
    assert.deepEqual(
      result.runs.map((r) => r.batchSize),
      [1, 64],
    );
    assert.deepEqual(
      result.runs.map((r) => r.steps),
      [192, 3],
    );
    const progress = w.events.flatMap((e) => (e.type === 'compareProgress' ? [e] : []));
    assert.ok(progress.some((p) => p.run === 0) && progress.some((p) => p.run === 1));
    assert.ok(progress.every((p) => p.runs === 2 && p.examplesTotal === 192));
  } finally {
    w.close();
  }
});
