// Mutation-oriented tests for src/run/workerChannel.ts (issue 14). The channel is the real one; the
// worker under it is a scripted Transport (it records what it is sent and delivers what the test
// says), and the heartbeat runs on node:test's fake clock. The oracles are the documented contract,
// worked out by hand: with a beat every 100 ms and a 1000 ms timeout, ten beats of silence (exactly
// 1000 ms) are allowed and the eleventh (1100 ms) ends the worker; a late beat counts one interval;
// each beat counts 100 / max(1, load) ms; slow steps add 4 × the slowest step; the exact sentences
// come from the source's documented wording (the user reads them).

import { test, mock } from 'node:test';
import * as assert from 'node:assert/strict';
import type { WorkerRequest } from '../../../src/protocol';
import { WorkerChannel, type ThreadMemory, type Transport } from '../../../src/run/workerChannel';

interface Scripted {
  transport: Transport;
  sent: WorkerRequest[];
  /** Delivers a raw message from the worker to the host. */
  send(raw: unknown): void;
  /** The transport reports the worker gone. */
  end(reason: string): void;
  terminations(): number;
}

function scripted(extra: Partial<Pick<Transport, 'memory' | 'writeHeapSnapshot'>> = {}): Scripted {
  const sent: WorkerRequest[] = [];
  let terminations = 0;
  let toHost: (raw: unknown) => void = () => assert.fail('the channel did not listen to the worker');
  let ended: (reason: string) => void = () => assert.fail('the channel did not listen for the end');
  const transport: Transport = {
    postMessage: (m) => {
      sent.push(m);
    },
    terminate: async () => {
      terminations++;
    },
    onMessage: (l) => {
      toHost = l;
    },
    onEnd: (l) => {
      ended = l;
    },
    ...extra,
  };
  return { transport, sent, send: (raw) => toHost(raw), end: (r) => ended(r), terminations: () => terminations };
}

const PROGRESS = { type: 'compareProgress', run: 1, runs: 3, examplesSeen: 5, examplesTotal: 10 };

function pings(w: Scripted): number {
  return w.sent.filter((m) => m.type === 'ping').length;
}

/** Beats of 100 ms each, as a host that runs normally lives through them. */
function beats(n: number): void {
  for (let i = 0; i < n; i++) mock.timers.tick(100);
}

/** A watched channel (beat 100 ms, timeout 1000 ms) on the fake clock while `body` runs. */
function onFakeClock(body: (w: Scripted, channel: WorkerChannel, gone: string[]) => void, load?: () => number): void {
  mock.timers.enable({ apis: ['setInterval', 'Date'] });
  try {
    const w = scripted();
    const channel = new WorkerChannel(w.transport, { intervalMs: 100, timeoutMs: 1000, ...(load ? { load } : {}) });
    const gone: string[] = [];
    channel.onGone((r) => gone.push(r));
    body(w, channel, gone);
  } finally {
    mock.timers.reset();
  }
}

test('valid events reach the listener; pongs, replies and malformed messages do not; replies settle their request', async () => {
  const w = scripted();
  const channel = new WorkerChannel(w.transport);
  const events: unknown[] = [];
  channel.onEvent((e) => events.push(e));
  w.send(PROGRESS);
  w.send({ type: 'pong', id: 0 });
  w.send({ type: 'no such event' });
  w.send({ ...PROGRESS, run: -1 });
  assert.deepEqual(events, [PROGRESS]);

  const weights = channel.request({ type: 'getWeights' });
  assert.deepEqual(w.sent, [{ type: 'getWeights', id: 1 }]);
  const failing = channel.request({ type: 'getWeights' });
  assert.deepEqual(w.sent[1], { type: 'getWeights', id: 2 });
  w.send({ type: 'reply', id: 2, ok: false, error: 'no weights yet' });
  w.send({ type: 'reply', id: 1, ok: true, value: { type: 'weights', tensors: [] } });
  assert.deepEqual(await weights, { type: 'weights', tensors: [] });
  await assert.rejects(failing, (e: Error) => e.message === 'no weights yet');
  assert.deepEqual(events, [PROGRESS], 'replies are not events');
  assert.equal(channel.isGone, false);
});

test('a request with a timeout rejects with its message when no reply comes', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const w = scripted();
    const channel = new WorkerChannel(w.transport);
    const answer = channel.request({ type: 'getWeights' }, { ms: 500, message: 'no answer in 0.5 s' });
    mock.timers.tick(500);
    await assert.rejects(answer, (e: Error) => e.message === 'no answer in 0.5 s');
  } finally {
    mock.timers.reset();
  }
});

