// The built-in engine as a RunSource (src/run/engineSource.ts) over a scripted channel: each worker
// event and the SourceEvent it must become, each control and query and the request the worker must
// get, and when the channel's hang watch is turned on or off, written out by hand from the worker
// protocol (src/protocol/worker.ts) and the source contract (src/run/source.ts). The channel is a
// recording stand-in for the worker thread, not the thing under test.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { WorkerAnswer, WorkerEvent } from '../../../src/protocol';
import { EngineSource } from '../../../src/run/engineSource';
import type { SourceEvent } from '../../../src/run/source';
import type { WorkerChannel } from '../../../src/run/workerChannel';

type Request = { type: string; [k: string]: unknown };

/** Records everything the source does with its channel; the test plays the worker. */
class FakeChannel {
  readonly log: string[] = [];
  readonly posted: Request[] = [];
  readonly requested: { request: Request; timeout?: { ms: number; message: string } }[] = [];
  isGone = false;
  answer: (request: Request) => Promise<WorkerAnswer> = async () => ({ type: 'done' });
  event: (event: WorkerEvent) => void = () => {};
  gone: (reason: string) => void = () => {};
  terminated = 0;
  holds = 0;
  released = 0;
  memoryAnswer: unknown = { heapUsed: 1, heapTotal: 2, external: 3 };

  onEvent(listener: (event: WorkerEvent) => void): void {
    this.event = listener;
  }
  onGone(listener: (reason: string) => void): void {
    this.gone = listener;
  }
  watch(on: boolean): void {
    this.log.push(`watch ${on}`);
  }
  sawStepTaking(seconds: number): void {
    this.log.push(`slow ${seconds}`);
  }
  hold(): () => void {
    this.holds++;
    this.log.push('hold');
    return () => {
      this.released++;
      this.log.push('release');
    };
  }
  post(request: Request): void {
    this.posted.push(request);
  }
  request(request: Request, timeout?: { ms: number; message: string }): Promise<WorkerAnswer> {
    this.requested.push(timeout ? { request, timeout } : { request });
    this.log.push(`request ${request.type}`);
    return this.answer(request);
  }
  async terminate(): Promise<void> {
    this.terminated++;
  }
  memory(): Promise<unknown> {
    return Promise.resolve(this.memoryAnswer);
  }
  async writeHeapSnapshot(file: string): Promise<boolean> {
    this.log.push(`heap ${file}`);
    return true;
  }
  async killForTests(): Promise<void> {
    this.log.push('kill');
  }
}

const START = { file: 'e.gradlens.json', paused: false, settings: { useWasm: false } } as never;

function source(gate?: Promise<void>) {
  const channels: FakeChannel[] = [];
  const events: SourceEvent[] = [];
  const src = new EngineSource({
    open: () => {
      const c = new FakeChannel();
      channels.push(c);
      return c as unknown as WorkerChannel;
    },
    start: START,
    ...(gate ? { gate } : {}),
  });
  return { src, channels, events, listener: (e: SourceEvent) => events.push(e) };
}

async function started() {
  const s = source();
  await s.src.start(s.listener);
  const channel = s.channels[0];
  channel.log.length = 0;
  return { ...s, channel };
}

const point = (step: number, time: number) => ({
  step,
  epoch: 1,
  examplesSeen: step,
  time,
  loss: 1,
  accuracy: 0,
  noiseScale: 1,
  layers: [],
});

test('capabilities: stops at batch start and after the update, steps by batch, per-example tensors', () => {
  const { src } = source();
  assert.deepEqual(src.capabilities, { stopPoints: ['batch-start', 'after-update'], stepUnits: ['batch'], perExample: true });
});

test('start opens one channel after the gate and posts the start request as given', async () => {
  let open: () => void = () => {};
  const gate = new Promise<void>((r) => (open = r));
  const s = source(gate);
  const starting = s.src.start(s.listener);
  // A control sent while the gate holds waits for it and reaches the worker after the start.
  const control = s.src.control({ type: 'pause' });
  await new Promise<void>((r) => setImmediate(r));
  assert.equal(s.channels.length, 0, 'nothing is opened before the gate');
  open();
  await starting;
  await control;
  assert.equal(s.channels.length, 1);
  assert.deepEqual(s.channels[0].posted, [
    { type: 'start', file: 'e.gradlens.json', paused: false, settings: { useWasm: false } },
  ]);
  assert.deepEqual(
    s.channels[0].requested.map((r) => r.request),
    [{ type: 'pause' }],
  );
});

