// The engine's second thread in the product: the setting and the flag, the rule for "auto", the
// fallback to one thread, and runs on two threads (in this thread, and inside the real training
// worker dist/worker.js, where the helper is a worker_thread of a worker_thread) that give
// bit-identical losses and weights to one thread for the same seed: the digits MLP and the CNN example.

import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import Module from 'node:module';
import * as path from 'node:path';
import { Trainer } from '../../../src/engine/trainer';
import type { NamedTensor } from '../../../src/engine/trainer';
import { loadDataset } from '../../../src/data/load';
import { parseModel } from '../../../src/model';
import type { ModelSpec } from '../../../src/model/spec';
import type { WorkerEvent } from '../../../src/protocol';
import { openThread } from '../../../src/run/threadTransport';
import {
  chooseEngineBackend,
  closeHelper,
  engineBackendFactory,
  parseEngineThreads,
  planThreads,
} from '../../../src/engine-host/threads';
import type { WasmBackend } from '../../../src/engine/wasm/backend';

const root = path.resolve(__dirname, '../../..');
const media = path.join(root, 'media');
const workerScript = path.join(root, 'dist/worker.js');

before(() => {
  if (!existsSync(workerScript) || !existsSync(path.join(media, 'digits.bin')))
    assert.equal(spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root }).status, 0);
});

/** An example model file's spec, with fewer epochs (the numbers of every step are compared). */
function example(file: string, epochs: number): ModelSpec {
  const spec = parseModel(readFileSync(path.join(root, 'examples', file), 'utf8')).spec;
  assert.ok(spec, `${file} parses`);
  return { ...spec, epochs };
}
const MLP = example('digits/digits.gradlens.json', 1);
const CNN = example('cnn/cnn.gradlens.json', 1);

test('"auto" is two threads with two cores, shared memory and a free core, one otherwise; 2 where it cannot run says why', () => {
  assert.deepEqual(planThreads('auto', { cpus: 2, sharedMemory: true, load: 1 }), { threads: 2, fallbackReason: null });
  assert.deepEqual(planThreads('auto', { cpus: 1, sharedMemory: true, load: 1 }), { threads: 1, fallbackReason: null });
  assert.deepEqual(planThreads('auto', { cpus: 8, sharedMemory: false, load: 1 }), { threads: 1, fallbackReason: null });
  assert.deepEqual(planThreads(1, { cpus: 8, sharedMemory: true, load: 1 }), { threads: 1, fallbackReason: null });
  assert.equal(planThreads(2, { cpus: 8, sharedMemory: true, load: 1 }).threads, 2);
  const noShared = planThreads(2, { cpus: 8, sharedMemory: false, load: 1 });
  assert.equal(noShared.threads, 1);
  assert.match(noShared.fallbackReason ?? '', /no SharedArrayBuffer.*one thread/);
  assert.match(planThreads(2, { cpus: 1, sharedMemory: true, load: 1 }).fallbackReason ?? '', /one CPU core/);
  // a busy machine: auto takes one thread and says why; an explicit 2 is kept
  const busy = planThreads('auto', { cpus: 2, sharedMemory: true, load: 12.5 });
  assert.equal(busy.threads, 1);
  assert.match(busy.fallbackReason ?? '', /busy \(12\.5 runnable threads per core/);
  assert.equal(planThreads('auto', { cpus: 2, sharedMemory: true, load: 1.5 }).threads, 2);
  assert.deepEqual(planThreads(2, { cpus: 2, sharedMemory: true, load: 12.5 }), { threads: 2, fallbackReason: null });
});

test('the setting and the flag accept "auto", 1 and 2 only', () => {
  for (const [written, read] of [
    ['auto', 'auto'],
    [1, 1],
    [2, 2],
    ['1', 1],
    ['2', 2],
  ] as const)
    assert.equal(parseEngineThreads(written), read);
  for (const bad of [3, 0, '3', '', 'two', 1.5, null, undefined, true]) assert.equal(parseEngineThreads(bad), undefined);
});

test('the Config module reads gradientLens.engineThreads (default "auto", a bad value is "auto")', () => {
  // readSettings takes any `get` with defaults; config.ts imports the vscode API only for the Config
  // class, which this test does not construct: an empty module stands in for it while loading.
  const load = (Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown })._load;
  (Module as unknown as { _load: typeof load })._load = (request, ...rest) =>
    request === 'vscode' ? {} : load(request, ...rest);
  let readSettings: typeof import('../../../src/config').readSettings;
  try {
    ({ readSettings } = require('../../../src/config') as typeof import('../../../src/config'));
  } finally {
    (Module as unknown as { _load: typeof load })._load = load;
  }
  const settings = (values: Record<string, unknown>) =>
    readSettings({ get: <T>(key: string, fallback: T) => (key in values ? (values[key] as T) : fallback) });
  assert.equal(settings({}).engineThreads, 'auto');
  assert.equal(settings({ engineThreads: 1 }).engineThreads, 1);
  assert.equal(settings({ engineThreads: 2 }).engineThreads, 2);
  assert.equal(settings({ engineThreads: 3 }).engineThreads, 'auto');
  // and package.json declares it with the same default and values
  const declared = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).contributes.configuration.properties[
    'gradientLens.engineThreads'
  ];
  assert.equal(declared.default, 'auto');
  assert.deepEqual(
    declared.anyOf.flatMap((a: { enum: unknown[] }) => a.enum),
    ['auto', 1, 2],
  );
});

