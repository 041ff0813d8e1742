// The snapshot a Run hands out is shared by every view: a reader must never write into it. With
// `freezeSnapshots` (tests, development builds) every snapshot is frozen deep, and here a real run
// (the engine in this thread) feeds each snapshot it hands out through every host-side reader:
// the status bar, the hover and health findings, both exports, the snapshot splitter, and a view's
// own copy kept with the reducer from that snapshot and the live messages after it (what the
// webview and the test recorder do). A reader that writes throws where it writes.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { HostMessage, ReadonlySnapshot, SessionSnapshot, StepPoint } from '../../../src/protocol';
import { Run } from '../../../src/run/run';
import { DEFAULT_LIMITS, apply, emptySnapshot } from '../../../src/run/reducer';
import { EngineSource } from '../../../src/run/engineSource';
import { deepFreeze } from '../../../src/run/freeze';
import { statusBarView } from '../../../src/editor/statusText';
import { layerHoverMarkdown, parameterFreeLayerMarkdown } from '../../../src/editor/hoverContent';
import { assessHealth } from '../../../src/editor/health';
import { historyToCsv } from '../../../src/export/historyCsv';
import { historyToJson } from '../../../src/export/historyJson';
import { messageBytes, splitSnapshot } from '../../../src/session/outbox';
import { dataset, localEngineSource, loopSpec } from '../session/helpers';

const SPEC = loopSpec({ name: 'frozen', epochs: 4, data: { source: 'generated.csv', validationSplit: 0.25 } });
const TRAIN = dataset(48, 12, 4, 1);
const VALIDATION = dataset(16, 12, 4, 2);

function localEngine(): EngineSource {
  return localEngineSource(
    {
      spec: SPEC,
      dataPath: null,
      labelsPath: null,
      mediaDir: '/nonexistent',
      file: 'frozen.gradlens.json',
      paused: false,
      settings: { pauseOnNonFinite: true, histogramEvery: 2, heatmapMaxCells: 8, detailIntervalMs: 0, useWasm: false },
    },
    { train: TRAIN, validation: VALIDATION },
  );
}

/** Every host-side reader of the shared snapshot, once. */
function readEverything(s: ReadonlySnapshot): void {
  statusBarView(s, true);
  const last = s.history.at(-1);
  for (const info of s.run?.layers ?? []) {
    const point = last?.layers.find((l) => l.layer === info.index);
    if (point) layerHoverMarkdown({ point, info, step: s.status.step, epoch: s.status.epoch, openPanelCommand: 'x' });
    else parameterFreeLayerMarkdown(info.index, info);
  }
  assessHealth(last?.layers ?? [], s.status.nonFinite);
  historyToCsv(s.history, s.epochs);
  historyToJson({ model: 'frozen', history: s.history, epochs: s.epochs });
  const message = { type: 'snapshot', snapshot: s } as HostMessage;
  messageBytes(message);
  splitSnapshot(message, 2048);
}

test('a frozen snapshot refuses writes, deep (the test below relies on it)', () => {
  const s = deepFreeze(emptySnapshot());
  const point = { step: 1, epoch: 0, examplesSeen: 8, time: 0, loss: 1, accuracy: 0, noiseScale: 0, layers: [] };
  assert.throws(() => (s.history as StepPoint[]).push(point), TypeError);
  assert.throws(() => {
    (s.status as { step: number }).step = 3;
  }, TypeError);
  assert.throws(() => {
    (s.limits as { historyLength: number }).historyLength = 3;
  }, TypeError);
});

test("every snapshot of a real run, frozen, goes through every reader and into a view's own copy", async () => {
  const posted: HostMessage[] = [];
  const snapshots: SessionSnapshot[] = [];
  let wake = () => {};
  const run = new Run(
    DEFAULT_LIMITS,
    {
      post: (m) => {
        posted.push(m);
        // A reader looks at the shared snapshot after every update, as the views do.
        snapshots.push(run.snapshot);
        wake();
      },
      stateChanged: () => wake(),
      problem: () => undefined,
    },
    true,
  );
  await run.start(localEngine(), { paused: false, stepOnly: false });
  await new Promise<void>((resolve) => {
    wake = () => {
      if (run.state === 'finished') resolve();
    };
    wake();
  });
  const s = run.snapshot;
  assert.ok(Object.isFrozen(s) && Object.isFrozen(s.history) && Object.isFrozen(s.history[0].layers[0]), 'frozen deep');
  assert.ok(s.epochs.length >= 2, `epochs ended (${s.epochs.length})`);
  assert.ok(s.histograms.length > 0 && s.detail !== null, 'details and histograms came');

  for (const shot of snapshots) readEverything(shot);

  // A view's copy: the whole state, then what followed it (epochs and steps grow its own arrays).
  const view = emptySnapshot();
  let seen = 0;
  for (const m of posted) {
    if (m.type === 'snapshot') seen++;
    apply(view, m);
  }
  assert.ok(seen >= 2, 'the run posted whole states');
  const mid = snapshots[Math.floor(snapshots.length / 2)];
  const copy = emptySnapshot();
  apply(copy, { type: 'snapshot', snapshot: mid });
  for (const m of posted.filter((m) => m.type === 'epoch' || m.type === 'steps')) apply(copy, m);
  assert.deepEqual(
    copy.epochs.map((e) => e.epoch),
    s.epochs.map((e) => e.epoch),
    "the view's copy has every epoch",
  );
  readEverything(copy);
});

test('without freezeSnapshots the live path hands out plain copies (nothing frozen)', () => {
  const run = new Run(DEFAULT_LIMITS, { post: () => undefined, stateChanged: () => undefined, problem: () => undefined });
  const s = run.snapshot;
  assert.equal(Object.isFrozen(s) || Object.isFrozen(s.history) || Object.isFrozen(s.status), false);
});
