// The panel redraws a view only when a part of the snapshot it reads changed: the tracker must see
// every change the reducer makes (a replaced object, an array appended to or thinned in place) and
// report nothing when nothing changed.

import test from 'node:test';
import assert from 'node:assert/strict';
import { ChangeTracker } from '../../../webview/changes';
import { apply, emptySnapshot } from '../../../src/run/reducer';
import type { HostMessage, StepPoint } from '../../../src/protocol';

const point = (step: number): StepPoint => ({
  step,
  epoch: 0,
  examplesSeen: 2 * step,
  time: step / 100,
  loss: 1 / step,
  accuracy: 0.5,
  noiseScale: 1,
  layers: [],
});

test('every part is new on the first look, none on a second look at the same snapshot', () => {
  const s = emptySnapshot();
  const t = new ChangeTracker();
  assert.deepEqual(new Set(t.changed(s)), new Set(Object.keys(s)));
  assert.deepEqual(t.changed(s), []);
});

test('live steps change the history and the status only', () => {
  const s = emptySnapshot();
  const t = new ChangeTracker();
  t.changed(s);
  apply(s, { type: 'steps', points: [point(1), point(2)] });
  assert.deepEqual(t.changed(s).sort(), ['history', 'status']);
  apply(s, { type: 'steps', points: [point(3)] });
  assert.deepEqual(t.changed(s).sort(), ['history', 'status']);
  apply(s, { type: 'steps', points: [point(3)] }); // already held: the history did not change (the status is rewritten)
  assert.ok(!t.changed(s).includes('history'));
});

test('a history thinned in place at its cap is a change (same array, other contents)', () => {
  const s = emptySnapshot({ historyLength: 8, histogramsPerLayer: 4 });
  const t = new ChangeTracker();
  apply(s, { type: 'steps', points: Array.from({ length: 8 }, (_, i) => point(i + 1)) });
  const array = s.history;
  t.changed(s);
  apply(s, { type: 'steps', points: [point(9)] });
  assert.equal(s.history, array, 'the reducer keeps the array');
  assert.ok(t.changed(s).includes('history'));
});

test('a replaced part is a change; the others are not', () => {
  const s = emptySnapshot();
  const t = new ChangeTracker();
  t.changed(s);
  const messages: [HostMessage, string[]][] = [
    [{ type: 'view', selection: { layer: 1, kind: 'weight', index: 3 }, heatmapMode: 'weight' }, ['heatmapMode', 'selection']],
    [{ type: 'pace', stepsPerSecond: 5 }, ['pace']],
    [{ type: 'problems', problems: { file: 'm.gradlens.json', items: [] } }, ['problems']],
    [{ type: 'status', status: { state: 'running', step: 0, epoch: 1 } }, ['status']],
  ];
  for (const [m, parts] of messages) {
    apply(s, m);
    assert.deepEqual(t.changed(s).sort(), parts, m.type);
  }
});
