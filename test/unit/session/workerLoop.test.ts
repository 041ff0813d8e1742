// The worker's training loop driven through a real MessageChannel with the real engine, on a small
// generated dataset (the loop is under test here; the engine and data loaders have their own tests).

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Trainer, type NamedTensor } from '../../../src/engine';
import type { ModelSpec } from '../../../src/model/spec';
import type { WorkerEvent, WorkerRequest } from '../../../src/protocol';
import { checkFit } from '../../../src/session/workerLoop';
import { dataset, loopSpec, openLoop } from './helpers';
import { batchGradients, meanGradient } from '../oracles/reference';

const spec = loopSpec;

const TRAIN = dataset(96, 12, 4, 1);
const VALIDATION = dataset(32, 12, 4, 2);

/** Starts the loop; returns the host's end, every event received, and the trainer the loop made. */
function startLoop(s: ModelSpec, paused = false, train = TRAIN, interrupt?: Int32Array) {
  const made: { trainer: Trainer | null; weightsBeforeStep: NamedTensor[] | null } = { trainer: null, weightsBeforeStep: null };
  const loop = openLoop(
    { train, validation: VALIDATION },
    {
      interrupt,
      // The real Trainer, kept at hand: what the engine computed is read from it, and the weights
      // just before each step are noted (the loop itself is what is under test).
      createTrainer: (o) => {
        const t = new Trainer(o);
        const trainStep = t.trainStep.bind(t);
        t.trainStep = () => {
          made.weightsBeforeStep = t.getWeights();
          return trainStep();
        };
        made.trainer = t;
        return t;
      },
    },
  );
  const { events, until, port } = loop;
  let nextId = 1;
  /** Controls get an id here, as the host gives them. */
  const send = (r: WorkerRequest | { type: 'pause' | 'resume' | 'step' | 'stop' }) =>
    port.postMessage('id' in r ? r : { ...r, id: nextId++ });
  send({
    type: 'start',
    spec: s,
    dataPath: null,
    labelsPath: null,
    mediaDir: '/nonexistent',
    file: 'loop.gradlens.json',
    paused,
    settings: { pauseOnNonFinite: true, histogramEvery: 5, heatmapMaxCells: 8, detailIntervalMs: 0, useWasm: false },
  });
  /**
   * Round trips through the worker's message loop, one after another. The loop answers a message
   * between two training slices, so a loop that were still training would add steps meanwhile:
   * "nothing happened" is shown by a condition, not by waiting some milliseconds.
   */
  const roundTrips = async (n = 5) => {
    for (let i = 0; i < n; i++) {
      const id = nextId++;
      port.postMessage({ type: 'ping', id });
      await until(() => events.some((e) => e.type === 'pong' && e.id === id), `pong ${id}`);
    }
  };
  return { events, send, until, close: loop.close, roundTrips, port, made };
}

const steps = (events: WorkerEvent[]) => events.flatMap((e) => (e.type === 'steps' ? e.points.map((p) => p.step) : []));
const states = (events: WorkerEvent[]) => events.flatMap((e) => (e.type === 'status' ? [e.status.state] : []));