/** Every step's loss and the final weights of a run of `spec` on this thread with the given setting. */
async function trainHere(spec: ModelSpec, threads: 1 | 2): Promise<{ losses: number[]; weights: NamedTensor[]; split: number }> {
  const { train, validation } = await loadDataset(spec.data, {
    dataPath: null,
    labelsPath: null,
    mediaDir: media,
    seed: spec.seed,
  });
  // helper at once (helperAfterMs 0): a 25-step run is shorter than the product's deferral
  const choice = await chooseEngineBackend(spec, true, threads, undefined, 0);
  assert.equal(choice.threads, threads, choice.fallbackReason ?? '');
  assert.equal(choice.fallbackReason, null);
  try {
    const trainer = new Trainer({ spec, train, validation, backend: choice.backend });
    const losses: number[] = [];
    while (!trainer.done()) losses.push(trainer.trainStep().loss);
    return { losses, weights: trainer.getWeights(), split: (choice.backend as WasmBackend).splitProducts };
  } finally {
    closeHelper(choice.backend);
  }
}

function sameWeights(two: NamedTensor[], one: NamedTensor[], what: string): void {
  assert.equal(two.length, one.length);
  two.forEach((w, t) => {
    assert.equal(w.name, one[t].name);
    for (let i = 0; i < w.value.length; i++)
      if (!Object.is(w.value[i], one[t].value[i]))
        assert.fail(`${what}: ${w.name}[${i}] is ${w.value[i]} on two threads, ${one[t].value[i]} on one`);
  });
}

for (const [name, spec] of [
  ['the digits MLP', MLP],
  ['the CNN example', CNN],
] as const)
  test(`${name} trained through chooseEngineBackend on 2 threads is bit-identical to 1 thread`, async () => {
    const two = await trainHere(spec, 2);
    const one = await trainHere(spec, 1);
    assert.ok(two.split > 0, 'two threads did split work');
    assert.equal(one.split, 0);
    assert.equal(two.losses.length, 25);
    assert.deepEqual(two.losses, one.losses);
    sameWeights(two.weights, one.weights, name);
  });

test('the compare/repeat factory keeps one helper at a time; the backend it stopped goes on on one thread', () => {
  const make = engineBackendFactory(true, 2);
  const first = make(MLP) as WasmBackend;
  const second = make(MLP) as WasmBackend;
  try {
    assert.equal(first.threads, 2);
    // the first backend's helper was told to stop: products of the first stay on its own thread
    const n = 256;
    const a = first.alloc(n * n).fill(1),
      b = first.alloc(n * n).fill(2),
      c = first.alloc(n * n);
    first.gemm(false, false, n, n, n, 1, a, b, 0, c);
    assert.equal(first.splitProducts, 0);
    assert.equal(c[n * n - 1], 2 * n);
  } finally {
    closeHelper(second);
  }
});

