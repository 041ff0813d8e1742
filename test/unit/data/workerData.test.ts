// The training worker reads data files only inside the workspace folder its request names, checked
// on the file it really opened: a link to a file outside is refused with a data error naming the
// file, and a request that would read data without naming that folder is refused outright.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { Trainer, gradientCheck, referenceBackend } from '../../../src/engine';
import { loadDataset } from '../../../src/data/load';
import type { WorkerEvent, WorkerRequest } from '../../../src/protocol';
import { runWorker, type WorkerPort } from '../../../src/session/workerLoop';
import { mediaDir, tempDir } from './helpers';

const SPEC = {
  name: 'linked',
  seed: 1,
  dtype: 'float32' as const,
  data: { source: 'link.csv', validationSplit: 0 },
  layers: [{ type: 'dense' as const, units: 2, activation: 'linear' as const }],
  loss: 'cross-entropy' as const,
  optimizer: {
    type: 'sgd' as const,
    learningRate: 0.1,
    momentum: 0,
    nesterov: false,
    weightDecay: 0,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
  },
  batchSize: 2,
  epochs: 1,
};

/** A worker loop with the real data loaders; resolves with the first event `pick` accepts. */
function worker(memoryLimit?: number) {
  const { port1, port2 } = new MessageChannel();
  runWorker(port1 as unknown as WorkerPort, {
    createTrainer: (o) => new Trainer(o),
    referenceBackend,
    createWasmBackend: () => Promise.reject(new Error('no WASM here')),
    loadDataset,
    gradientCheck: (sp, d) => gradientCheck(sp, d),
    memoryLimit,
  });
  const events: WorkerEvent[] = [];
  const waiters: (() => void)[] = [];
  port2.on('message', (e: WorkerEvent) => {
    events.push(e);
    for (const w of waiters) w();
  });
  const first = <T>(pick: (e: WorkerEvent) => T | undefined) =>
    new Promise<T>((resolve) => {
      const look = () => {
        for (const e of events) {
          const v = pick(e);
          if (v !== undefined) return resolve(v);
        }
      };
      waiters.push(look);
      look();
    });
  return {
    send: (r: WorkerRequest) => port2.postMessage(r),
    first,
    close: () => {
      port1.close();
      port2.close();
    },
  };
}

function linkedWorkspace(t: Parameters<typeof tempDir>[0]) {
  const base = tempDir(t);
  const ws = path.join(base, 'ws');
  mkdirSync(ws);
  writeFileSync(path.join(base, 'secret.csv'), 'label,a\n1,42\n0,43\n');
  writeFileSync(path.join(ws, 'inside.csv'), 'label,a\n1,1\n0,2\n');
  symlinkSync(path.join(base, 'secret.csv'), path.join(ws, 'link.csv'));
  return { base, ws };
}

const settings = { pauseOnNonFinite: true, histogramEvery: 0, heatmapMaxCells: 8, detailIntervalMs: 0, useWasm: false };

test('a training request whose data file is a link to outside the workspace fails with a data error naming the file', async (t) => {
  const { base, ws } = linkedWorkspace(t);
  const w = worker();
  try {
    w.send({
      type: 'start',
      spec: SPEC,
      dataPath: path.join(ws, 'link.csv'),
      labelsPath: null,
      mediaDir,
      file: 'linked.gradlens.json',
      workspaceRoot: ws,
      paused: true,
      settings,
    });
    const message = await w.first((e) =>
      e.type === 'error' ? e.message : e.type === 'started' ? `trained on ${e.run.trainSize} examples` : undefined,
    );
    assert.ok(
      message.startsWith(
        `linked.gradlens.json: link.csv (${path.join(ws, 'link.csv')}): the file opened is really ${path.join(base, 'secret.csv')}, ` +
          'which is outside the workspace folder',
      ),
      message,
    );
    // The same worker loop trains a file that really is inside (the refusal is about the link, not the loop).
    const ok = worker();
    t.after(ok.close);
    ok.send({
      type: 'start',
      spec: { ...SPEC, data: { source: 'inside.csv', validationSplit: 0 } },
      dataPath: path.join(ws, 'inside.csv'),
      labelsPath: null,
      mediaDir,
      file: 'inside.gradlens.json',
      workspaceRoot: ws,
      paused: true,
      settings,
    });
    const run = await ok.first((e) => (e.type === 'started' ? e.run : e.type === 'error' ? e.message : undefined));
    assert.equal(typeof run === 'string' ? run : run.trainSize, 2);
  } finally {
    w.close();
  }
});

