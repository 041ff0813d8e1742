// Shared by the step-through oracle tests: the check of a replay against the float64 reference,
// and the worker's training loop driven through a real MessageChannel with the real engine (the
// session tests' loop harness).

import * as assert from 'node:assert/strict';
import type { ModelSpec } from '../../../src/model/spec';
import type { ParamSelection, WalkthroughResult, WorkerEvent, WorkerRequest } from '../../../src/protocol';
import { openLoop } from '../session/helpers';
import { Trainer, referenceBackend } from '../../../src/engine';
import { BatchSchedule } from '../../../src/engine/batching';
import { batchGradients, close, meanGradient, separable, spreadIndex, type Weights } from './reference';

/** Selections of entries that vary across the batch at these weights (a dead unit's zeros would hide an error). */
export function selections(
  spec: ModelSpec,
  weights: Weights[],
  train: ReturnType<typeof separable>,
  indices: number[],
): ParamSelection[] {
  const ref = batchGradients(spec, weights, train, indices);
  return (
    [
      [0, 'weight'],
      [1, 'bias'],
      [1, 'weight'],
    ] as const
  ).map(([layer, kind]) => ({ layer, kind, index: spreadIndex(ref, `layers[${layer}].${kind}`) }));
}

export function checkReplay(
  result: WalkthroughResult,
  spec: ModelSpec,
  train: ReturnType<typeof separable>,
  weights: Weights[],
  indices: number[],
  sel: ParamSelection,
  what: string,
): void {
  const name = `layers[${sel.layer}].${sel.kind}`;
  const ref = batchGradients(spec, weights, train, indices);
  const expected = ref.map((e) => e.grads.get(name)![sel.index]);
  assert.ok(new Set(expected).size > 1, `${what}: the reference gradients differ between examples`);
  assert.deepEqual(
    result.examples.map((e) => e.index),
    indices,
    `${what}: the examples of the batch, in order`,
  );
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

/** The worker's loop on one end of a MessageChannel, with the real engine; resolves waits on conditions. */
export function startLoop(spec: ModelSpec, train: ReturnType<typeof separable>) {
  const loop = openLoop({ train, validation: null });
  const { events } = loop;
  const until = (pred: () => boolean, what: string) => loop.until(pred, what, 20000);
  const send = (r: WorkerRequest) => loop.port.postMessage(r);
  let nextId = 1;
  /** Sends a request with a fresh id and resolves with the worker's reply to it. */
  const request = async (r: Record<string, unknown> & { type: string }): Promise<WorkerEvent & { type: 'reply' }> => {
    const id = nextId++;
    send({ ...r, id } as unknown as WorkerRequest);
    const mine = (): (WorkerEvent & { type: 'reply' }) | undefined =>
      events.find((e): e is WorkerEvent & { type: 'reply' } => e.type === 'reply' && e.id === id);
    await until(() => mine() !== undefined, `a reply to ${r.type}`);
    return mine()!;
  };
  /** Asks the loop to step through the batch; the replay it answers with. */
  const walkthrough = async (selection: ParamSelection | null): Promise<WalkthroughResult> => {
    const reply = await request({ type: 'walkthrough', selection });
    assert.ok(reply.ok, `the walkthrough was refused: ${JSON.stringify(reply)}`);
    assert.equal(reply.value.type, 'walkthrough');
    return (reply.value as { result: WalkthroughResult }).result;
  };
  send({
    type: 'start',
    spec,
    dataPath: null,
    labelsPath: null,
    mediaDir: '/nonexistent',
    file: 'oracle.gradlens.json',
    paused: true,
    settings: { pauseOnNonFinite: true, histogramEvery: 5, heatmapMaxCells: 8, detailIntervalMs: 0, useWasm: false },
  } as WorkerRequest);
  return {
    events,
    send,
    request,
    walkthrough,
    until,
    close: loop.close,
  };
}

export const stepCount = (events: WorkerEvent[]) =>
  events.filter((e) => e.type === 'steps').reduce((n, e) => n + (e as { points: unknown[] }).points.length, 0);

/** What a fresh run of `spec` starts from, computed outside the loop: the seed's initial weights and first batch. */
export function seedStart(spec: ModelSpec, train: ReturnType<typeof separable>): { initial: Weights[]; firstBatch: number[] } {
  const initial = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64') }).getWeights();
  const firstBatch = Array.from(
    new BatchSchedule(spec.seed, train.count, spec.batchSize).permutation(1).subarray(0, spec.batchSize),
  );
  return { initial, firstBatch };
}
