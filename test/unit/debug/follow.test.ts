// What the panel gets from a debugged run: its events in the contract's order and, at every stop,
// the stop's detail (the batch in progress, the stopped layer's gᵢ), checked against the trainer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DebugRun } from '../../../src/debug/run';
import { FollowedRun, stopDetail } from '../../../src/debug/follow';
import type { LoadedRun } from '../../../src/debug/load';
import type { RunControl, SourceEvent } from '../../../src/run/source';
import { referenceBackend } from '../../../src/engine';
import { dense, makeSpec, randomDataset } from '../engine/helpers';

function loaded(): LoadedRun {
  const spec = makeSpec([dense(8, 'relu'), { type: 'relu' }, dense(3)], { batchSize: 4, epochs: 2, dtype: 'float64' });
  return {
    file: 'test.gradlens.json',
    text: '',
    parsed: { spec, problems: [], layerRanges: [], layerLineRanges: [] },
    spec,
    train: randomDataset(7, 12, [5], 3),
    validation: null,
    backend: referenceBackend('float64'),
    warnings: [],
  };
}

/** A debugged run followed by a FollowedRun, halting at entry; `next()` goes one stop point further. */
function followed() {
  const events: SourceEvent[] = [];
  const controls: RunControl[] = [];
  let f: FollowedRun | null = null;
  const run = new DebugRun(loaded(), { decide: () => null, halted: () => {}, event: (e) => f!.event(e) });
  f = new FollowedRun(run, 'test.gradlens.json', (c) => controls.push(c));
  const halted = (): Promise<void> =>
    new Promise((resolve) => {
      const poll = (): void => (run.state === 'stopped' ? resolve() : void setImmediate(poll));
      poll();
    });
  return { run, f, events, controls, halted, next: () => (run.stepPoint(), halted()) };
}

test('events before the panel starts following are kept; loaded comes first, then a detail after each halt', async () => {
  const { run, f, events, halted } = followed();
  run.start(true);
  await halted();
  await f.start((e) => events.push(e));
  assert.deepEqual(
    events.map((e) => e.type),
    ['loaded', 'resumed', 'halted', 'detail'],
  );
  run.dispose();
});

test('the stop detail: batch-start has no batch yet; forward-done has its examples; a layer stop has its gᵢ', async () => {
  const { run, halted, next } = followed();
  run.start(true);
  await halted();
  const t = run.trainer;
  const start = stopDetail(run, null, 'grad')!;
  assert.deepEqual([start.step, start.examples.length, start.perExample], [1, 0, null]);

  await next();
  assert.equal(run.at?.kind, 'forward-done');
  const fwd = stopDetail(run, null, 'grad')!;
  const batch = t.currentBatch();
  assert.deepEqual(
    fwd.examples.map((e) => [e.index, e.label]),
    batch.map((k) => [k, run.loaded.train.y[k]]),
  );
  assert.equal(fwd.perExample, null, 'no gradient of this batch yet');

  await next();
  assert.deepEqual([run.at?.kind, run.at?.layer], ['layer-backward', 2]);
  const d = stopDetail(run, null, 'grad')!;
  const p = d.perExample!;
  assert.equal(p.selection.layer, 2, 'the stopped layer');
  // Every gᵢ of this batch, their mean the batch gradient the layer's backward pass produced.
  assert.equal(p.perExample.length, 4);
  const g = t.gradient(2, p.selection.kind)[p.selection.index];
  assert.ok(Math.abs(p.mean - g) <= 1e-12 * Math.max(1, Math.abs(g)), `${p.mean} vs ${g}`);
  const theta = t.parameter(2, p.selection.kind)[p.selection.index];
  assert.deepEqual([p.updatePending, p.before, p.after, p.update, p.terms], [true, theta, theta, 0, null]);
  assert.equal(stopDetail(run, null, 'update')!.heatmap, null, 'no update of this batch to draw yet');
  // The panel's own pick on the stopped layer is kept; one on another layer gives way to the stopped layer.
  assert.deepEqual(stopDetail(run, { layer: 2, kind: 'bias', index: 1 }, 'grad')!.perExample!.selection, {
    layer: 2,
    kind: 'bias',
    index: 1,
  });
  assert.equal(stopDetail(run, { layer: 0, kind: 'weight', index: 1 }, 'grad')!.perExample!.selection.layer, 2);
  run.dispose();
});

test('after the update the detail says what the update did', async () => {
  const { run, halted, next } = followed();
  run.start(true);
  await halted();
  while (run.at?.kind !== 'after-update') await next();
  const p = stopDetail(run, { layer: 0, kind: 'weight', index: 5 }, 'grad')!.perExample!;
  const t = run.trainer;
  assert.equal(p.updatePending, undefined);
  assert.equal(p.after, t.parameter(0, 'weight')[5]);
  assert.equal(p.update, t.lastUpdate(0, 'weight')[5]);
  assert.ok(p.update !== 0);
  run.dispose();
});

test("the panel's controls go to the debug session; a detached follower drops the run's events", async () => {
  const { run, f, events, controls, halted } = followed();
  run.start(true);
  await halted();
  await f.start((e) => events.push(e));
  await f.control({ type: 'resume' });
  assert.deepEqual(controls, [{ type: 'resume' }]);
  f.dispose();
  assert.equal(f.attached, false);
  const n = events.length;
  run.stepPoint();
  await halted();
  assert.equal(events.length, n);
  run.dispose();
});
