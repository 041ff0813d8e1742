// The heartbeat of a worker channel, on a worker that never answers and a clock under the test's
// control: silence while the host runs normally ends the worker; a host that was itself held up
// (asleep, blocked) does not blame the worker for the gap.

import { test, mock } from 'node:test';
import * as assert from 'node:assert/strict';
import { WorkerChannel, type Transport } from '../../../src/run/workerChannel';

/** Advances the clock beat by beat, as a running host would live through it. */
function live(ms: number, step = 100): void {
  for (let t = 0; t < ms; t += step) mock.timers.tick(step);
}

function silentWorker() {
  const sent: string[] = [];
  let terminated = false;
  const transport: Transport = {
    postMessage: (m) => {
      sent.push(m.type);
    },
    terminate: async () => {
      terminated = true;
    },
    onMessage: () => {},
    onEnd: () => {},
  };
  return { transport, sent, terminated: () => terminated };
}

/** A silent worker under a channel (a beat every 100 ms, ended after 1 s of silence), on the fake clock while `body` runs. */
function onFakeClock(body: (w: ReturnType<typeof silentWorker>, channel: WorkerChannel, gone: string[]) => void): void {
  mock.timers.enable({ apis: ['setInterval', 'Date'] });
  try {
    const w = silentWorker();
    const channel = new WorkerChannel(w.transport, { intervalMs: 100, timeoutMs: 1000 });
    const gone: string[] = [];
    channel.onGone((r) => gone.push(r));
    body(w, channel, gone);
  } finally {
    mock.timers.reset();
  }
}

test('a watched worker that stays silent past the timeout is ended once; an unwatched one is not', () => {
  onFakeClock((w, channel, gone) => {
    live(3000);
    assert.deepEqual(gone, [], 'silence does not count before watching starts (loading data)');
    assert.ok(w.sent.includes('ping'));
    channel.watch(true);
    live(900);
    assert.deepEqual(gone, []);
    live(300);
    assert.equal(gone.length, 1);
    assert.match(gone[0], /stopped answering for 1\.\d s/);
    assert.ok(w.terminated());
    live(5000);
    assert.equal(gone.length, 1, 'told once');
  });
});

test('a host that was held up does not end its worker for the gap; slow steps buy patience', () => {
  onFakeClock((w, channel, gone) => {
    channel.watch(true);
    live(500);
    // The clock jumps an hour without a single beat in between (the laptop slept).
    mock.timers.setTime(Date.now() + 3_600_000);
    mock.timers.tick(100);
    live(500);
    assert.deepEqual(gone, []);
    channel.sawStepTaking(2);
    live(5000);
    assert.deepEqual(gone, [], '4 × a 2 s step on top of the timeout');
    live(5000);
    assert.equal(gone.length, 1);
  });
});

test('a long request holds the count: reports that turn the watch on meanwhile do not start it', () => {
  onFakeClock((w, channel, gone) => {
    channel.watch(true);
    const release = channel.hold();
    // A status report the worker sent before the request began arrives now and turns the watch on.
    channel.watch(false);
    channel.watch(true);
    live(5000);
    assert.deepEqual(gone, [], 'the silence of a held request counted');
    release();
    release();
    live(900);
    assert.deepEqual(gone, [], 'the count starts again at the release, once');
    live(300);
    assert.equal(gone.length, 1);
  });
});

test('on a starved machine each beat counts for the share of a core the worker gets', () => {
  mock.timers.enable({ apis: ['setInterval', 'Date'] });
  try {
    let load = 4;
    const w = silentWorker();
    const channel = new WorkerChannel(w.transport, { intervalMs: 100, timeoutMs: 1000, load: () => load });
    const gone: string[] = [];
    channel.onGone((r) => gone.push(r));
    channel.watch(true);
    live(3900);
    assert.deepEqual(gone, [], '3.9 s at 4 runnable threads a core count as 0.975 s');
    load = 1;
    live(100);
    assert.equal(gone.length, 1, 'one more beat on a quiet machine: 1.075 s');
    assert.match(gone[0], /stopped answering for 4\.0 s/);
  } finally {
    mock.timers.reset();
  }
});
