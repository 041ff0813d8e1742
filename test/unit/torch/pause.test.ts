// Pause, Step and Resume of a real 2-rank PyTorch run: the ranks hold between two steps, all at the
// same one; Step runs exactly one more; Resume goes on; Stop while held ends every rank. "Nothing
// happens while held" is shown by the event order: no step arrives until a control asks for one.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { SourceEvent } from '../../../src/run/source';
import type { TorchSource } from '../../../src/torch/source';
import { alive, load, torchSource } from './run';

test('2 ranks: Pause holds before a step, Step runs exactly one, Resume goes on, Stop while held ends all ranks', async () => {
  const m = await load(`{
  "seed": 2, "data": { "source": "mnist", "limit": 64, "validationSplit": 0 },
  "layers": [ { "type": "dense", "units": 8, "activation": "relu" }, { "type": "dense", "units": 10 } ],
  "optimizer": { "learningRate": 0.1 }, "batchSize": 16, "epochs": 1000 }`);
  const source = torchSource(m, { file: 'pause.gradlens.json', nproc: 2 });
  assert.deepEqual(source.capabilities.stepUnits, ['batch']);
  const events: SourceEvent[] = [];
  let phase = 'run';
  let held = 0;
  const controls: Promise<void>[] = [];
  const act = (c: Parameters<TorchSource['control']>[0]): void => void controls.push(source.control(c));
  await source.start((e) => {
    events.push(e);
    if (phase === 'run' && e.type === 'step' && e.record.step === 2) {
      phase = 'pausing';
      act({ type: 'pause' });
    } else if (phase === 'pausing' && e.type === 'halted') {
      phase = 'stepping';
      held = e.progress!.step;
      act({ type: 'step', unit: 'batch' });
    } else if (phase === 'stepping' && e.type === 'halted') {
      phase = 'resuming';
      act({ type: 'resume' });
    } else if (phase === 'resuming' && e.type === 'step' && e.record.step >= held + 4) {
      phase = 'pausing again';
      act({ type: 'pause' });
    } else if (phase === 'pausing again' && e.type === 'halted') {
      phase = 'stopping';
      act({ type: 'stop' });
    }
  });
  await source.whenEnded();
  await Promise.all(controls);
  assert.equal(phase, 'stopping');
  const order = events
    .filter((e) => e.type !== 'epoch')
    .map((e) =>
      e.type === 'step' ? `step ${e.record.step}` : e.type === 'halted' ? `halted ${e.progress!.step} ${e.reason}` : e.type,
    );
  const at = order.indexOf(`halted ${held} pause`);
  assert.ok(at > 0, order.join(', '));
  // Held at `held`: the next thing is the one step asked for, then it holds again, then resumes.
  assert.deepEqual(order.slice(at, at + 5), [
    `halted ${held} pause`,
    'resumed',
    `step ${held + 1}`,
    `halted ${held + 1} step`,
    'resumed',
  ]);
  assert.equal(order.at(-1), 'stopped');
  assert.match(order.at(-2)!, /^halted \d+ pause$/, 'Stop came while held');
  const steps = events.flatMap((e) => (e.type === 'step' ? [e.record.step] : []));
  assert.deepEqual(
    steps,
    steps.map((_, i) => i + 1),
    'every step once, in order',
  );
  for (const pid of source.rankPids) assert.equal(alive(pid), false, `rank process ${pid} outlived the run`);
  source.dispose();
});
