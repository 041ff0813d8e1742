// The host's Run (src/run/run.ts) driven by a scripted source: every report a source can make and
// every call the host can make, checked against outcomes written out by hand from the source
// contract (src/run/source.ts) and the transition table (src/run/machine.ts): the states the run
// announces, the messages it posts (and which are urgent), what reaches the snapshot, what the
// source is told, and when it is let go. The source here is a stand-in for a producer, not the
// thing under test; it records what it is asked and reports only what a test makes it report.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { HostMessage, SessionSnapshot } from '../../../src/protocol';
import type { NamedTensor } from '../../../src/engine/trainer';
import { Run, RunCancelled, inputsToward } from '../../../src/run/run';
import type { RunControl, RunDescription, RunSource, RunState, SourceEvent, StepRecord } from '../../../src/run/source';

const LIMITS = { historyLength: 100, histogramsPerLayer: 10 };

const RUN: RunDescription = {
  file: 'scripted.gradlens.json',
  spec: { name: 'scripted' } as never,
  layers: [],
  trainSize: 10,
  validationSize: 2,
  numClasses: 3,
  backend: 'scripted',
};

const point = (step: number, epoch = 1) => ({
  step,
  epoch,
  examplesSeen: 4 * step,
  time: step / 10,
  loss: 1 / step,
  accuracy: 0.5,
  noiseScale: 2,
  layers: [],
});

/** A source that does what the test says, when it says. */
class Scripted implements RunSource {
  readonly capabilities = { stopPoints: [], stepUnits: ['batch' as const], perExample: false };
  emit: (event: SourceEvent) => void = () => {
    throw new Error('not started');
  };
  readonly controls: RunControl[] = [];
  readonly followed: [unknown, string][] = [];
  disposed = 0;
  /** How control() answers: resolve, reject with this, or never. */
  controlAnswer: 'ok' | 'never' | { reject: unknown } = 'ok';
  startAnswer: 'ok' | { reject: unknown } = 'ok';
  walkThrough?: RunSource['walkThrough'];
  weights?: RunSource['weights'];
  setWeights?: RunSource['setWeights'];

  start(listener: (event: SourceEvent) => void): Promise<void> {
    this.emit = listener;
    const a = this.startAnswer;
    // A source may reject with anything (the run must word a non-Error too).
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    return a === 'ok' ? Promise.resolve() : Promise.reject(a.reject);
  }
  control(control: RunControl): Promise<void> {
    this.controls.push(control);
    const a = this.controlAnswer;
    if (a === 'ok') return Promise.resolve();
    if (a === 'never') return new Promise(() => {});
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    return Promise.reject(a.reject);
  }
  follow(selection: unknown, mode: string): void {
    this.followed.push([selection, mode]);
  }
  dispose(): void {
    this.disposed++;
  }
}

function host(freeze = false) {
  const posted: { m: HostMessage; urgent: boolean }[] = [];
  const states: RunState[] = [];
  const problems: string[] = [];
  const run = new Run(
    LIMITS,
    {
      post: (m, urgent) => posted.push({ m, urgent }),
      stateChanged: (s) => states.push(s),
      problem: (m) => problems.push(m),
    },
    freeze,
  );
  /** The posts since the last call, as `type:urgent`. */
  let seen = 0;
  const fresh = () => {
    const out = posted.slice(seen);
    seen = posted.length;
    return out;
  };
  return { run, posted, states, problems, fresh };
}

/** Lets the promise callbacks queued so far run (the run reacts to a source's start() rejection in one). */
const settle = () => new Promise<void>((r) => setImmediate(r));

test('inputsToward: the inputs from each state to each reported state, as the transition table gives them', () => {
  assert.deepEqual(inputsToward('running', 'running'), []);
  assert.deepEqual(inputsToward('loading', 'running'), ['resume', 'loaded']);
  assert.deepEqual(inputsToward('paused', 'running'), ['resume']);
  assert.deepEqual(inputsToward('loading', 'paused'), ['pause', 'loaded']);
  assert.deepEqual(inputsToward('stepping', 'paused'), ['stepped']);
  assert.deepEqual(inputsToward('running', 'paused'), ['pause']);
  assert.deepEqual(inputsToward('loading', 'finished'), ['loaded', 'finish']);
  assert.deepEqual(inputsToward('running', 'finished'), ['finish']);
  assert.deepEqual(inputsToward('paused', 'stopped'), ['stop']);
  assert.deepEqual(inputsToward('running', 'failed'), ['fail']);
  assert.deepEqual(inputsToward('running', 'idle'), []);
  assert.deepEqual(inputsToward('running', 'loading'), []);
});