test('a run reports every step once, in order, each epoch, details and the finish', async () => {
  const loop = startLoop(spec());
  try {
    await loop.until(() => states(loop.events).includes('finished'));
    const total = 3 * Math.ceil(96 / 8);
    assert.deepEqual(
      steps(loop.events),
      Array.from({ length: total }, (_, i) => i + 1),
    );
    const started = loop.events.find((e) => e.type === 'started');
    assert.ok(started && started.type === 'started');
    assert.equal(started.run.trainSize, 96);
    assert.equal(started.run.validationSize, 32);
    const epochs = loop.events.flatMap((e) => (e.type === 'epoch' ? [e.epoch] : []));
    assert.deepEqual(
      epochs.map((e) => e.epoch),
      [1, 2, 3],
    );
    assert.ok(epochs[2].trainLoss < epochs[0].trainLoss, 'the loss should fall on this separable data');
    const details = loop.events.flatMap((e) => (e.type === 'detail' ? [e.detail] : []));
    assert.ok(details.length > 0);
    const last = details[details.length - 1];
    assert.equal(last.step, total, 'the last detail is of the last step');
    assert.ok(last.perExample && last.heatmap);
    assert.equal(last.perExample.perExample.length, 8);
    // What the loop sent against what the engine holds and a float64 reference computes: the bars
    // are each example's own gradient at the weights before the last step, the mean is that
    // step's batch gradient, θ before and after are the weights read around the step.
    const { trainer, weightsBeforeStep } = loop.made;
    assert.ok(trainer && weightsBeforeStep);
    const sel = last.perExample.selection;
    const name = `layers[${sel.layer}].${sel.kind}`;
    const ref = batchGradients(spec(), weightsBeforeStep, TRAIN, trainer.lastBatchInputs().indices);
    const bars = ref.map((r) => r.grads.get(name)![sel.index]);
    assert.ok(new Set(bars).size > 1, 'the reference bars differ, so a bar in the wrong place shows');
    const scale = Math.max(...bars.map(Math.abs));
    last.perExample.perExample.forEach((v, i) =>
      assert.ok(Math.abs(v - bars[i]) <= 1e-4 * scale, `bar ${i}: ${v}, reference ${bars[i]}`),
    );
    const G = meanGradient(ref, name)[sel.index];
    assert.ok(Math.abs(last.perExample.mean - G) <= 1e-4 * scale, `mean ${last.perExample.mean}, reference ${G}`);
    assert.ok(
      Math.abs(last.perExample.mean - trainer.gradient(sel.layer, sel.kind)[sel.index]) <= 1e-6 * scale,
      'mean = batch gradient',
    );
    const theta = (w: NamedTensor[]) => w.find((t) => t.layer === sel.layer && t.kind === sel.kind)!.value[sel.index];
    assert.ok(Math.abs(last.perExample.before - theta(weightsBeforeStep)) <= 1e-6, 'θ before the last step');
    assert.equal(last.perExample.after, theta(trainer.getWeights()), 'θ after the last step');
    assert.ok(Math.abs(last.perExample.update - (last.perExample.after - theta(weightsBeforeStep))) <= 1e-6, 'update');
    assert.equal(last.examples.length, 8);
    assert.equal(last.imageShape, null, 'tabular data has no images');
    assert.ok(last.heatmap.cellRows <= 8 && last.heatmap.cellCols <= 8);
    const histograms = details.flatMap((d) => d.histograms);
    assert.deepEqual(
      [...new Set(histograms.map((h) => h.step))],
      Array.from({ length: Math.floor(total / 5) }, (_, i) => (i + 1) * 5),
    );
    // Events order: epoch e comes after its last step's points and before the next epoch's steps.
    const order = loop.events.filter((e) => e.type === 'steps' || e.type === 'epoch');
    let seen = 0;
    for (const e of order) {
      if (e.type === 'steps') seen = e.points[e.points.length - 1].step;
      else assert.equal(seen, e.epoch.step, `epoch ${e.epoch.epoch} reported after step ${seen}`);
    }
  } finally {
    loop.close();
  }
});

test('started paused, Step does exactly one step; Pause holds; Resume continues; Stop ends', async () => {
  const loop = startLoop(spec({ epochs: 50 }), true);
  try {
    await loop.until(() => states(loop.events).includes('paused'));
    assert.deepEqual(steps(loop.events), []);
    loop.send({ type: 'step' });
    await loop.until(() => steps(loop.events).length === 1);
    await loop.roundTrips();
    assert.deepEqual(steps(loop.events), [1]);
    loop.send({ type: 'resume' });
    await loop.until(() => steps(loop.events).length >= 20);
    const t0 = performance.now();
    loop.send({ type: 'pause' });
    const pausesBefore = states(loop.events).filter((s) => s === 'paused').length;
    await loop.until(() => states(loop.events).filter((s) => s === 'paused').length > pausesBefore);
    // How fast is for the benchmarks (a busy machine stretches it); here: it pauses and holds.
    console.log(`      pause took ${(performance.now() - t0).toFixed(1)} ms`);
    const at = steps(loop.events).length;
    await loop.roundTrips();
    assert.equal(steps(loop.events).length, at, 'no steps while paused');
    loop.send({ type: 'stop' });
    await loop.until(() => states(loop.events).includes('stopped'));
    loop.send({ type: 'resume' });
    await loop.roundTrips();
    assert.equal(steps(loop.events).length, at, 'a stopped run does not resume');
    const all = steps(loop.events);
    assert.deepEqual(
      all,
      Array.from({ length: all.length }, (_, i) => i + 1),
    );
  } finally {
    loop.close();
  }
});

test('with the shared interrupt flag, a pause ends the running slice at once', async () => {
  const interrupt = new Int32Array(new SharedArrayBuffer(4));
  // A bigger network so one slice holds several steps.
  const loop = startLoop(
    spec({
      epochs: 200,
      layers: [
        { type: 'dense', units: 256, activation: 'relu' },
        { type: 'dense', units: 4, activation: 'linear' },
      ],
    }),
    false,
    TRAIN,
    interrupt,
  );
  try {
    await loop.until(() => steps(loop.events).length >= 30);
    const t0 = performance.now();
    Atomics.store(interrupt, 0, 1);
    loop.send({ type: 'pause' });
    await loop.until(() => states(loop.events).includes('paused'));
    console.log(`      pause with the interrupt flag took ${(performance.now() - t0).toFixed(1)} ms`);
    assert.equal(Atomics.load(interrupt, 0), 0, 'the message clears the flag');
    const at = steps(loop.events).length;
    loop.send({ type: 'step' });
    await loop.until(() => steps(loop.events).length === at + 1);
    await loop.roundTrips();
    assert.equal(steps(loop.events).length, at + 1);
  } finally {
    loop.close();
  }
});

