// The ranks of a data-parallel step in the one snapshot: the host's Run turns a PyTorch step record
// into a `ranks` update, the reducer keeps the newest, the outbox coalesces them to the newest, and
// a new run (or any non-PyTorch run) has none.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { HostMessage } from '../../../src/protocol';
import { apply, clearRun, emptySnapshot, ranksStep } from '../../../src/run/reducer';
import { Run } from '../../../src/run/run';
import type { RunSource, SourceEvent, StepRecord } from '../../../src/run/source';
import { Outbox } from '../../../src/session/outbox';

/** A step record shaped like the PyTorch launcher's (two layers, 2 ranks of `sizes`). */
function record(step: number, sizes: number[]): StepRecord {
  const m = sizes.reduce((a, b) => a + b, 0);
  const layer = (i: number) => ({
    layer: i,
    gradNorm: 1 + i,
    weightNorm: 10,
    updateRatio: 1e-3,
    perExampleNorms: new Array(m).fill(2),
    cosineToMean: new Array(m).fill(0.5),
    noiseScale: 3,
    deadFraction: null,
  });
  return {
    step,
    epoch: 1,
    batchInEpoch: step - 1,
    batchSize: m,
    examplesSeen: step * m,
    loss: 2,
    perExampleLoss: new Array(m).fill(2),
    accuracy: 0.1,
    exampleIndices: Array.from({ length: m }, (_, i) => i),
    labels: new Array(m).fill(0),
    predictions: new Array(m).fill(1),
    layers: [layer(0), layer(2)],
    noiseScale: 3,
    learningRate: 0.05,
    nonFinite: null,
    time: step / 10,
    ranks: sizes.map((batchSize, rank) => ({
      rank,
      batchSize,
      loss: batchSize ? 2 + rank : null,
      layers: [0, 2].map((l) => ({ layer: l, gradNorm: 1.5 + rank, cosineToMean: 0.7 })),
    })),
    ...(new Set(sizes).size > 1
      ? { meanOfMeans: [0, 2].map((l) => ({ layer: l, gradNorm: 1.1, relativeDifference: 0.03 })) }
      : {}),
  } as StepRecord;
}

test('ranksStep: the global batch, learning rate, ‖G‖ per layer, each rank, and the mean of means only when batches differ', () => {
  const even = ranksStep(record(1, [16, 16]))!;
  assert.deepEqual(even.mean, [
    { layer: 0, gradNorm: 1 },
    { layer: 2, gradNorm: 3 },
  ]);
  assert.equal(even.batchSize, 32);
  assert.equal(even.learningRate, 0.05);
  assert.deepEqual(
    even.ranks.map((r) => [r.rank, r.batchSize, r.loss]),
    [
      [0, 16, 2],
      [1, 16, 3],
    ],
  );
  assert.equal(even.meanOfMeans, null);
  const uneven = ranksStep(record(2, [3, 2, 0]))!;
  assert.equal(uneven.ranks[2].loss, null, 'a rank without examples has no loss');
  assert.deepEqual(uneven.meanOfMeans, [
    { layer: 0, gradNorm: 1.1, relativeDifference: 0.03 },
    { layer: 2, gradNorm: 1.1, relativeDifference: 0.03 },
  ]);
  const { ranks: _none, ...single } = record(3, [8]);
  assert.equal(ranksStep(single as StepRecord), null, 'a record without ranks (the engine, one process) has none');
});

test('the Run posts a ranks update after each PyTorch step; the snapshot keeps the newest; a new run forgets it', async () => {
  const posted: HostMessage[] = [];
  const run = new Run(
    { historyLength: 100, histogramsPerLayer: 10 },
    { post: (m) => posted.push(m), stateChanged: () => {}, problem: () => {} },
  );
  let emit: (e: SourceEvent) => void = () => {};
  const source: RunSource = {
    capabilities: { stopPoints: [], stepUnits: [], perExample: false },
    start: async (listener) => {
      emit = listener;
    },
    control: async () => {},
    dispose: () => {},
  };
  const started = run.start(source, { paused: false, stepOnly: false });
  emit({
    type: 'loaded',
    run: {
      file: 'f',
      spec: {} as never,
      layers: [],
      trainSize: 800,
      validationSize: 0,
      numClasses: 10,
      backend: 'pytorch-ddp(gloo, 2 ranks)',
    },
  });
  await started;
  emit({ type: 'step', record: record(1, [16, 16]) });
  emit({ type: 'step', record: record(2, [16, 15]) });
  const types = posted.map((m) => m.type).filter((t) => t === 'steps' || t === 'ranks');
  assert.deepEqual(types, ['steps', 'ranks', 'steps', 'ranks'], 'each step is followed by its ranks');
  assert.equal(run.snapshot.ranks?.step, 2);
  assert.deepEqual(
    run.snapshot.ranks?.ranks.map((r) => r.batchSize),
    [16, 15],
  );
  // The webview's copy, kept with the same reducer from the posted messages, agrees.
  const view = emptySnapshot();
  for (const m of posted) apply(view, m);
  assert.deepEqual(view.ranks, run.snapshot.ranks);
  run.reset();
  assert.equal(run.snapshot.ranks, null, 'Reset forgets the ranks');
  const again = emptySnapshot();
  apply(again, { type: 'ranks', ranks: ranksStep(record(1, [4, 4]))! });
  clearRun(again, true);
  assert.equal(again.ranks, null, 'a new run starts without ranks');
  run.dispose();
});

test('the outbox coalesces ranks updates to the newest and posts them after the steps', () => {
  const box = new Outbox();
  box.add({ type: 'ranks', ranks: ranksStep(record(1, [16, 16]))! });
  box.add({ type: 'steps', points: [] });
  box.add({ type: 'ranks', ranks: ranksStep(record(2, [16, 16]))! });
  assert.equal(box.isEmpty, false);
  const out = box.drain();
  const ranks = out.filter((m) => m.type === 'ranks');
  assert.equal(ranks.length, 1);
  assert.equal(ranks[0].type === 'ranks' && ranks[0].ranks.step, 2);
  assert.ok(box.isEmpty);
});

test('one-shot results land in the snapshot field named after their message type', () => {
  const s = emptySnapshot();
  const check = { passed: true } as never;
  const compare = { runs: [] } as never;
  const walk = { examples: [] } as never;
  const repeat = { example: 1 } as never;
  apply(s, { type: 'gradCheck', result: check });
  apply(s, { type: 'compare', result: compare });
  apply(s, { type: 'walkthrough', result: walk });
  apply(s, { type: 'repeat', result: repeat });
  assert.equal(s.gradCheck, check);
  assert.equal(s.compare, compare);
  assert.equal(s.walkthrough, walk);
  assert.equal(s.repeat, repeat);
});