test('start: loading at once with the loading status and a snapshot, both urgent; loaded resolves with the run', async () => {
  const h = host();
  const src = new Scripted();
  assert.equal(h.run.isActive, false, 'no source, nothing active');
  assert.equal(h.run.canQuery, false);
  const started = h.run.start(src, { paused: false, stepOnly: false });
  assert.equal(h.run.state, 'loading');
  assert.deepEqual(h.states, ['loading']);
  assert.equal(h.run.isActive, true);
  assert.equal(h.run.canQuery, false, 'not before it loaded');
  assert.equal(h.run.currentSource, src);
  const posts = h.fresh();
  assert.deepEqual(
    posts.map((p) => `${p.m.type}:${p.urgent}`),
    ['status:true', 'snapshot:true'],
  );
  assert.deepEqual(posts[0].m, { type: 'status', status: { state: 'loading', step: 0, epoch: 0, message: 'Loading data…' } });
  const snap = (posts[1].m as { snapshot: SessionSnapshot }).snapshot;
  assert.deepEqual(snap.status, { state: 'loading', step: 0, epoch: 0, message: 'Loading data…' });
  assert.deepEqual(snap.limits, LIMITS);
  assert.equal(src.controls.length, 0, 'no step asked for');
  src.emit({ type: 'loaded', run: RUN });
  assert.equal(await started, RUN);
  assert.equal(h.run.snapshot.run, RUN);
  assert.equal(h.run.canQuery, true);
  const loaded = h.fresh();
  assert.deepEqual(
    loaded.map((p) => `${p.m.type}:${p.urgent}`),
    ['snapshot:true'],
  );
  assert.equal((loaded[0].m as { snapshot: SessionSnapshot }).snapshot.run, RUN);
  // The machine moves only on the source's own report.
  assert.equal(h.run.state, 'loading');
  src.emit({ type: 'resumed', progress: { step: 0, epoch: 1 } });
  assert.equal(h.run.state, 'running');
  assert.deepEqual(h.states, ['loading', 'running']);
  assert.deepEqual(h.fresh(), [{ m: { type: 'status', status: { state: 'running', step: 0, epoch: 1 } }, urgent: true }]);
});

test('start paused holds the run once loaded; Step with nothing running asks the source for one batch', () => {
  // 'finished' straight from loading is the report that shows what the machine was told to do once
  // loaded: it passes through that state (loaded, then finish).
  const h = host();
  const paused = new Scripted();
  void h.run.start(paused, { paused: true, stepOnly: false });
  paused.emit({ type: 'loaded', run: RUN });
  paused.emit({ type: 'finished' });
  assert.deepEqual(h.states, ['loading', 'paused', 'finished']);

  const h1 = host();
  const running = new Scripted();
  void h1.run.start(running, { paused: false, stepOnly: false });
  running.emit({ type: 'finished' });
  assert.deepEqual(h1.states, ['loading', 'running', 'finished']);

  const h2 = host();
  const stepping = new Scripted();
  void h2.run.start(stepping, { paused: false, stepOnly: true });
  assert.deepEqual(stepping.controls, [{ type: 'step', unit: 'batch' }]);
  stepping.emit({ type: 'loaded', run: RUN });
  stepping.emit({ type: 'finished' });
  assert.deepEqual(h2.states, ['loading', 'stepping', 'finished']);
});

test('a Step with nothing running whose control fails is no unhandled rejection and no problem', async () => {
  const h = host();
  const src = new Scripted();
  src.controlAnswer = { reject: new Error('no') };
  void h.run.start(src, { paused: false, stepOnly: true });
  await settle();
  assert.deepEqual(h.problems, []);
});