test('a one-shot job over a linked data file is refused the same way, naming the file', async (t) => {
  const { base, ws } = linkedWorkspace(t);
  const w = worker();
  try {
    w.send({
      type: 'gradCheck',
      id: 7,
      spec: SPEC,
      dataPath: path.join(ws, 'link.csv'),
      labelsPath: null,
      mediaDir,
      file: 'linked.gradlens.json',
      workspaceRoot: ws,
    });
    const error = await w.first((e) => (e.type === 'reply' && e.id === 7 ? (e.ok ? 'answered' : e.error) : undefined));
    assert.match(error, /^linked\.gradlens\.json: gradient check failed: link\.csv \(.*link\.csv\): the file opened is really /);
    assert.ok(error.includes(path.join(base, 'secret.csv')), error);
  } finally {
    w.close();
  }
});

test('a request that reads a data file without naming its workspace folder is refused before anything is read', async (t) => {
  const { ws } = linkedWorkspace(t);
  const w = worker();
  try {
    w.send({
      type: 'gradCheck',
      id: 8,
      spec: { ...SPEC, data: { source: 'inside.csv', validationSplit: 0 } },
      dataPath: path.join(ws, 'inside.csv'),
      labelsPath: null,
      mediaDir,
      file: 'inside.gradlens.json',
    });
    const error = await w.first((e) => (e.type === 'reply' && e.id === 8 ? (e.ok ? 'answered' : e.error) : undefined));
    assert.equal(
      error,
      'the worker refused a malformed request: gradCheck.workspaceRoot must name the workspace folder when a data file is read',
    );
  } finally {
    w.close();
  }
});

test('a run or job estimated to need more than the worker memory is refused before it trains, naming the layer and the setting', async (t) => {
  const { ws } = linkedWorkspace(t);
  const big = {
    ...SPEC,
    data: { source: 'inside.csv', validationSplit: 0 },
    layers: [{ type: 'dense' as const, units: 4000, activation: 'relu' as const }, ...SPEC.layers],
  };
  const source = {
    spec: big,
    dataPath: path.join(ws, 'inside.csv'),
    labelsPath: null,
    mediaDir,
    file: 'big.gradlens.json',
    workspaceRoot: ws,
  };
  const w = worker(64 * 1024);
  const fits = worker(64 * 2 ** 20);
  try {
    w.send({ type: 'start', ...source, paused: true, settings });
    const message = await w.first((e) =>
      e.type === 'error' ? e.message : e.type === 'started' ? `trained on ${e.run.trainSize} examples` : undefined,
    );
    assert.match(
      message,
      /^big\.gradlens\.json: layers\[0\] \(dense, 4000 units\): training needs about .* over the worker memory of the setting gradientLens\.workerMemoryMb of 65\.5 kB/,
    );
    w.send({ type: 'batchSnapshot', id: 3, ...source, useWasm: false });
    const refused = await w.first((e) => (e.type === 'reply' && e.id === 3 ? (e.ok ? 'answered' : e.error) : undefined));
    assert.match(refused, /^big\.gradlens\.json: layers\[0\] .*gradientLens\.workerMemoryMb/);
    // The same model within a larger limit trains.
    fits.send({ type: 'start', ...source, paused: true, settings });
    const run = await fits.first((e) => (e.type === 'started' ? e.run.trainSize : e.type === 'error' ? e.message : undefined));
    assert.equal(run, 2);
  } finally {
    w.close();
    fits.close();
  }
});

test('data that loads but has one class only is trained with its warning in the run the host is told about', async (t) => {
  const { ws } = linkedWorkspace(t);
  writeFileSync(path.join(ws, 'one.csv'), 'label,a\n1,1\n1,2\n1,3\n');
  const w = worker();
  try {
    w.send({
      type: 'start',
      spec: {
        ...SPEC,
        data: { source: 'one.csv', validationSplit: 0 },
        layers: [{ type: 'dense' as const, units: 1, activation: 'linear' as const }],
      },
      dataPath: path.join(ws, 'one.csv'),
      labelsPath: null,
      mediaDir,
      file: 'one.gradlens.json',
      workspaceRoot: ws,
      paused: true,
      settings,
    });
    const run = await w.first((e) => (e.type === 'started' ? e.run : e.type === 'error' ? e.message : undefined));
    assert.ok(typeof run === 'object', typeof run === 'string' ? run : 'no run');
    assert.deepEqual(run.dataWarnings, [
      'one.csv: every example has the same class (1); the network can only learn to predict it',
    ]);
  } finally {
    w.close();
  }
});
