// Mutation-oriented tests for src/run/localChannel.ts (issue 14): the real worker loop (runWorker)
// in this thread behind the local transport, and the real channel over it. What the loop must do
// is its protocol (a ping gets a pong with the same id, every message clears the interrupt flag,
// pause is answered "done"); the transport's own contract is a copy and a macrotask each way, and
// nothing delivered either way once it is terminated. A message takes one macrotask each way, so
// "never delivered" is checked after a few turns of the event loop (setImmediate), not a sleep.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { WorkerEvent, WorkerRequest } from '../../../src/protocol';
import type { WorkerDeps } from '../../../src/session/workerLoop';
import { localTransport, openLocal } from '../../../src/run/localChannel';
import type { HeartbeatOptions } from '../../../src/run/workerChannel';

/** Deps the loop never reaches for pings and pauses (no run is started). */
const deps = {
  createTrainer: () => assert.fail('no trainer in these tests'),
  referenceBackend: () => assert.fail('no backend in these tests'),
  createWasmBackend: () => Promise.reject(new Error('no WASM')),
  loadDataset: () => Promise.reject(new Error('no data')),
  gradientCheck: () => assert.fail('no gradient check'),
} as unknown as WorkerDeps;

async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

test('a request reaches the loop as a copy, a macrotask later, and its answer comes back', async () => {
  const t = localTransport(deps);
  const heard: unknown[] = [];
  const pong = new Promise<unknown>((resolve) =>
    t.onMessage((m) => {
      heard.push(m);
      resolve(m);
    }),
  );
  const ping = { type: 'ping', id: 5 } satisfies WorkerRequest;
  t.postMessage(ping);
  assert.deepEqual(heard, [], 'not delivered synchronously');
  ping.id = 6;
  assert.deepEqual(await pong, { type: 'pong', id: 5 }, 'the loop got the message as it was when posted');
  t.onEnd(() => assert.fail('the local transport never ends by itself'));
  await t.terminate();
});

test('after terminate nothing reaches the loop: the interrupt flag it would clear stays raised', async () => {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const t = localTransport(deps, flag);
  const heard: unknown[] = [];
  t.onMessage((m) => heard.push(m));
  // Delivered: the loop clears the flag on every message and answers.
  Atomics.store(flag, 0, 1);
  t.postMessage({ type: 'ping', id: 1 });
  await turns(4);
  assert.equal(Atomics.load(flag, 0), 0, 'the loop got it and cleared the flag');
  assert.deepEqual(heard, [{ type: 'pong', id: 1 }]);
  // Posted, then terminated before the macrotask: never delivered.
  Atomics.store(flag, 0, 1);
  t.postMessage({ type: 'ping', id: 2 });
  await t.terminate();
  await turns(4);
  assert.equal(Atomics.load(flag, 0), 1, 'the loop never got the request');
  assert.deepEqual(heard, [{ type: 'pong', id: 1 }]);
});

test('after terminate nothing reaches the host: an answer already on its way is dropped', async () => {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const t = localTransport(deps, flag);
  const heard: unknown[] = [];
  t.onMessage((m) => heard.push(m));
  Atomics.store(flag, 0, 1);
  t.postMessage({ type: 'ping', id: 3 });
  // One turn: the loop has the ping (it cleared the flag) and its pong waits for the next turn.
  await turns(1);
  assert.equal(Atomics.load(flag, 0), 0);
  await t.terminate();
  await turns(4);
  assert.deepEqual(heard, [], 'the pong was dropped');
});

test('openLocal: a channel whose interrupt flag the loop shares, with the heartbeat it was given', async () => {
  const channel = openLocal(deps);
  const flag = (channel as unknown as { interrupt: Int32Array }).interrupt;
  assert.equal((channel as unknown as { heartbeatOptions?: HeartbeatOptions }).heartbeatOptions, undefined);
  const answer = channel.request({ type: 'pause' });
  assert.equal(Atomics.load(flag, 0), 1, 'raised by the channel for an urgent request');
  assert.deepEqual(await answer, { type: 'done' });
  assert.equal(Atomics.load(flag, 0), 0, 'cleared by the loop: the same memory');
  await channel.terminate();

  const beat: HeartbeatOptions = { intervalMs: 60_000, timeoutMs: 1000 };
  const withBeat = openLocal(deps, beat);
  assert.equal((withBeat as unknown as { heartbeatOptions?: HeartbeatOptions }).heartbeatOptions, beat);
  const events: WorkerEvent[] = [];
  withBeat.onEvent((e) => events.push(e));
  assert.deepEqual(
    await withBeat.request({ type: 'getWeights' }).catch((e: Error) => e.message),
    'Nothing is training in this worker, so it has no weights.',
  );
  assert.deepEqual(events, []);
  await withBeat.terminate();
});