test('a second start cancels the first (RunCancelled), lets its source go and ignores what it still says', async () => {
  const h = host();
  const first = new Scripted();
  const firstStarted = h.run.start(first, { paused: false, stepOnly: false });
  first.emit({ type: 'loaded', run: RUN });
  await firstStarted;
  first.emit({ type: 'resumed' });
  first.emit({ type: 'points', points: [point(1), point(2)] });
  h.run.show({ type: 'compare', result: { runs: ['kept'] } as never });
  h.run.show({ type: 'walkthrough', result: { examples: ['dropped'] } as never });
  const second = new Scripted();
  const pending = h.run.start(second, { paused: false, stepOnly: false });
  assert.equal(first.disposed, 1);
  assert.equal(h.run.currentSource, second);
  // The new run starts clean, but a comparison is not part of a run.
  const s = h.run.snapshot;
  assert.deepEqual(s.history, []);
  assert.equal(s.run, null);
  assert.deepEqual(s.compare, { runs: ['kept'] });
  assert.equal(s.walkthrough, null);
  h.fresh();
  first.emit({ type: 'points', points: [point(3)] });
  first.emit({ type: 'failed', error: { kind: 'gone', message: 'old news' } });
  assert.deepEqual(h.fresh(), [], 'the replaced source is not heard');
  assert.equal(h.run.state, 'loading');
  assert.deepEqual(h.problems, []);

  // A start still pending when the next one comes is cancelled.
  const third = new Scripted();
  void h.run.start(third, { paused: false, stepOnly: false });
  await assert.rejects(
    pending,
    (e: unknown) => e instanceof RunCancelled && /replaced or stopped before it started/.test((e as Error).message),
  );
  assert.equal(second.disposed, 1);
});

test('a source whose start rejects fails the run with its message; a rejected start of a replaced source is not heard', async () => {
  const h = host();
  const src = new Scripted();
  src.startAnswer = { reject: new Error('no such file') };
  const started = h.run.start(src, { paused: false, stepOnly: false });
  await assert.rejects(started, { message: 'no such file' });
  assert.equal(h.run.state, 'failed');
  assert.deepEqual(h.problems, ['no such file']);
  assert.deepEqual(h.run.snapshot.status, { state: 'failed', step: 0, epoch: 0, message: 'no such file' });
  // kind 'start' is not 'gone': the source stays with the run until the next start.
  assert.equal(h.run.currentSource, src);
  assert.equal(src.disposed, 0);

  const h2 = host();
  const odd = new Scripted();
  odd.startAnswer = { reject: 'a string, not an Error' };
  await assert.rejects(h2.run.start(odd, { paused: false, stepOnly: false }), { message: 'a string, not an Error' });
  assert.deepEqual(h2.problems, ['a string, not an Error']);

  const h3 = host();
  const late = new Scripted();
  late.startAnswer = { reject: new Error('too late') };
  const lateStarted = h3.run.start(late, { paused: false, stepOnly: false });
  const next = new Scripted();
  void h3.run.start(next, { paused: false, stepOnly: false });
  await assert.rejects(lateStarted, RunCancelled);
  await settle();
  assert.equal(h3.run.state, 'loading');
  assert.deepEqual(h3.problems, []);
});

test('controls: refused without a source or when illegal; forwarded as the source contract words them', async () => {
  const h = host();
  assert.equal(h.run.control('pause'), false, 'no source');
  const src = new Scripted();
  void h.run.start(src, { paused: false, stepOnly: false });
  // While loading the machine remembers a pause: the run holds once the source says it loaded and runs.
  assert.equal(h.run.control('pause'), true);
  assert.deepEqual(src.controls, [{ type: 'pause' }]);
  assert.equal(h.run.state, 'loading');
  src.emit({ type: 'loaded', run: RUN });
  src.emit({ type: 'finished' });
  assert.deepEqual(h.states, ['loading', 'paused', 'finished']);

  const h2 = host();
  const s2 = new Scripted();
  void h2.run.start(s2, { paused: false, stepOnly: false });
  s2.emit({ type: 'loaded', run: RUN });
  s2.emit({ type: 'resumed' });
  assert.equal(h2.run.control('resume'), false, 'resume while running is illegal');
  assert.deepEqual(s2.controls, []);
  // Once loaded, a control waits for the source's report: the state does not move by itself.
  assert.equal(h2.run.control('pause'), true);
  assert.equal(h2.run.state, 'running');
  s2.emit({ type: 'halted', at: null, reason: 'pause' });
  assert.equal(h2.run.state, 'paused');
  assert.equal(h2.run.control('step'), true);
  assert.equal(h2.run.state, 'paused');
  assert.equal(h2.run.control('resume'), true);
  assert.deepEqual(s2.controls, [{ type: 'pause' }, { type: 'step', unit: 'batch' }, { type: 'resume' }]);
  // A control the source refuses is a problem for the user, in the source's words.
  s2.controlAnswer = { reject: new Error('the worker said no') };
  h2.run.control('pause');
  await settle();
  assert.deepEqual(h2.problems, ['the worker said no']);
  s2.controlAnswer = { reject: 42 };
  h2.run.control('pause');
  await settle();
  assert.deepEqual(h2.problems, ['the worker said no', '42']);
});

