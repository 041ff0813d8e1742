// The host's Run driving the real training loop and engine (in this thread, through the same
// channel the extension uses for its worker_thread), and a real worker_thread that hangs or runs
// out of memory: the run fails with a clear message, keeps its history, and the next run works.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ModelSpec } from '../../../src/model/spec';
import type { HostMessage } from '../../../src/protocol';
import { Run, RunCancelled } from '../../../src/run/run';
import { DEFAULT_LIMITS } from '../../../src/run/reducer';
import { EngineSource } from '../../../src/run/engineSource';
import { openThread } from '../../../src/run/threadTransport';
import type { RunState } from '../../../src/run/source';
import { dataset, localEngineSource, loopSpec } from '../session/helpers';
import { optimizer } from '../specs';

const SPEC: ModelSpec = loopSpec({
  name: 'run',
  dtype: 'float64',
  data: { source: 'generated.csv', validationSplit: 0 },
  layers: [
    { type: 'dense', units: 8, activation: 'tanh' },
    { type: 'dense', units: 4, activation: 'linear' },
  ],
  optimizer: optimizer(),
  epochs: 200,
});
const TRAIN = dataset(64, 12, 4, 1);
const START = {
  spec: SPEC,
  dataPath: null,
  labelsPath: null,
  mediaDir: '/nonexistent',
  file: 'run.gradlens.json',
  paused: false,
  settings: { pauseOnNonFinite: true, histogramEvery: 5, heatmapMaxCells: 8, detailIntervalMs: 0, useWasm: false },
};

function localEngine(paused = false) {
  return localEngineSource({ ...START, paused }, { train: TRAIN, validation: null });
}

function host() {
  const posted: HostMessage[] = [];
  const states: RunState[] = [];
  const problems: string[] = [];
  const waiters: (() => void)[] = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  const run = new Run(DEFAULT_LIMITS, {
    post: (m) => {
      posted.push(m);
      wake();
    },
    stateChanged: (s) => {
      states.push(s);
      wake();
    },
    problem: (m) => {
      problems.push(m);
      wake();
    },
  });
  const until = (pred: () => boolean, what: string, ms = 15000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; states ${states.join(' ')}`)), ms);
      const check = () => {
        if (pred()) {
          clearTimeout(timer);
          resolve();
        } else waiters.push(check);
      };
      check();
    });
  const lastStep = () => run.snapshot.history.at(-1)?.step ?? 0;
  return { run, posted, states, problems, until, lastStep };
}

test('a run is loading the moment it starts; a second start replaces it; controls follow the machine', async () => {
  const h = host();
  const first = h.run.start(localEngine(), { paused: false, stepOnly: false });
  assert.equal(h.run.state, 'loading');
  assert.equal(h.run.isActive, true, 'active before any await: a second Train must see it');
  const second = h.run.start(localEngine(true), { paused: true, stepOnly: false });
  await assert.rejects(first, RunCancelled);
  const info = await second;
  assert.equal(info.trainSize, 64);
  await h.until(() => h.run.state === 'paused', 'paused after loading');
  assert.equal(h.run.control('resume'), true);
  await h.until(() => h.lastStep() > 20, 'steps');
  assert.equal(h.run.control('resume'), false, 'resume is refused while running');
  h.run.control('pause');
  await h.until(() => h.run.state === 'paused', 'paused');
  const at = h.lastStep();
  h.run.control('step');
  await h.until(() => h.lastStep() === at + 1 && h.run.state === 'paused', 'one more step');
  await h.run.stop(1000);
  assert.equal(h.run.state, 'stopped');
  assert.equal(h.run.isActive, false);
  assert.equal(h.run.control('resume'), false);
});

test('what the views follow is kept by the run, sent to the source and echoed to every view', async () => {
  const h = host();
  await h.run.start(localEngine(), { paused: false, stepOnly: true });
  await h.until(() => h.run.state === 'paused' && h.lastStep() === 1, 'one step (Step with nothing running)');
  const selection = { layer: 1, kind: 'bias' as const, index: 2 };
  h.run.follow(selection, 'weight');
  assert.deepEqual(h.run.snapshot.selection, selection);
  assert.ok(h.posted.some((m) => m.type === 'view' && m.heatmapMode === 'weight'));
  await h.until(() => h.run.snapshot.detail?.heatmap?.mode === 'weight', 'a detail for the new mode');
  assert.deepEqual(h.run.snapshot.detail?.perExample?.selection, selection);
  const walk = await h.run.walkThrough();
  assert.deepEqual(walk.selection, selection, "the step-through follows the run's selection");
  assert.equal(h.run.snapshot.walkthrough, walk);
  const weights = await h.run.weights();
  assert.equal(weights.length, 4);
  h.run.dispose();
});

function workerScript(body: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gl-run-'));
  const file = path.join(dir, 'worker.js');
  writeFileSync(file, `const { parentPort } = require('node:worker_threads');\n${body}\n`);
  return file;
}

const STARTED = `{ type: 'started', run: { file: 'x', spec: ${JSON.stringify(SPEC)}, layers: [], trainSize: 64, validationSize: 0, numClasses: 4, backend: 'fake' } }`;

test('a worker that stops answering is ended and reported; its history is kept and the next run trains', async () => {
  const script = workerScript(`
parentPort.on('message', (m) => {
  if (m.type !== 'start') return;
  parentPort.postMessage(${STARTED});
  parentPort.postMessage({ type: 'status', status: { state: 'running', step: 0, epoch: 1 } });
  parentPort.postMessage({ type: 'steps', points: [1, 2, 3].map((step) => ({ step, epoch: 1, examplesSeen: step * 8, time: step / 1000, loss: 1, accuracy: 0, noiseScale: 1, layers: [] })) });
  setTimeout(() => { for (;;) {} }, 20);
});`);
  const h = host();
  const hung = new EngineSource({
    open: () => openThread(script, { heapMb: 256 }, { intervalMs: 50, timeoutMs: 300 }),
    start: START,
  });
  await h.run.start(hung, { paused: false, stepOnly: false });
  // The heartbeat allows for the machine's load (a beat counts 1/load), so on a loaded machine the
  // hang takes longer to call: the deadline is generous; on a quiet one this returns in about 0.3 s.
  await h.until(() => h.run.state === 'failed', 'the hung worker to be reported', 180000);
  assert.match(h.run.snapshot.status.message ?? '', /stopped answering for \d+\.\d s/);
  assert.ok(h.problems.some((p) => /stopped answering/.test(p)));
  assert.deepEqual(
    h.run.snapshot.history.map((p) => p.step),
    [1, 2, 3],
    'the history is kept',
  );
  assert.equal(h.run.isActive, false);
  await h.run.start(localEngine(), { paused: false, stepOnly: false });
  await h.until(() => h.lastStep() >= 5, 'the next run to train');
  h.run.dispose();
});

test('a worker over its memory limit fails the run with a message naming the setting', async () => {
  const script = workerScript(`
parentPort.on('message', (m) => {
  if (m.type !== 'start') return;
  parentPort.postMessage(${STARTED});
  const hoard = [];
  for (;;) hoard.push(new Array(1e5).fill({ x: Math.random() }));
});`);
  const h = host();
  const greedy = new EngineSource({ open: () => openThread(script, { heapMb: 64 }), start: START });
  await h.run.start(greedy, { paused: false, stepOnly: false });
  await h.until(() => h.run.state === 'failed', 'the out-of-memory worker to be reported', 60000);
  assert.match(h.run.snapshot.status.message ?? '', /ran out of memory.*gradientLens\.workerMemoryMb/);
});
