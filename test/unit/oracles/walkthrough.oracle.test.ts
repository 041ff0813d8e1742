// The step-through replays one batch example by example. Its numbers are checked against the
// float64 reference at the weights the batch was really trained at: θ BEFORE that batch's update.
// At the engine level (walkThroughBatch given weights) and through the worker's training loop
// (Step, then step through the batch just shown), where the weights are the loop's choice.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { Trainer, referenceBackend, gradientCheck } from '../../../src/engine';
import { BatchSchedule } from '../../../src/engine/batching';
import { walkThroughBatch } from '../../../src/engine/walkthrough';
import type { ModelSpec } from '../../../src/model/spec';
import type { ParamSelection, WalkthroughResult, WorkerEvent, WorkerRequest } from '../../../src/protocol';
import { runWorker, type WorkerPort } from '../../../src/session/workerLoop';
import { batchGradients, close, meanGradient, mlpSpec, optimizer, separable, spreadIndex, type Weights } from './reference';

/** Selections of entries that vary across the batch at these weights (a dead unit's zeros would hide an error). */
function selections(spec: ModelSpec, weights: Weights[], train: ReturnType<typeof separable>, indices: number[]): ParamSelection[] {
  const ref = batchGradients(spec, weights, train, indices);
  return ([[0, 'weight'], [1, 'bias'], [1, 'weight']] as const).map(([layer, kind]) => ({ layer, kind, index: spreadIndex(ref, `layers[${layer}].${kind}`) }));
}

function checkReplay(result: WalkthroughResult, spec: ModelSpec, train: ReturnType<typeof separable>, weights: Weights[], indices: number[], sel: ParamSelection, what: string): void {
  const name = `layers[${sel.layer}].${sel.kind}`;
  const ref = batchGradients(spec, weights, train, indices);
  const expected = ref.map((e) => e.grads.get(name)![sel.index]);
  assert.ok(new Set(expected).size > 1, `${what}: the reference gradients differ between examples`);
  assert.deepEqual(result.examples.map((e) => e.index), indices, `${what}: the examples of the batch, in order`);
  result.examples.forEach((e, i) => {
    close(e.gradient, expected[i], 1e-9, `${what}: g${i} of ${name}[${sel.index}]`);
    close(e.loss, ref[i].loss, 1e-10, `${what}: L${i}`);
    assert.equal(e.prediction, ref[i].prediction, `${what}: prediction ${i}`);
    assert.equal(e.label, train.y[indices[i]]);
    const partial = expected.slice(0, i + 1).reduce((a, b) => a + b, 0);
    close(e.runningSum, partial, 1e-9, `${what}: running sum after ${i + 1}`);
    close(e.runningMean, partial / (i + 1), 1e-9, `${what}: running mean after ${i + 1}`);
  });
  const mean = meanGradient(ref, name)[sel.index];
  close(result.batchGradient, mean, 1e-9, `${what}: batch gradient = reference mean`);
  const theta = weights.find((w) => w.name === name)!.value[sel.index];
  close(result.before, theta, 1e-12, `${what}: θ before`);
  close(result.after, theta - spec.optimizer.learningRate * mean, 1e-10, `${what}: θ after = θ − γ·mean`);
}

test('step-through (engine): every replayed number equals the float64 reference at the weights it is given', () => {
  const spec = mlpSpec({ batchSize: 6, optimizer: optimizer({ learningRate: 0.25, momentum: 0.9 }) });
  const train = separable(18, 4, 3, 81);
  const trainer = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64') });
  trainer.trainStep();
  const weights = trainer.getWeights();
  const indices = [3, 17, 0, 9, 11];
  for (const sel of selections(spec, weights, train, indices)) {
    const result = walkThroughBatch({ spec, train, indices, weights, selection: sel });
    checkReplay(result, spec, train, weights, indices, sel, `${sel.kind} ${sel.layer}/${sel.index}`);
  }
});