test('a worker that ends is reported once; waiting requests fail with its reason; nothing is sent or heard after', async () => {
  const w = scripted();
  const channel = new WorkerChannel(w.transport);
  const gone: string[] = [];
  const events: unknown[] = [];
  channel.onGone((r) => gone.push(r));
  channel.onEvent((e) => events.push(e));
  const answer = channel.request({ type: 'getWeights' });
  w.end('it exited with code 1');
  assert.equal(channel.isGone, true);
  assert.deepEqual(gone, ['it exited with code 1']);
  await assert.rejects(answer, (e: Error) => e.message === 'The worker stopped unexpectedly (it exited with code 1).');
  w.end('it exited with code 2');
  assert.deepEqual(gone, ['it exited with code 1'], 'told once');

  w.send(PROGRESS);
  w.send({ type: 'reply', id: 1, ok: true, value: { type: 'weights', tensors: [] } });
  assert.deepEqual(events, [], 'a gone worker is not heard');
  channel.post({ type: 'resume', id: 7 });
  await assert.rejects(channel.request({ type: 'getWeights' }), (e: Error) => e.message === 'the worker has ended.');
  assert.deepEqual(w.sent, [{ type: 'getWeights', id: 1 }], 'nothing sent after the end');
  await channel.terminate();
  assert.equal(w.terminations(), 1, 'terminate still ends the transport');
  assert.deepEqual(gone, ['it exited with code 1']);
});

test('terminate rejects what waits with its reason (once), ends the transport every time, and is not a crash', async () => {
  const w = scripted();
  const channel = new WorkerChannel(w.transport);
  const gone: string[] = [];
  channel.onGone((r) => gone.push(r));
  const first = channel.request({ type: 'getWeights' });
  await channel.terminate();
  await assert.rejects(first, (e: Error) => e.message === 'the run ended before the worker answered.');
  assert.equal(channel.isGone, true);
  assert.equal(w.terminations(), 1);
  await channel.terminate('again');
  assert.equal(w.terminations(), 2);
  w.end('it exited with code 0');
  assert.deepEqual(gone, [], 'a terminated worker is not reported gone');

  const w2 = scripted();
  const c2 = new WorkerChannel(w2.transport);
  const waiting = c2.request({ type: 'getWeights' });
  await c2.terminate('the user stopped the run.');
  await assert.rejects(waiting, (e: Error) => e.message === 'the user stopped the run.');
  w2.send({ type: 'reply', id: 1, ok: true, value: { type: 'weights', tensors: [] } });
  assert.equal(c2.isGone, true);
});

test('urgent requests raise the shared interrupt flag before they are sent; others do not', async () => {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const w = scripted();
  const channel = new WorkerChannel(w.transport, undefined, flag);
  const calm: WorkerRequest[] = [
    { type: 'resume', id: 1 },
    { type: 'select', selection: { layer: 0, param: 'W' } } as unknown as WorkerRequest,
    { type: 'pace', stepsPerSecond: 5 },
  ];
  for (const m of calm) {
    channel.post(m);
    assert.equal(Atomics.load(flag, 0), 0, m.type);
  }
  const urgent: WorkerRequest[] = [
    { type: 'pause', id: 1 },
    { type: 'step', id: 2 },
    { type: 'stop', id: 3 },
    { type: 'walkthrough', id: 4, selection: null },
    { type: 'getWeights', id: 5 },
    { type: 'setWeights', id: 6, tensors: [] },
  ];
  for (const m of urgent) {
    Atomics.store(flag, 0, 0);
    channel.post(m);
    assert.equal(Atomics.load(flag, 0), 1, m.type);
  }
  Atomics.store(flag, 0, 0);
  void channel.request({ type: 'pause' }).catch(() => undefined);
  assert.equal(Atomics.load(flag, 0), 1, 'request goes through post');
  assert.deepEqual(
    w.sent.map((m) => m.type),
    ['resume', 'select', 'pace', 'pause', 'step', 'stop', 'walkthrough', 'getWeights', 'setWeights', 'pause'],
  );
  await channel.terminate();
  Atomics.store(flag, 0, 0);
  channel.post({ type: 'pause', id: 9 });
  assert.equal(Atomics.load(flag, 0), 0, 'a gone worker is not interrupted');

  const w2 = scripted();
  const noFlag = new WorkerChannel(w2.transport);
  noFlag.post({ type: 'pause', id: 1 });
  assert.deepEqual(w2.sent, [{ type: 'pause', id: 1 }], 'without a flag an urgent request is still sent');
});

