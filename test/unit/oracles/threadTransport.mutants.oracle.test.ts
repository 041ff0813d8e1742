// Mutation-oriented tests for src/run/threadTransport.ts (issue 14), on real worker_threads running
// a small script written by the test: the worker itself reports what it was given (its workerData,
// its own resourceLimits, what it sees in the shared flag), so the oracle is the thread's own view,
// checked against the values the test chose by hand (the heap limit max(64, ⌊heapMb⌋), the engine
// threads "auto" unless told). The end reasons are the documented sentences. Waits are on events.

import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { WorkerEvent, WorkerRequest } from '../../../src/protocol';
import { loadPerCore, machineLoad, openThread, threadTransport } from '../../../src/run/threadTransport';
import type { HeartbeatOptions, Transport } from '../../../src/run/workerChannel';

const dir = mkdtempSync(path.join(tmpdir(), 'gl-s4chan-'));
const script = path.join(dir, 'worker.js');
writeFileSync(
  script,
  `const { parentPort, workerData, resourceLimits } = require('node:worker_threads');
parentPort.on('message', (m) => {
  if (m.type === 'getWeights') {
    const flag = workerData.interrupt instanceof SharedArrayBuffer ? new Int32Array(workerData.interrupt) : null;
    if (flag) Atomics.store(flag, 0, 42);
    return parentPort.postMessage({
      type: 'info', keys: Object.keys(workerData).sort(), engineThreads: workerData.engineThreads,
      shared: flag !== null, heapMb: resourceLimits.maxOldGenerationSizeMb,
    });
  }
  if (m.type === 'pause') {
    const flag = new Int32Array(workerData.interrupt);
    return parentPort.postMessage({ type: 'error', message: 'flag ' + Atomics.load(flag, 0) });
  }
  if (m.type === 'stop') throw new Error('boom in the worker');
  if (m.type === 'step') process.exit(3);
  if (m.type === 'resume') { const keep = []; for (;;) keep.push(new Array(1e5).fill(1.5)); }
});\n`,
);

/** The next message of the transport's worker. */
function nextMessage(t: Transport): Promise<unknown> {
  return new Promise((resolve) => {
    let done = false;
    t.onMessage((m) => {
      if (!done) resolve(m);
      done = true;
    });
  });
}

/** Resolves with the end reasons once `count` of them came. */
function endReasons(t: Transport, count: number): Promise<string[]> {
  const reasons: string[] = [];
  return new Promise((resolve) =>
    t.onEnd((r) => {
      reasons.push(r);
      if (reasons.length === count) resolve([...reasons]);
    }),
  );
}

// Four threads, run side by side (each starts slowly on a loaded machine): each one's life is
// checked from its start to its end.
describe('threadTransport', { concurrency: true }, () => {
  test('a thread gets "auto" engine threads, no interrupt, the 64 MB floor of a small heap setting; memory, a heap snapshot, terminate', async () => {
    const t = threadTransport(script, { heapMb: 10 });
    const ended = endReasons(t, 1);
    const info = nextMessage(t);
    t.postMessage({ type: 'getWeights', id: 1 });
    assert.deepEqual(await info, { type: 'info', keys: ['engineThreads'], engineThreads: 'auto', shared: false, heapMb: 64 });

    // The isolate's heap statistics where Node has them (≥ 22.16), null on older hosts.
    const m = await t.memory!();
    if (typeof (Worker.prototype as { getHeapStatistics?: unknown }).getHeapStatistics === 'function') {
      assert.ok(m !== null && m.heapUsed > 0 && m.heapTotal >= m.heapUsed && m.external >= 0, JSON.stringify(m));
    } else {
      assert.equal(m, null);
    }

    const file = path.join(dir, 'w.heapsnapshot');
    await t.writeHeapSnapshot!(file);
    const snap = JSON.parse(readFileSync(file, 'utf8')) as { snapshot: { node_count: number } };
    assert.ok(snap.snapshot.node_count > 0, 'a V8 heap snapshot');

    await t.terminate();
    assert.deepEqual(await ended, ['it exited with code 1'], 'terminate ends it with code 1');
  });

  test('a thread gets the engine threads asked for, the interrupt flag shared, ⌊heapMb⌋ MB; one that throws is reported with its message, then its exit code', async () => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const t = threadTransport(script, { heapMb: 100.7, engineThreads: 2 }, flag);
    const reasons = endReasons(t, 2);
    const info = nextMessage(t);
    t.postMessage({ type: 'getWeights', id: 1 });
    assert.deepEqual(await info, {
      type: 'info',
      keys: ['engineThreads', 'interrupt'],
      engineThreads: 2,
      shared: true,
      heapMb: 100,
    });
    assert.equal(Atomics.load(flag, 0), 42, 'the worker wrote into the host’s own flag');
    t.postMessage({ type: 'stop', id: 2 });
    assert.deepEqual(await reasons, ['boom in the worker', 'it exited with code 1']);
  });

  test('a thread with engineThreads 1 and 64.9 MB gets 1 and 64 MB; one that exits is reported with its code', async () => {
    const t = threadTransport(script, { heapMb: 64.9, engineThreads: 1 });
    const reasons = endReasons(t, 1);
    const info = nextMessage(t);
    t.postMessage({ type: 'getWeights', id: 1 });
    assert.deepEqual(await info, { type: 'info', keys: ['engineThreads'], engineThreads: 1, shared: false, heapMb: 64 });
    t.postMessage({ type: 'step', id: 2 });
    assert.deepEqual(await reasons, ['it exited with code 3']);
  });

  test('a thread out of memory is reported with the heap setting it ran out of', async () => {
    const t = threadTransport(script, { heapMb: 64 });
    const reasons = endReasons(t, 2);
    t.postMessage({ type: 'resume', id: 1 });
    assert.deepEqual(await reasons, [
      'it ran out of memory: the model or its batch needs more than the 64 MB of the setting gradientLens.workerMemoryMb',
      'it exited with code 1',
    ]);
    await t.terminate();
  });
});