test('a Step while loading makes the run step once loaded', () => {
  const h = host();
  const src = new Scripted();
  void h.run.start(src, { paused: false, stepOnly: false });
  assert.equal(h.run.control('step'), true);
  assert.equal(h.run.state, 'loading');
  src.emit({ type: 'loaded', run: RUN });
  src.emit({ type: 'finished' });
  assert.deepEqual(h.states, ['loading', 'stepping', 'finished']);
  assert.deepEqual(src.controls, [{ type: 'step', unit: 'batch' }]);
});

test('what the source reports reaches the snapshot and the views: steps, points, ranks, detail, epoch, problems', () => {
  const h = host();
  const src = new Scripted();
  void h.run.start(src, { paused: false, stepOnly: false });
  src.emit({ type: 'loaded', run: RUN });
  src.emit({ type: 'resumed' });
  h.fresh();
  src.emit({ type: 'points', points: [point(1), point(2)] });
  const record: StepRecord = {
    step: 3,
    epoch: 2,
    batchInEpoch: 0,
    batchSize: 4,
    examplesSeen: 12,
    loss: 0.25,
    perExampleLoss: [0.1, 0.2, 0.3, 0.4],
    accuracy: 0.75,
    exampleIndices: [0, 1, 2, 3],
    labels: [0, 1, 2, 0],
    predictions: [0, 1, 2, 1],
    layers: [
      {
        layer: 0,
        gradNorm: 5,
        weightNorm: 7,
        updateRatio: 0.01,
        perExampleNorms: [3, 1, 2],
        cosineToMean: [0.5, 1],
        noiseScale: 4,
        deadFraction: null,
      },
    ],
    noiseScale: 4,
    learningRate: 0.1,
    nonFinite: null,
    time: 1.5,
    ranks: [{ rank: 0, batchSize: 4, loss: 0.25, layers: [{ layer: 0, gradNorm: 5, cosineToMean: 1 }] }],
  };
  src.emit({ type: 'step', record });
  const { ranks: _r, ...plain } = record;
  src.emit({ type: 'step', record: { ...plain, step: 4 } });
  const detail = {
    step: 4,
    epoch: 2,
    heatmap: null,
    perExample: null,
    examples: [],
    imageShape: null,
    histograms: [{ layer: 0, step: 4, edges: [0, 1], counts: [2] }],
  };
  src.emit({ type: 'detail', detail });
  const epoch = {
    epoch: 1,
    step: 2,
    trainLoss: 0.5,
    trainAccuracy: 0.5,
    validationLoss: null,
    validationAccuracy: null,
    seconds: 1,
  };
  src.emit({ type: 'epoch', epoch });
  src.emit({ type: 'problem', message: 'NaN in layers[0]' });
  const posts = h.fresh();
  assert.deepEqual(
    posts.map((p) => `${p.m.type}:${p.urgent}`),
    ['steps:false', 'steps:false', 'ranks:false', 'steps:false', 'detail:false', 'epoch:false'],
  );
  // The step record as the views keep it: min / median / max of 3, 1, 2 and the mean of 0.5 and 1.
  const three = {
    step: 3,
    epoch: 2,
    examplesSeen: 12,
    time: 1.5,
    loss: 0.25,
    accuracy: 0.75,
    noiseScale: 4,
    layers: [
      {
        layer: 0,
        gradNorm: 5,
        weightNorm: 7,
        updateRatio: 0.01,
        perExampleNormMin: 1,
        perExampleNormMedian: 2,
        perExampleNormMax: 3,
        cosineMean: 0.75,
        noiseScale: 4,
        deadFraction: null,
      },
    ],
  };
  assert.deepEqual(posts[1].m, { type: 'steps', points: [three] });
  const ranks = {
    step: 3,
    epoch: 2,
    batchSize: 4,
    learningRate: 0.1,
    mean: [{ layer: 0, gradNorm: 5 }],
    ranks: [{ rank: 0, batchSize: 4, loss: 0.25, layers: [{ layer: 0, gradNorm: 5, cosineToMean: 1 }] }],
    meanOfMeans: null,
  };
  assert.deepEqual(posts[2].m, { type: 'ranks', ranks });
  const s = h.run.snapshot;
  assert.deepEqual(
    s.history.map((p) => p.step),
    [1, 2, 3, 4],
  );
  assert.deepEqual(s.ranks, ranks);
  assert.equal(s.detail, detail);
  assert.deepEqual(s.histograms, detail.histograms);
  assert.deepEqual(s.epochs, [epoch]);
  assert.deepEqual([s.status.state, s.status.step, s.status.epoch], ['running', 4, 2], 'the status follows the newest step');
  assert.deepEqual(h.problems, ['NaN in layers[0]']);
});