test('memory and heap snapshots: what the transport tells, null / false when it cannot or the worker is gone', async () => {
  const plain = new WorkerChannel(scripted().transport);
  assert.equal(await plain.memory(), null);
  assert.equal(await plain.writeHeapSnapshot('/nowhere'), false);

  const stats: ThreadMemory = { heapUsed: 1, heapTotal: 2, external: 3 };
  let asked = 0;
  const written: string[] = [];
  const w = scripted({
    memory: async () => {
      asked++;
      return stats;
    },
    writeHeapSnapshot: async (file) => {
      written.push(file);
    },
  });
  const channel = new WorkerChannel(w.transport);
  assert.deepEqual(await channel.memory(), { heapUsed: 1, heapTotal: 2, external: 3 });
  assert.equal(await channel.writeHeapSnapshot('/tmp/a.heapsnapshot'), true);
  assert.deepEqual(written, ['/tmp/a.heapsnapshot']);
  await channel.terminate();
  assert.equal(await channel.memory(), null);
  assert.equal(await channel.writeHeapSnapshot('/tmp/b.heapsnapshot'), false);
  assert.equal(asked, 1, 'a gone worker is not asked');
  assert.deepEqual(written, ['/tmp/a.heapsnapshot']);

  const failing = new WorkerChannel(
    scripted({
      memory: () => Promise.reject(new Error('the isolate is gone')),
    }).transport,
  );
  assert.equal(await failing.memory(), null);
});

test('killForTests ends the transport without marking the channel gone (the crash path tells it)', async () => {
  const w = scripted();
  const channel = new WorkerChannel(w.transport);
  const gone: string[] = [];
  channel.onGone((r) => gone.push(r));
  await channel.killForTests();
  assert.equal(w.terminations(), 1);
  assert.equal(channel.isGone, false);
  w.end('it exited with code 1');
  assert.deepEqual(gone, ['it exited with code 1']);
});

test('the heartbeat pings every interval, allows exactly the timeout of silence, ends on the next beat, and stops', () => {
  onFakeClock((w, channel, gone) => {
    beats(3);
    assert.deepEqual(w.sent, [
      { type: 'ping', id: 0 },
      { type: 'ping', id: 0 },
      { type: 'ping', id: 0 },
    ]);
    channel.watch(true);
    beats(10);
    assert.deepEqual(gone, [], '10 beats: exactly 1000 ms of silence is allowed');
    assert.equal(pings(w), 13);
    beats(1);
    assert.deepEqual(gone, ['it stopped answering for 1.1 s and was ended']);
    assert.equal(channel.isGone, true);
    assert.equal(pings(w), 13, 'no ping on the beat that ends the worker');
    assert.equal(w.terminations(), 1);
    beats(20);
    assert.equal(pings(w), 13);
    assert.equal(gone.length, 1);
  });
});

test('a channel without heartbeat options never pings nor ends a silent worker', () => {
  mock.timers.enable({ apis: ['setInterval', 'Date'] });
  try {
    const w = scripted();
    const channel = new WorkerChannel(w.transport);
    channel.watch(true);
    beats(100);
    assert.deepEqual(w.sent, []);
    assert.equal(channel.isGone, false);
  } finally {
    mock.timers.reset();
  }
});

test('any message from the worker, even a malformed one, restarts the count', () => {
  onFakeClock((w, channel, gone) => {
    channel.watch(true);
    for (let i = 0; i < 5; i++) {
      beats(9);
      w.send({ type: 'pong', id: 0 });
      beats(9);
      w.send({ type: 'not in the protocol' });
    }
    assert.deepEqual(gone, []);
    beats(10);
    assert.deepEqual(gone, []);
    beats(1);
    assert.deepEqual(gone, ['it stopped answering for 1.1 s and was ended']);
  });
});

test('watch: turning it on again does not restart the count; off stops it; on after off starts afresh', () => {
  onFakeClock((w, channel, gone) => {
    channel.watch(true);
    beats(6);
    channel.watch(true);
    beats(4);
    assert.deepEqual(gone, []);
    beats(1);
    assert.deepEqual(gone, ['it stopped answering for 1.1 s and was ended'], 'the second watch(true) changed nothing');
  });
  onFakeClock((w, channel, gone) => {
    channel.watch(true);
    beats(6);
    channel.watch(false);
    beats(50);
    assert.deepEqual(gone, [], 'silence off the watch does not count');
    channel.watch(true);
    beats(10);
    assert.deepEqual(gone, [], 'watching again starts from zero');
    beats(1);
    assert.deepEqual(gone, ['it stopped answering for 1.1 s and was ended']);
  });
});