/** A run of `spec` inside a real training worker (dist/worker.js) opened with the setting: its backend label, losses, weights. */
async function trainInWorker(spec: ModelSpec, engineThreads: 1 | 2) {
  const channel = openThread(workerScript, { heapMb: 512, engineThreads });
  const events: WorkerEvent[] = [];
  const finished = new Promise<void>((resolve, reject) => {
    channel.onGone((reason) => reject(new Error(`the worker ended: ${reason}`)));
    channel.onEvent((e) => {
      events.push(e);
      if (e.type === 'error') reject(new Error(e.message));
      if (e.type === 'status' && e.status.state === 'finished') resolve();
    });
  });
  try {
    channel.post({
      type: 'start',
      spec,
      dataPath: null,
      labelsPath: null,
      mediaDir: media,
      file: 'example.gradlens.json',
      paused: false,
      settings: { pauseOnNonFinite: true, histogramEvery: 5, heatmapMaxCells: 8, detailIntervalMs: 0, useWasm: true },
    });
    await finished;
    const answer = await channel.request({ type: 'getWeights' });
    assert.equal(answer.type, 'weights');
    const started = events.find((e) => e.type === 'started');
    const losses = events.flatMap((e) => (e.type === 'steps' ? e.points.map((p) => p.loss) : []));
    return {
      backend: started?.type === 'started' ? started.run.backend : '',
      losses,
      weights: (answer as { tensors: NamedTensor[] }).tensors,
    };
  } finally {
    await channel.terminate();
  }
}

test('the training worker opened with engineThreads 2 trains the CNN on two threads, says so, and matches 1 thread', async () => {
  const two = await trainInWorker(CNN, 2);
  const one = await trainInWorker(CNN, 1);
  assert.equal(two.backend, 'wasm-simd, up to 2 threads (the 2nd joins after 250 ms of training)');
  assert.equal(one.backend, 'wasm-simd, 1 thread');
  assert.equal(two.losses.length, 25);
  assert.deepEqual(two.losses, one.losses);
  sameWeights(two.weights, one.weights, 'the CNN in the worker');
});

/** Threads of this process now (Linux: /proc/self/task), or null elsewhere. */
function osThreads(): number | null {
  try {
    return readdirSync('/proc/self/task').length;
  } catch {
    return null;
  }
}

/** Resolves once `pred` holds (checked every few ms); rejects after ms naming what was awaited. */
async function until(pred: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test(
  'killing the training worker mid-run (as the watchdog does) ends its helper thread too',
  { skip: osThreads() === null },
  async () => {
    // libuv starts its thread pool on first use (the worker's file reads): start it first, so the count below is the baseline
    await readFile(path.join(media, 'digits.bin'));
    const before = osThreads()!;
    const channel = openThread(workerScript, { heapMb: 512, engineThreads: 2 });
    let steps = 0;
    let backend = '';
    channel.onEvent((e) => {
      if (e.type === 'steps') steps += e.points.length;
      if (e.type === 'started') backend = e.run.backend;
    });
    channel.post({
      type: 'start',
      spec: { ...CNN, epochs: 50 },
      dataPath: null,
      labelsPath: null,
      mediaDir: media,
      file: 'example.gradlens.json',
      paused: false,
      settings: { pauseOnNonFinite: true, histogramEvery: 5, heatmapMaxCells: 8, detailIntervalMs: 0, useWasm: true },
    });
    await until(() => steps >= 10, 'the run to train on two threads');
    assert.equal(backend, 'wasm-simd, up to 2 threads (the 2nd joins after 250 ms of training)');
    // the helper starts once the run has trained for HELPER_AFTER_MS
    await until(() => osThreads()! >= before + 2, `the worker and its helper to run (${before} threads before)`);
    await channel.killForTests();
    await until(() => osThreads()! <= before, `the process to be back at ${before} threads (the helper gone)`);
  },
);