test('state reports carry their progress and message; without progress the run keeps its own count', () => {
  const h = host();
  const src = new Scripted();
  void h.run.start(src, { paused: false, stepOnly: false });
  src.emit({ type: 'loaded', run: RUN });
  src.emit({ type: 'resumed' });
  src.emit({ type: 'points', points: [point(1), point(5, 2)] });
  h.fresh();
  const nonFinite = { layer: 0, example: 1, where: 'gradient' as const, message: 'NaN' };
  src.emit({
    type: 'halted',
    at: null,
    reason: 'nonFinite',
    progress: { step: 6, epoch: 2, message: 'held on a NaN' },
    nonFinite,
  });
  assert.deepEqual(h.fresh(), [
    { m: { type: 'status', status: { state: 'paused', step: 6, epoch: 2, message: 'held on a NaN', nonFinite } }, urgent: true },
  ]);
  src.emit({ type: 'resumed', progress: { step: 6, epoch: 2, message: '' } });
  assert.deepEqual(h.fresh(), [{ m: { type: 'status', status: { state: 'running', step: 6, epoch: 2 } }, urgent: true }]);
  src.emit({ type: 'halted', at: null, reason: 'pause' });
  assert.deepEqual(h.fresh(), [{ m: { type: 'status', status: { state: 'paused', step: 6, epoch: 2 } }, urgent: true }]);
  src.emit({ type: 'finished', progress: { step: 9, epoch: 3, message: 'done' } });
  assert.deepEqual(h.run.snapshot.status, { state: 'finished', step: 9, epoch: 3, message: 'done' });
  assert.deepEqual(h.states, ['loading', 'running', 'paused', 'running', 'paused', 'finished']);
  // A finished run that the source then says stopped stays finished (no legal input leads there).
  src.emit({ type: 'stopped' });
  assert.equal(h.run.state, 'finished');

  const h2 = host();
  const s2 = new Scripted();
  void h2.run.start(s2, { paused: false, stepOnly: false });
  s2.emit({ type: 'loaded', run: RUN });
  s2.emit({ type: 'resumed' });
  s2.emit({ type: 'stopped', progress: { step: 2, epoch: 1 } });
  assert.equal(h2.run.state, 'stopped');
  assert.deepEqual(h2.run.snapshot.status, { state: 'stopped', step: 2, epoch: 1 });
});

test('a failure: the start rejects, the status and the problem carry the message; a gone source is let go', async () => {
  const h = host();
  const src = new Scripted();
  const started = h.run.start(src, { paused: false, stepOnly: false });
  src.emit({ type: 'failed', error: { kind: 'gone', message: 'the worker crashed' } });
  await assert.rejects(started, (e: unknown) => !(e instanceof RunCancelled) && (e as Error).message === 'the worker crashed');
  assert.equal(h.run.state, 'failed');
  assert.equal(src.disposed, 1);
  assert.equal(h.run.currentSource, null);
  assert.deepEqual(h.problems, ['the worker crashed']);
  assert.deepEqual(h.run.snapshot.status, { state: 'failed', step: 0, epoch: 0, message: 'the worker crashed' });

  // A run failure ('run') keeps the source (disposed with the run), its history and what it can answer.
  const h2 = host();
  const s2 = new Scripted();
  void h2.run.start(s2, { paused: false, stepOnly: false });
  s2.emit({ type: 'loaded', run: RUN });
  s2.emit({ type: 'resumed' });
  s2.emit({ type: 'points', points: [point(1)] });
  s2.emit({ type: 'failed', error: { kind: 'run', message: 'bad data' } });
  assert.equal(h2.run.currentSource, s2);
  assert.equal(s2.disposed, 0);
  assert.equal(h2.run.canQuery, true);
  assert.equal(h2.run.isActive, false);
  assert.deepEqual(
    h2.run.snapshot.history.map((p) => p.step),
    [1],
  );
  assert.deepEqual(h2.run.snapshot.status, { state: 'failed', step: 1, epoch: 1, message: 'bad data' });

  // A worker that dies after its run finished is no news.
  const h3 = host();
  const s3 = new Scripted();
  void h3.run.start(s3, { paused: false, stepOnly: false });
  s3.emit({ type: 'loaded', run: RUN });
  s3.emit({ type: 'finished', progress: { step: 3, epoch: 1 } });
  h3.fresh();
  s3.emit({ type: 'failed', error: { kind: 'gone', message: 'exit' } });
  assert.equal(h3.run.state, 'finished');
  assert.deepEqual(h3.problems, []);
  assert.deepEqual(h3.fresh(), []);
  assert.equal(s3.disposed, 1, 'the gone producer is let go all the same');
});

