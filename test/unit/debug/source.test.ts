// The debugger's run through the run-source contract, in-process: stepping units, pause, finish.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DebugRunSource } from '../../../src/debug/source';
import type { LoadedRun } from '../../../src/debug/load';
import type { SourceEvent, StopPoint } from '../../../src/run/source';
import { referenceBackend } from '../../../src/engine';
import { dense, makeSpec, randomDataset } from '../engine/helpers';

function loaded(epochs = 2): LoadedRun {
  const spec = makeSpec([dense(8, 'relu'), { type: 'relu' }, dense(3)], { batchSize: 4, epochs, dtype: 'float32' });
  return {
    file: 'test.gradlens.json',
    text: '',
    parsed: { spec, problems: [], layerRanges: [], layerLineRanges: [] },
    spec,
    train: randomDataset(5, 12, [5], 3),
    validation: null,
    backend: referenceBackend('float32'),
    warnings: [],
  };
}

function label(p: StopPoint | null): string {
  if (!p) return 'none';
  const at = p.layer !== undefined ? `(${p.layer})` : p.example !== undefined ? `[${p.example}]` : '';
  return `${p.step}:${p.kind}${at}`;
}

interface Started {
  source: DebugRunSource;
  events: SourceEvent[];
  halts: () => string[];
  /** Resolves on the first event (already seen or still to come) that satisfies `pred`. */
  until: (pred: (e: SourceEvent) => boolean) => Promise<void>;
}

async function started(epochs?: number): Promise<Started> {
  const events: SourceEvent[] = [];
  const waiters: { pred: (e: SourceEvent) => boolean; resolve: () => void }[] = [];
  const source = new DebugRunSource(async () => loaded(epochs), { file: 'test.gradlens.json', stopOnEntry: true });
  await source.start((e) => {
    events.push(e);
    for (const w of waiters.splice(0).filter((x) => {
      if (x.pred(e)) return true;
      waiters.push(x);
      return false;
    }))
      w.resolve();
  });
  const until = (pred: (e: SourceEvent) => boolean): Promise<void> =>
    events.some(pred) ? Promise.resolve() : new Promise((resolve) => waiters.push({ pred, resolve }));
  await until((e) => e.type === 'halted' && e.reason === 'entry');
  const halts = (): string[] => events.flatMap((e) => (e.type === 'halted' ? [`${e.reason} ${label(e.at)}`] : []));
  return { source, events, halts, until };
}

test('entry, then one stop point at a time from batch-start to after-update, each layer from the output down', async () => {
  const { source, events, halts } = await started();
  assert.equal(events[0].type, 'loaded');
  for (let i = 0; i < 6; i++) await source.control({ type: 'step', unit: 'layer' });
  assert.deepEqual(halts(), [
    'entry 1:batch-start',
    'step 1:forward-done',
    'step 1:layer-backward(2)',
    'step 1:layer-backward(1)',
    'step 1:layer-backward(0)',
    'step 1:before-update',
    'step 1:after-update',
  ]);
  assert.equal(source.current!.trainer.step, 1);
  source.dispose();
});

test('batch goes to the same point of the next batch; update to the update; example replays the batch example by example', async () => {
  const { source, halts } = await started();
  await source.control({ type: 'step', unit: 'layer' });
  await source.control({ type: 'step', unit: 'batch' });
  await source.control({ type: 'step', unit: 'update' });
  await source.control({ type: 'step', unit: 'example' });
  await source.control({ type: 'step', unit: 'example' });
  assert.deepEqual(halts().slice(1), [
    'step 1:forward-done',
    'step 2:forward-done',
    'step 2:after-update',
    'step 3:example-backward[0]',
    'step 3:example-backward[1]',
  ]);
  const ex = source.current!.example!;
  assert.equal(ex.replay.examples.length, 4);
  assert.deepEqual(
    ex.replay.examples.map((e) => e.index),
    source.current!.trainer.currentBatch(),
    'the replay is the batch in progress',
  );
  // Past the last example the batch goes on at its next stop point.
  await source.control({ type: 'step', unit: 'example' });
  await source.control({ type: 'step', unit: 'example' });
  await source.control({ type: 'step', unit: 'example' });
  assert.deepEqual(halts().slice(-2), ['step 3:example-backward[3]', 'step 3:forward-done']);
  source.dispose();
});

test('pause while running halts at a stop point; resume runs to the end and reports every step and epoch', async () => {
  const { source, events, halts, until } = await started(40);
  await source.control({ type: 'resume' });
  await source.control({ type: 'pause' });
  assert.match(halts().at(-1)!, /^pause \d+:/);
  await source.control({ type: 'resume' });
  await until((e) => e.type === 'finished');
  const steps = events.filter((e) => e.type === 'step');
  assert.equal(steps.length, 40 * 3);
  assert.equal(events.filter((e) => e.type === 'epoch').length, 40);
  await assert.rejects(source.control({ type: 'step', unit: 'batch' }), /finished/);
});