test('selecting a parameter and switching the heatmap mode resend the detail for it', async () => {
  const loop = startLoop(spec(), true);
  try {
    await loop.until(() => states(loop.events).includes('paused'));
    loop.send({ type: 'step' });
    await loop.until(() => loop.events.some((e) => e.type === 'detail'));
    loop.send({ type: 'select', selection: { layer: 1, kind: 'bias', index: 2 } });
    loop.send({ type: 'heatmapMode', mode: 'weight' });
    await loop.until(() => loop.events.some((e) => e.type === 'detail' && e.detail.heatmap?.mode === 'weight'));
    const detail = loop.events.filter((e) => e.type === 'detail').pop();
    assert.ok(detail && detail.type === 'detail' && detail.detail.perExample && detail.detail.heatmap);
    assert.deepEqual(detail.detail.perExample.selection, { layer: 1, kind: 'bias', index: 2 });
    assert.equal(detail.detail.heatmap.kind, 'bias');
    assert.deepEqual([detail.detail.heatmap.rows, detail.detail.heatmap.cols], [1, 4]);
    // An out-of-range selection is ignored.
    const notPong = () => loop.events.filter((e) => e.type !== 'pong').length;
    const count = notPong();
    loop.send({ type: 'select', selection: { layer: 1, kind: 'bias', index: 99 } });
    await loop.roundTrips();
    assert.equal(notPong(), count);
  } finally {
    loop.close();
  }
});

test('a network that does not fit the data is a clear error naming the layer', async () => {
  const s = spec({
    layers: [
      { type: 'dense', units: 16, activation: 'relu' },
      { type: 'dense', units: 7, activation: 'linear' },
    ],
  });
  assert.match(checkFit(s, TRAIN) ?? '', /layers\[1\]: the last layer has 7 outputs but the data has 4 classes/);
  const loop = startLoop(s);
  try {
    await loop.until(() => states(loop.events).includes('failed'));
    const error = loop.events.find((e) => e.type === 'error');
    assert.ok(error && error.type === 'error');
    assert.match(error.message, /^loop\.gradlens\.json: layers\[1\]: the last layer has 7 outputs/);
    assert.ok(!loop.events.some((e) => e.type === 'started'));
  } finally {
    loop.close();
  }
});

test('a NaN pauses the run and reports where it started', async () => {
  const bad = dataset(96, 12, 4, 1);
  bad.x[5 * 12 + 3] = NaN; // example 5
  const loop = startLoop(spec({ batchSize: 96, epochs: 2 }), false, bad);
  try {
    await loop.until(() => loop.events.some((e) => e.type === 'error'));
    const error = loop.events.find((e) => e.type === 'error');
    assert.ok(error && error.type === 'error' && error.nonFinite, 'an error with a NonFiniteReport');
    assert.match(error.message, /Training is paused/);
    await loop.until(() => states(loop.events).includes('paused'));
    assert.deepEqual(steps(loop.events), [1], 'it stops at the first step with a NaN');
  } finally {
    loop.close();
  }
});

test('the gradient check request answers with a result for every parameterised layer', async () => {
  const loop = openLoop({ train: TRAIN, validation: null });
  loop.port.postMessage({
    id: 7,
    type: 'gradCheck',
    spec: spec({ dtype: 'float64' }),
    dataPath: null,
    labelsPath: null,
    mediaDir: '',
    file: 'loop.gradlens.json',
  } satisfies WorkerRequest);
  await loop.until(() => loop.events.length > 0, 'the reply');
  const event = loop.events[0];
  loop.close();
  assert.ok(event.type === 'reply' && event.id === 7 && event.ok, JSON.stringify(event));
  assert.ok(event.value.type === 'gradCheck');
  assert.equal(event.value.result.layers.length, 2);
  assert.ok(event.value.result.passed, JSON.stringify(event.value.result));
});

test('a malformed request is refused with a reply and leaves the run training', async () => {
  const loop = startLoop(spec({ epochs: 50 }), true);
  try {
    await loop.until(() => states(loop.events).includes('paused'));
    // What the webview once sent and killed the worker with, and a few more wrong shapes.
    loop.port.postMessage({ type: 'select', selection: null });
    loop.port.postMessage({ type: 'setWeights', id: 41, tensors: [{ name: 'x', shape: [2], value: 'no' }] });
    loop.port.postMessage({ type: 'explode', id: 42 });
    loop.port.postMessage(null);
    await loop.until(() => loop.events.some((e) => e.type === 'reply' && e.id === 42));
    const refused = loop.events
      .filter((e) => e.type === 'reply' && !e.ok)
      .map((e) => (e.type === 'reply' && !e.ok ? `${e.id}: ${e.error}` : ''));
    assert.equal(refused.length, 2, refused.join('\n'));
    assert.match(refused[0], /^41: .*tensors\[0\]\.value must be a list of numbers/);
    assert.match(refused[1], /^42: .*unknown type "explode"/);
    loop.send({ type: 'step' });
    await loop.until(() => steps(loop.events).length === 1);
  } finally {
    loop.close();
  }
});