test('stop: asks an active source to stop, then lets it go and shows stopped without the old message', async () => {
  const h = host();
  await h.run.stop(0); // nothing to stop
  assert.equal(h.run.state, 'idle');
  const src = new Scripted();
  void h.run.start(src, { paused: false, stepOnly: false });
  src.emit({ type: 'loaded', run: RUN });
  src.emit({ type: 'halted', at: null, reason: 'pause', progress: { step: 4, epoch: 1, message: 'paused here' } });
  await h.run.stop(5);
  assert.deepEqual(src.controls, [{ type: 'stop' }]);
  assert.equal(src.disposed, 1);
  assert.equal(h.run.currentSource, null);
  assert.equal(h.run.state, 'stopped');
  const status = h.run.snapshot.status;
  assert.deepEqual([status.state, status.step, status.epoch, status.message], ['stopped', 4, 1, undefined]);
  assert.equal(h.run.canQuery, false, 'no source to ask');

  // A source that never answers the stop is given the grace time and then let go.
  const h2 = host();
  const mute = new Scripted();
  mute.controlAnswer = 'never';
  void h2.run.start(mute, { paused: false, stepOnly: false });
  mute.emit({ type: 'loaded', run: RUN });
  mute.emit({ type: 'resumed' });
  await h2.run.stop(1);
  assert.equal(mute.disposed, 1);
  assert.equal(h2.run.state, 'stopped');

  // A refused stop is no problem to show: the run is stopped anyway.
  const h3 = host();
  const refusing = new Scripted();
  refusing.controlAnswer = { reject: new Error('gone already') };
  void h3.run.start(refusing, { paused: false, stepOnly: false });
  refusing.emit({ type: 'loaded', run: RUN });
  refusing.emit({ type: 'resumed' });
  await h3.run.stop(5);
  assert.equal(h3.run.state, 'stopped');
  assert.deepEqual(h3.problems, []);
});

test('stop of an ended run sends no control and leaves its state; a stop during loading cancels the start', async () => {
  const h = host();
  const src = new Scripted();
  void h.run.start(src, { paused: false, stepOnly: false });
  src.emit({ type: 'loaded', run: RUN });
  src.emit({ type: 'finished', progress: { step: 7, epoch: 2, message: 'done' } });
  h.fresh();
  await h.run.stop(5);
  assert.deepEqual(src.controls, []);
  assert.equal(src.disposed, 1);
  assert.equal(h.run.state, 'finished');
  assert.deepEqual(h.run.snapshot.status, { state: 'finished', step: 7, epoch: 2, message: 'done' });
  assert.deepEqual(h.fresh(), []);

  const h2 = host();
  const loading = new Scripted();
  const started = h2.run.start(loading, { paused: false, stepOnly: false });
  await h2.run.stop(5);
  await assert.rejects(
    started,
    (e: unknown) => e instanceof RunCancelled && /stopped before it started/.test((e as Error).message),
  );
  assert.equal(h2.run.state, 'stopped');
});

test('a stop whose wait sees the run replaced leaves the new run alone', async () => {
  const h = host();
  const src = new Scripted();
  let answer: () => void = () => {};
  src.control = (c) => {
    src.controls.push(c);
    return new Promise<void>((r) => (answer = r));
  };
  void h.run.start(src, { paused: false, stepOnly: false });
  src.emit({ type: 'loaded', run: RUN });
  src.emit({ type: 'resumed' });
  const stopping = h.run.stop(5);
  const next = new Scripted();
  const nextStarted = h.run.start(next, { paused: false, stepOnly: false });
  answer();
  await stopping;
  assert.equal(h.run.currentSource, next);
  assert.equal(next.disposed, 0);
  assert.equal(h.run.state, 'loading');
  next.emit({ type: 'loaded', run: RUN });
  assert.equal(await nextStarted, RUN, 'the new start was not cancelled');
});