test('a source disposed while its gate holds never opens a channel', async () => {
  let open: () => void = () => {};
  const s = source(new Promise<void>((r) => (open = r)));
  const starting = s.src.start(s.listener);
  s.src.dispose();
  open();
  await starting;
  assert.equal(s.channels.length, 0);
  assert.equal(await s.src.memory(), null);
  assert.equal(await s.src.writeHeapSnapshot('x'), false);
});

test('before start: controls do nothing, queries say nothing is training, nothing is followed', async () => {
  const { src } = source();
  await src.control({ type: 'pause' });
  await assert.rejects(src.weights(), { message: 'nothing is training: start a run (Train or Step) first.' });
  await assert.rejects(src.setWeights([]), { message: 'nothing is training: start a run (Train or Step) first.' });
  await assert.rejects(src.walkThrough(null), { message: 'nothing is training: start a run (Train or Step) first.' });
  src.follow({ layer: 0, kind: 'weight', index: 0 }, 'grad');
  src.setPace(3);
  await src.crashForTests();
  assert.equal(await src.memory(), null);
  assert.equal(await src.writeHeapSnapshot('x'), false);
  src.dispose();
  src.dispose();
});

test('worker events become source events, each in the contract words', async () => {
  const { channel, events } = await started();
  const run = { file: 'x', backend: 'fake' } as never;
  channel.event({ type: 'started', run });
  const detail = { step: 1 } as never;
  channel.event({ type: 'detail', detail });
  const epoch = { epoch: 1 } as never;
  channel.event({ type: 'epoch', epoch });
  channel.event({ type: 'compareProgress', run: 0, runs: 2, examplesSeen: 1, examplesTotal: 4 });
  channel.event({ type: 'pong', id: 1 });
  channel.event({ type: 'reply', id: 1, ok: true, value: { type: 'done' } });
  assert.deepEqual(events, [
    { type: 'loaded', run },
    { type: 'detail', detail },
    { type: 'epoch', epoch },
  ]);
  assert.deepEqual(channel.log, [], 'none of these touches the watch');
});

test('status reports: each state, its progress (a message only when there is one), and the watch', async () => {
  const { channel, events } = await started();
  const nonFinite = { layer: 1, example: 0, where: 'gradient' as const, message: 'NaN' };
  const status = (state: string, extra: object = {}) =>
    channel.event({ type: 'status', status: { state, step: 4, epoch: 2, ...extra } as never });
  status('loading');
  status('running', { message: '' });
  status('paused', { message: 'held' });
  status('paused', { nonFinite });
  status('finished', { message: 'done' });
  status('stopped');
  status('stepping');
  status('failed', { message: 'x' });
  assert.deepEqual(events, [
    { type: 'resumed', progress: { step: 4, epoch: 2 } },
    { type: 'halted', at: null, reason: 'pause', progress: { step: 4, epoch: 2, message: 'held' } },
    { type: 'halted', at: null, reason: 'nonFinite', progress: { step: 4, epoch: 2 }, nonFinite },
    { type: 'finished', progress: { step: 4, epoch: 2, message: 'done' } },
    { type: 'stopped', progress: { step: 4, epoch: 2 } },
  ]);
  // Loading: off; running leaves it; paused, finished, stopped: on; stepping and failed leave it.
  assert.deepEqual(channel.log, ['watch false', 'watch true', 'watch true', 'watch true', 'watch true']);
});

test('steps: each gap between step times is reported to the watch, which then goes on', async () => {
  const { channel, events } = await started();
  const points = [point(1, 0.5), point(2, 0.75), point(3, 1.75)];
  channel.event({ type: 'steps', points });
  channel.event({ type: 'steps', points: [point(4, 2)] });
  assert.deepEqual(channel.log, ['slow 0.5', 'slow 0.25', 'slow 1', 'watch true', 'slow 0.25', 'watch true']);
  assert.deepEqual(events, [
    { type: 'points', points },
    { type: 'points', points: [point(4, 2)] },
  ]);
});

test('errors: a NaN that paused the run is a problem, anything else fails the run; a gone worker fails it too', async () => {
  const { channel, events } = await started();
  const nonFinite = { layer: -1, example: 2, where: 'loss' as const, message: 'NaN loss' };
  channel.event({ type: 'error', message: 'NaN in the loss', nonFinite });
  channel.event({ type: 'error', message: 'bad data' });
  channel.gone('exit code 1');
  assert.deepEqual(events, [
    { type: 'problem', message: 'NaN in the loss', nonFinite },
    { type: 'failed', error: { kind: 'run', message: 'bad data' } },
    {
      type: 'failed',
      error: {
        kind: 'gone',
        message:
          'The training worker stopped unexpectedly (exit code 1). The history so far is kept: run Train to start again, or Reset to clear it.',
      },
    },
  ]);
});