/** The worker's loop on one end of a MessageChannel, with the real engine; resolves waits on conditions. */
function startLoop(spec: ModelSpec, train: ReturnType<typeof separable>) {
  const { port1, port2 } = new MessageChannel();
  runWorker(port1 as unknown as WorkerPort, {
    createTrainer: (o) => new Trainer(o),
    referenceBackend,
    createWasmBackend: () => Promise.reject(new Error('not used')),
    loadDataset: async () => ({ train, validation: null }),
    gradientCheck: (sp, d) => gradientCheck(sp, d),
  });
  const events: WorkerEvent[] = [];
  const listeners: Array<() => void> = [];
  port2.on('message', (e: WorkerEvent) => { events.push(e); listeners.forEach((l) => l()); });
  const until = (pred: () => boolean, what: string) => new Promise<void>((resolve, reject) => {
    if (pred()) return resolve();
    const timer = setTimeout(() => reject(new Error(`no ${what} within 20 s; events: ${events.map((e) => e.type).join(', ')}`)), 20000);
    listeners.push(() => { if (pred()) { clearTimeout(timer); resolve(); } });
  });
  const send = (r: WorkerRequest) => port2.postMessage(r);
  send({
    type: 'start', spec, dataPath: null, labelsPath: null, mediaDir: '/nonexistent', file: 'oracle.gradlens.json', paused: true,
    settings: { pauseOnNonFinite: true, histogramEvery: 5, heatmapMaxCells: 8, detailIntervalMs: 0, useWasm: false },
  } as WorkerRequest);
  return { events, send, until, close: () => { port1.close(); port2.close(); } };
}

const stepCount = (events: WorkerEvent[]) => events.filter((e) => e.type === 'steps').reduce((n, e) => n + (e as { points: unknown[] }).points.length, 0);

for (const [label, opt] of [['plain SGD', optimizer({ learningRate: 0.5 })], ['momentum 0.9', optimizer({ learningRate: 0.5, momentum: 0.9 })]] as const) {
  test(`step-through after Step replays the batch just trained at its PRE-update weights (worker loop, ${label})`, async () => {
    const spec = mlpSpec({ batchSize: 5, epochs: 3, optimizer: opt });
    const train = separable(20, 4, 3, 91);
    // What the loop's run starts from: the seed's weights and the seed's first batch.
    const initial = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64') }).getWeights();
    const firstBatch = Array.from(new BatchSchedule(spec.seed, train.count, spec.batchSize).permutation(1).subarray(0, spec.batchSize));
    const loop = startLoop(spec, train);
    try {
      await loop.until(() => loop.events.some((e) => e.type === 'status' && e.status.state === 'paused'), 'pause at start');
      loop.send({ type: 'step' });
      await loop.until(() => stepCount(loop.events) === 1, 'first step');
      for (const sel of selections(spec, initial, train, firstBatch)) {
        const seen = loop.events.filter((e) => e.type === 'walkthrough').length;
        loop.send({ type: 'walkthrough', selection: sel });
        await loop.until(() => loop.events.filter((e) => e.type === 'walkthrough' || e.type === 'walkthroughFailed').length > seen, 'walkthrough');
        const ev = loop.events.filter((e) => e.type === 'walkthrough' || e.type === 'walkthroughFailed').at(-1)!;
        assert.equal(ev.type, 'walkthrough', JSON.stringify(ev));
        const result = (ev as { result: WalkthroughResult }).result;
        assert.deepEqual(result.selection, sel);
        checkReplay(result, spec, train, initial, firstBatch, sel, `after Step, ${label}, ${sel.kind} ${sel.layer}/${sel.index}`);
      }
    } finally {
      loop.close();
    }
  });
}

test('step-through before any step replays the first batch at the initial weights (worker loop)', async () => {
  const spec = mlpSpec({ batchSize: 4, epochs: 2 });
  const train = separable(16, 4, 3, 93);
  const initial = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64') }).getWeights();
  const firstBatch = Array.from(new BatchSchedule(spec.seed, train.count, spec.batchSize).permutation(1).subarray(0, spec.batchSize));
  const loop = startLoop(spec, train);
  try {
    await loop.until(() => loop.events.some((e) => e.type === 'status' && e.status.state === 'paused'), 'pause at start');
    const sel = selections(spec, initial, train, firstBatch)[0];
    loop.send({ type: 'walkthrough', selection: sel });
    await loop.until(() => loop.events.some((e) => e.type === 'walkthrough' || e.type === 'walkthroughFailed'), 'walkthrough');
    const ev = loop.events.find((e) => e.type === 'walkthrough' || e.type === 'walkthroughFailed')!;
    assert.equal(ev.type, 'walkthrough', JSON.stringify(ev));
    checkReplay((ev as { result: WalkthroughResult }).result, spec, train, initial, firstBatch, sel, 'before any step');
  } finally {
    loop.close();
  }
});