test('reset forgets the run and the comparison, cancels a pending start and lets the source go', async () => {
  const h = host();
  const src = new Scripted();
  const started = h.run.start(src, { paused: false, stepOnly: false });
  h.run.show({ type: 'compare', result: { runs: [] } as never });
  h.run.setLimits({ historyLength: 7, histogramsPerLayer: 3 });
  h.fresh();
  h.run.reset();
  await assert.rejects(
    started,
    (e: unknown) => e instanceof RunCancelled && /reset before it started/.test((e as Error).message),
  );
  assert.equal(src.disposed, 1);
  assert.equal(h.run.state, 'idle');
  assert.deepEqual(h.states, ['loading', 'idle']);
  const posts = h.fresh();
  assert.deepEqual(
    posts.map((p) => `${p.m.type}:${p.urgent}`),
    ['snapshot:true'],
  );
  const s = (posts[0].m as { snapshot: SessionSnapshot }).snapshot;
  assert.equal(s.compare, null);
  assert.deepEqual(s.status, { state: 'idle', step: 0, epoch: 0 });
  assert.deepEqual(s.limits, { historyLength: 7, histogramsPerLayer: 3 }, 'the caps are settings, kept');
});

test('dispose lets the source go and cancels a pending start; the machine is then not active', async () => {
  const h = host();
  const src = new Scripted();
  const started = h.run.start(src, { paused: false, stepOnly: false });
  h.run.dispose();
  await assert.rejects(started, (e: unknown) => e instanceof RunCancelled && (e as Error).message === 'The run ended.');
  assert.equal(src.disposed, 1);
  assert.equal(h.run.state, 'loading', 'the machine is left where it was');
  assert.equal(h.run.isActive, false, 'but with no source nothing is active');
  assert.equal(h.run.control('pause'), false);
  // Nothing to stop either: the stop returns and leaves the state.
  await h.run.stop(5);
  assert.equal(h.run.state, 'loading');
  assert.deepEqual(src.controls, []);
});

test('follow keeps the selection (null keeps the last one), tells the source and echoes a view message, not urgent', () => {
  const h = host();
  const sel = { layer: 1, kind: 'weight' as const, index: 3 };
  h.run.follow(sel, 'update'); // no source yet: kept all the same
  assert.deepEqual(h.run.snapshot.selection, sel);
  const src = new Scripted();
  void h.run.start(src, { paused: false, stepOnly: false });
  assert.equal(h.run.snapshot.selection, null, 'a new run starts with no selection');
  h.run.follow(sel, 'update');
  h.fresh();
  h.run.follow(null, 'weight');
  assert.deepEqual(src.followed, [
    [sel, 'update'],
    [sel, 'weight'],
  ]);
  assert.deepEqual(h.fresh(), [{ m: { type: 'view', selection: sel, heatmapMode: 'weight' }, urgent: false }]);
  assert.deepEqual([h.run.snapshot.selection, h.run.snapshot.heatmapMode], [sel, 'weight']);
  const other = { layer: 0, kind: 'bias' as const, index: 0 };
  h.run.follow(other, 'grad');
  assert.deepEqual(src.followed.at(-1), [other, 'grad']);
  assert.deepEqual(h.run.snapshot.selection, other);
});

test('show keeps one-shot results in the snapshot; only a gradient check is not urgent', () => {
  const h = host();
  const shown = [
    { type: 'gradCheck', result: { passed: true, layers: [] } as never },
    { type: 'compare', result: { runs: [] } as never },
    { type: 'walkthrough', result: { examples: [] } as never },
    { type: 'repeat', result: { series: [] } as never },
    { type: 'pace', stepsPerSecond: 5 },
  ] as const;
  for (const m of shown) h.run.show(m as never);
  assert.deepEqual(
    h.fresh().map((p) => `${p.m.type}:${p.urgent}`),
    ['gradCheck:false', 'compare:true', 'walkthrough:true', 'repeat:true', 'pace:true'],
  );
  const s = h.run.snapshot;
  assert.deepEqual(
    [s.gradCheck, s.compare, s.walkthrough, s.repeat, s.pace],
    [{ passed: true, layers: [] }, { runs: [] }, { examples: [] }, { series: [] }, 5],
  );
});