type WithOptions = { heartbeatOptions?: HeartbeatOptions };

test('openThread: the heartbeat allows for the machine’s load unless told; no heartbeat when not asked; the flag is shared', async () => {
  const beat = openThread(script, { heapMb: 64 }, { intervalMs: 60_000, timeoutMs: 1000 });
  assert.deepEqual((beat as unknown as WithOptions).heartbeatOptions, { load: machineLoad, intervalMs: 60_000, timeoutMs: 1000 });
  const own = (): number => 3;
  const told = openThread(script, { heapMb: 64 }, { intervalMs: 60_000, timeoutMs: 1000, load: own });
  assert.equal((told as unknown as WithOptions).heartbeatOptions?.load, own);
  const none = openThread(script, { heapMb: 64 });
  assert.equal((none as unknown as WithOptions).heartbeatOptions, undefined);

  const seen = new Promise<WorkerEvent>((resolve) => none.onEvent(resolve));
  none.post({ type: 'pause', id: 1 } satisfies WorkerRequest);
  assert.deepEqual(await seen, { type: 'error', message: 'flag 1' }, 'the channel raised the flag the worker reads');
  await Promise.all([beat.terminate(), told.terminate(), none.terminate()]);
});

test('machineLoad: at least 1, and at least the 1-minute load average per core', () => {
  const cores = Math.max(1, availableParallelism());
  const before = loadavg()[0];
  const load = machineLoad();
  const after = loadavg()[0];
  assert.ok(Number.isFinite(load) && load >= 1, String(load));
  assert.ok(load >= Math.min(before, after) / cores - 1e-9, `${load} vs ${before}/${cores}`);
});

test('loadPerCore: the larger of the running count and the load average, per core, at least 1 (by hand)', () => {
  // A quiet machine: 1 running of 2 cores, load 0.5.
  assert.equal(loadPerCore(0.5, '0.50 0.40 0.30 1/300 123\n', 2), 1);
  // More running now than the average says: 7 / 2.
  assert.equal(loadPerCore(3, '3.00 2.00 1.00 7/300 123\n', 2), 3.5);
  // The average above the running count: 9 / 2.
  assert.equal(loadPerCore(9, '9.00 2.00 1.00 7/300 123\n', 2), 4.5);
  // Multi-character fields and a two-digit running count: 17 / 4.
  assert.equal(loadPerCore(12.5, '12.50 10.00 8.00 17/812 4242\n', 4), 4.25);
  // No /proc/loadavg (not Linux): the average alone, 3 / 2; Windows' 0 gives 1.
  assert.equal(loadPerCore(3, '', 2), 1.5);
  assert.equal(loadPerCore(0, '', 8), 1);
  // The running count is the 4th field, before its slash, only.
  assert.equal(loadPerCore(1, 'x 0.1 0.2 0.3 9/10 1', 1), 1);
  assert.equal(loadPerCore(1, '0.1 0.2 0.3 9 10', 1), 1);
  // No core reported counts as 1 core.
  assert.equal(loadPerCore(3, '3 2 1 7/300 1', 0), 7);
  // A load that is not a number gives 1, also with a running count.
  assert.equal(loadPerCore(Number.NaN, '', 2), 1);
  assert.equal(loadPerCore(Number.NaN, '1 1 1 6/10 1', 2), 1);
  assert.equal(loadPerCore(Number.POSITIVE_INFINITY, '', 2), 1);
});