test('controls become requests; a step turns the watch off first; restart and other step units are refused', async () => {
  const { src, channel } = await started();
  await src.control({ type: 'pause' });
  await src.control({ type: 'resume' });
  await src.control({ type: 'step', unit: 'batch' });
  await src.control({ type: 'stop' });
  assert.deepEqual(channel.log, ['request pause', 'request resume', 'watch false', 'request step', 'request stop']);
  assert.deepEqual(
    channel.requested.map((r) => r.request),
    [{ type: 'pause' }, { type: 'resume' }, { type: 'step' }, { type: 'stop' }],
  );
  assert.ok(channel.requested.every((r) => r.timeout === undefined));
  await assert.rejects(src.control({ type: 'restart' }), { message: 'the built-in engine restarts by starting a new run.' });
  await assert.rejects(src.control({ type: 'step', unit: 'layer' }), {
    message: 'the built-in engine steps by batch, not by layer.',
  });
  assert.equal(channel.requested.length, 4, 'nothing sent for them');
  // The worker's refusal reaches the caller.
  channel.answer = () => Promise.reject(new Error('busy'));
  await assert.rejects(src.control({ type: 'pause' }), { message: 'busy' });
  // A gone channel is not asked.
  channel.isGone = true;
  await src.control({ type: 'pause' });
  assert.equal(channel.requested.length, 5);
});

test('follow, pace: what the worker is told (a null selection only changes the mode)', async () => {
  const { src, channel } = await started();
  channel.posted.length = 0;
  const sel = { layer: 1, kind: 'bias' as const, index: 2 };
  src.follow(sel, 'update');
  src.follow(null, 'weight');
  src.setPace(0);
  src.setPace(12.5);
  assert.deepEqual(channel.posted, [
    { type: 'select', selection: sel },
    { type: 'heatmapMode', mode: 'update' },
    { type: 'heatmapMode', mode: 'weight' },
    { type: 'pace', stepsPerSecond: 0 },
    { type: 'pace', stepsPerSecond: 12.5 },
  ]);
});

test('walkThrough holds the watch for a minute-long request and releases it, also when the worker fails', async () => {
  const { src, channel } = await started();
  const result = { examples: ['e'] } as never;
  channel.answer = async () => ({ type: 'walkthrough', result });
  const sel = { layer: 0, kind: 'weight' as const, index: 3 };
  assert.equal(await src.walkThrough(sel), result);
  assert.deepEqual(channel.requested, [
    {
      request: { type: 'walkthrough', selection: sel },
      timeout: { ms: 60_000, message: 'the training worker did not answer the step-through in time.' },
    },
  ]);
  assert.deepEqual(channel.log, ['hold', 'request walkthrough', 'release']);
  channel.answer = () => Promise.reject(new Error('timed out'));
  await assert.rejects(src.walkThrough(null), { message: 'timed out' });
  assert.equal(channel.released, 2);
  channel.answer = async () => ({ type: 'done' });
  await assert.rejects(src.walkThrough(null), { message: 'the worker answered with done instead of walkthrough.' });
  assert.equal(channel.released, 3);
});

test('weights and setWeights: the requests, the answers, and a wrong answer named', async () => {
  const { src, channel } = await started();
  const tensors = [{ name: 'w', shape: [1], data: [1] }] as never;
  channel.answer = async (r) => (r.type === 'getWeights' ? { type: 'weights', tensors } : { type: 'weightsSet' });
  assert.equal(await src.weights(), tensors);
  await src.setWeights(tensors);
  assert.deepEqual(
    channel.requested.map((r) => r.request),
    [{ type: 'getWeights' }, { type: 'setWeights', tensors }],
  );
  assert.ok(channel.requested.every((r) => r.timeout === undefined));
  channel.answer = async () => ({ type: 'weightsSet' });
  await assert.rejects(src.weights(), { message: 'the worker answered with weightsSet instead of weights.' });
  channel.answer = async () => ({ type: 'done' });
  await assert.rejects(src.setWeights(tensors), { message: 'the worker answered with done instead of weightsSet.' });
});

test('memory, heap snapshot and crash go to the channel; dispose terminates it once and forgets it', async () => {
  const { src, channel } = await started();
  assert.deepEqual(await src.memory(), { heapUsed: 1, heapTotal: 2, external: 3 });
  assert.equal(await src.writeHeapSnapshot('/tmp/h'), true);
  await src.crashForTests();
  assert.deepEqual(channel.log, ['heap /tmp/h', 'kill']);
  src.dispose();
  src.dispose();
  assert.equal(channel.terminated, 1);
  assert.equal(await src.memory(), null);
  await assert.rejects(src.weights(), { message: 'nothing is training: start a run (Train or Step) first.' });
  await src.control({ type: 'pause' });
  assert.equal(channel.requested.length, 0);
});