test('walkThrough, weights and setWeights need a loaded source that has them', async () => {
  const h = host();
  const nothing = /nothing is training: start a run \(Train or Step\)/;
  await assert.rejects(h.run.walkThrough(), nothing);
  await assert.rejects(h.run.weights(), { message: 'nothing is training: start a run (Train or Step) first.' });
  await assert.rejects(h.run.setWeights([]), { message: 'nothing is training: start a run (Train or Step) first.' });
  const src = new Scripted();
  const asked: unknown[] = [];
  const result = { examples: ['one'] } as never;
  src.walkThrough = async (sel) => {
    asked.push(sel);
    return result;
  };
  const tensors: NamedTensor[] = [{ name: 'w', shape: [1], data: [2] } as never];
  const set: NamedTensor[][] = [];
  src.weights = async () => tensors;
  src.setWeights = async (t) => {
    set.push(t);
  };
  void h.run.start(src, { paused: false, stepOnly: false });
  // Not loaded yet: no run to ask about.
  await assert.rejects(h.run.walkThrough(), nothing);
  await assert.rejects(h.run.weights(), nothing);
  await assert.rejects(h.run.setWeights([]), nothing);
  src.emit({ type: 'loaded', run: RUN });
  const sel = { layer: 0, kind: 'weight' as const, index: 1 };
  h.run.follow(sel, 'grad');
  h.fresh();
  assert.equal(await h.run.walkThrough(), result);
  const explicit = { layer: 2, kind: 'bias' as const, index: 0 };
  await h.run.walkThrough(explicit);
  assert.deepEqual(asked, [sel, explicit], "the run's selection unless one is given");
  assert.deepEqual(
    h.fresh().map((p) => `${p.m.type}:${p.urgent}`),
    ['walkthrough:true', 'walkthrough:true'],
  );
  assert.equal(h.run.snapshot.walkthrough, result);
  assert.equal(await h.run.weights(), tensors);
  await h.run.setWeights(tensors);
  assert.deepEqual(set, [tensors]);

  // A source without these features.
  const h2 = host();
  const bare = new Scripted();
  void h2.run.start(bare, { paused: false, stepOnly: false });
  bare.emit({ type: 'loaded', run: RUN });
  await assert.rejects(h2.run.walkThrough(), nothing);
  await assert.rejects(h2.run.weights(), nothing);
  await assert.rejects(h2.run.setWeights([]), nothing);
});

test('a snapshot is a copy later updates leave alone; frozen only when the run was made to freeze', () => {
  const h = host();
  const src = new Scripted();
  void h.run.start(src, { paused: false, stepOnly: false });
  src.emit({ type: 'loaded', run: RUN });
  src.emit({ type: 'points', points: [point(1)] });
  const before = h.run.snapshot;
  assert.equal(Object.isFrozen(before), false);
  src.emit({ type: 'points', points: [point(2)] });
  src.emit({
    type: 'epoch',
    epoch: { epoch: 1, step: 2, trainLoss: 1, trainAccuracy: 0, validationLoss: null, validationAccuracy: null, seconds: 1 },
  });
  src.emit({
    type: 'detail',
    detail: {
      step: 2,
      epoch: 1,
      heatmap: null,
      perExample: null,
      examples: [],
      imageShape: null,
      histograms: [{ layer: 0, step: 2, edges: [0, 1], counts: [1] }],
    },
  });
  h.run.setLimits({ historyLength: 50, histogramsPerLayer: 5 });
  assert.deepEqual(
    before.history.map((p) => p.step),
    [1],
  );
  assert.deepEqual(before.epochs, []);
  assert.deepEqual(before.histograms, []);
  assert.deepEqual(before.limits, LIMITS);
  assert.deepEqual(h.run.snapshot.limits, { historyLength: 50, histogramsPerLayer: 5 });
  // The snapshot's limits are a copy, and so are the limits the run was given.
  const given = { historyLength: 9, histogramsPerLayer: 9 };
  h.run.setLimits(given);
  given.historyLength = 1;
  h.run.snapshot.limits!.histogramsPerLayer = 0;
  assert.deepEqual(h.run.snapshot.limits, { historyLength: 9, histogramsPerLayer: 9 });

  const plain = new Run(LIMITS, { post: () => {}, stateChanged: () => {}, problem: () => {} });
  assert.equal(Object.isFrozen(plain.snapshot), false, 'not frozen unless asked');

  const frozen = host(true);
  const f = new Scripted();
  void frozen.run.start(f, { paused: false, stepOnly: false });
  f.emit({ type: 'loaded', run: RUN });
  f.emit({ type: 'points', points: [point(1)] });
  const s = frozen.run.snapshot;
  assert.equal(Object.isFrozen(s), true);
  assert.equal(Object.isFrozen(s.history), true);
});

test('a stop answered in time leaves no grace timer behind', async () => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const h = host();
  const src = new Scripted();
  void h.run.start(src, { paused: false, stepOnly: false });
  src.emit({ type: 'loaded', run: RUN });
  src.emit({ type: 'resumed' });
  const before = timers();
  await h.run.stop(2_000);
  assert.equal(h.run.state, 'stopped');
  assert.equal(timers(), before, 'a pending grace timer would keep this process alive that long');
});