test('holds: counted while any is held, each release counts once, the last release starts the count afresh', () => {
  onFakeClock((w, channel, gone) => {
    channel.watch(true);
    beats(6);
    const a = channel.hold();
    const b = channel.hold();
    beats(50);
    a();
    a();
    beats(50);
    assert.deepEqual(gone, [], 'b still holds (a released twice counts once)');
    b();
    beats(10);
    assert.deepEqual(gone, [], 'the release restarted the count');
    beats(1);
    assert.deepEqual(gone, ['it stopped answering for 1.1 s and was ended'], 'and the time of the last sign of life');
  });
  onFakeClock((w, channel, gone) => {
    channel.watch(true);
    beats(6);
    channel.hold()();
    beats(10);
    assert.deepEqual(gone, [], 'an immediate release restarts the count too');
    beats(1);
    assert.equal(gone.length, 1);
  });
});

test('slow steps: 4 × the slowest finite step on top of the timeout; a faster step or a non-finite one changes nothing', () => {
  onFakeClock((w, channel, gone) => {
    channel.sawStepTaking(Number.POSITIVE_INFINITY);
    channel.sawStepTaking(Number.NaN);
    channel.watch(true);
    beats(11);
    assert.equal(gone.length, 1, 'non-finite step times are ignored');
  });
  onFakeClock((w, channel, gone) => {
    channel.sawStepTaking(0.25);
    channel.sawStepTaking(0.125);
    channel.watch(true);
    beats(20);
    assert.deepEqual(gone, [], '1000 + 4 × 250 = 2000 ms allowed');
    beats(1);
    assert.deepEqual(gone, ['it stopped answering for 2.1 s and was ended']);
  });
  onFakeClock((w, channel, gone) => {
    channel.sawStepTaking(0.25);
    channel.sawStepTaking(0.5);
    channel.watch(true);
    beats(30);
    assert.deepEqual(gone, [], 'a slower step raises the patience: 1000 + 4 × 500 = 3000 ms');
    beats(1);
    assert.equal(gone.length, 1);
  });
});

test('a late beat (up to 3 intervals) counts one interval; a gap of more than 3 intervals restarts the count', () => {
  // Each cycle the clock jumps 150 ms while no timer runs, then 100 ms more: the first beat of
  // the cycle comes 250 ms after the last one (late, counts 100 ms), the catch-up beats right
  // after it (0 ms, count nothing). Eleven cycles: 1100 ms counted.
  onFakeClock((w, channel, gone) => {
    channel.watch(true);
    for (let i = 0; i < 10; i++) {
      mock.timers.setTime(Date.now() + 150);
      mock.timers.tick(100);
    }
    assert.deepEqual(gone, []);
    mock.timers.setTime(Date.now() + 150);
    mock.timers.tick(100);
    assert.equal(gone.length, 1);
  });
  // A gap of exactly 3 intervals is still a late beat, not a held-up host.
  onFakeClock((w, channel, gone) => {
    channel.watch(true);
    for (let i = 0; i < 11; i++) {
      mock.timers.setTime(Date.now() + 200);
      mock.timers.tick(100);
    }
    assert.equal(gone.length, 1);
  });
  // A gap of 301 ms: the host was held up, the count starts again each time.
  onFakeClock((w, channel, gone) => {
    channel.watch(true);
    beats(9);
    for (let i = 0; i < 30; i++) {
      mock.timers.setTime(Date.now() + 201);
      mock.timers.tick(100);
    }
    assert.deepEqual(gone, []);
  });
});

test('on a loaded machine each beat counts 100 / load ms; a load under 1 counts as 1', () => {
  onFakeClock(
    (w, channel, gone) => {
      channel.watch(true);
      beats(20);
      assert.deepEqual(gone, [], '20 beats × 50 ms = 1000 ms');
      beats(1);
      assert.deepEqual(gone, ['it stopped answering for 2.1 s and was ended']);
    },
    () => 2,
  );
  onFakeClock(
    (w, channel, gone) => {
      channel.watch(true);
      beats(10);
      assert.deepEqual(gone, [], 'a load of 0.5 is not a faster clock');
      beats(1);
      assert.equal(gone.length, 1);
    },
    () => 0.5,
  );
});

test('the heartbeat timer does not keep the process alive, and terminate stops it', async () => {
  const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  const w = scripted();
  const channel = new WorkerChannel(w.transport, { intervalMs: 60_000, timeoutMs: 1000 });
  const during = timers();
  // Terminate first: a failed check must not leave a ref'd interval that keeps the test process alive.
  await channel.terminate();
  assert.equal(during, before, 'the interval is unref’d');
  assert.equal(timers(), before);
});
