// The heartbeat on real worker threads: one that really hangs (a busy loop that never answers) is
// ended, also on a starved machine; one that is slow but alive (busy until the test lets it answer)
// is kept on a starved machine for as long as a quiet one would need, and answers. The waits are on
// conditions (the channel gone, the worker's answer, so much silence seen), never fixed sleeps.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { openThread } from '../../../src/run/threadTransport';
import type { WorkerChannel } from '../../../src/run/workerChannel';

const TIMEOUT_MS = 200;

/** A worker that answers pings, and on getWeights either computes forever or until `release` exists. */
function workerScript(release: string | null): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gl-beat-'));
  const file = path.join(dir, 'worker.js');
  writeFileSync(
    file,
    `const { parentPort } = require('node:worker_threads');
const { existsSync } = require('node:fs');
parentPort.on('message', (m) => {
  if (m.type === 'ping') return parentPort.postMessage({ type: 'pong', id: m.id });
  if (m.type !== 'getWeights') return;
  ${release === null ? 'for (;;) {}' : `while (!existsSync(${JSON.stringify(release)})) {}`}
  parentPort.postMessage({ type: 'reply', id: m.id, ok: true, value: { type: 'weights', tensors: [] } });
});\n`,
  );
  return file;
}

function channelOver(script: string, load?: () => number): { channel: WorkerChannel; gone: Promise<string> } {
  const channel = openThread(script, { heapMb: 64 }, { intervalMs: 20, timeoutMs: TIMEOUT_MS, ...(load ? { load } : {}) });
  const gone = new Promise<string>((resolve) => channel.onGone(resolve));
  channel.watch(true);
  return { channel, gone };
}

/** Resolves once `pred` holds, checked on every turn of the event loop. */
async function until(pred: () => boolean): Promise<void> {
  while (!pred()) await new Promise((r) => setImmediate(r));
}

test('a worker in a busy loop is ended and reported, with the machine load as it is', async () => {
  const { channel, gone } = channelOver(workerScript(null));
  const answer = channel.request({ type: 'getWeights' });
  answer.catch(() => undefined);
  assert.match(await gone, /^it stopped answering for \d+\.\d s and was ended$/);
  await assert.rejects(answer, /The worker stopped unexpectedly \(it stopped answering/);
});

test('on a starved machine (20 runnable threads a core) a worker in a busy loop is still ended', async () => {
  const { channel, gone } = channelOver(workerScript(null), () => 20);
  channel.request({ type: 'getWeights' }).catch(() => undefined);
  const reason = await gone;
  const seconds = Number(/for (\d+\.\d) s/.exec(reason)?.[1]);
  // Each beat counts 1/20: ended only after about 20 × the quiet timeout of silence.
  assert.ok(seconds >= (20 * TIMEOUT_MS) / 1000 - 0.5, reason);
});

test('on a starved machine a slow worker that is alive is kept past the quiet timeout and answers', async (t) => {
  const release = path.join(mkdtempSync(path.join(tmpdir(), 'gl-beat-')), 'release');
  t.after(() => writeFileSync(release, ''));
  const { channel } = channelOver(workerScript(release), () => 20);
  let isGone = false;
  channel.onGone(() => (isGone = true));
  const asked = Date.now();
  const answer = channel.request({ type: 'getWeights' });
  // Silent for 4 × the timeout: a quiet machine would have ended it by now.
  await until(() => isGone || Date.now() - asked > 4 * TIMEOUT_MS);
  assert.equal(isGone, false, 'a slow but alive worker was ended on a starved machine');
  writeFileSync(release, '');
  assert.deepEqual(await answer, { type: 'weights', tensors: [] });
  assert.equal(channel.isGone, false);
  await channel.terminate();
});

test('on a quiet machine the same slow worker is ended after the timeout (the check above can fail)', async (t) => {
  const release = path.join(mkdtempSync(path.join(tmpdir(), 'gl-beat-')), 'release');
  t.after(() => writeFileSync(release, ''));
  const { channel, gone } = channelOver(workerScript(release), () => 1);
  channel.request({ type: 'getWeights' }).catch(() => undefined);
  assert.match(await gone, /stopped answering/);
  assert.equal(existsSync(release), false, 'ended while still waiting to be released');
});
