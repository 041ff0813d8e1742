// The run's one transition table: every legal path a run takes, and the inputs it refuses.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { RunMachine, transition, isActive, type RunInput } from '../../../src/run/machine';
import type { RunState } from '../../../src/run/source';

const STATES: RunState[] = ['idle', 'loading', 'running', 'paused', 'stepping', 'finished', 'failed', 'stopped'];
const INPUTS: RunInput[] = ['start', 'loaded', 'pause', 'resume', 'step', 'stepped', 'finish', 'fail', 'stop', 'reset'];

test('a run loads, trains, pauses, steps one batch, resumes and finishes', () => {
  const m = new RunMachine();
  const seen: string[] = [];
  m.onTransition((t) => seen.push(`${t.from}→${t.to}`));
  for (const input of ['start', 'loaded', 'pause', 'step', 'stepped', 'resume', 'finish'] as RunInput[])
    assert.ok(m.send(input), input);
  assert.deepEqual(seen, [
    'idle→loading',
    'loading→running',
    'running→paused',
    'paused→stepping',
    'stepping→paused',
    'paused→running',
    'running→finished',
  ]);
});

test('controls while loading decide how the run goes on once loaded', () => {
  const paused = new RunMachine();
  paused.send('start', { paused: true });
  paused.send('loaded');
  assert.equal(paused.state, 'paused');
  const resumed = new RunMachine();
  resumed.send('start', { paused: true });
  resumed.send('resume');
  assert.equal(resumed.state, 'loading');
  resumed.send('loaded');
  assert.equal(resumed.state, 'running');
  const stepped = new RunMachine();
  stepped.send('start');
  stepped.send('step');
  stepped.send('loaded');
  assert.equal(stepped.state, 'stepping');
  const stopped = new RunMachine();
  stopped.send('start');
  stopped.send('stop');
  assert.equal(stopped.state, 'stopped');
  assert.equal(stopped.send('loaded'), false, 'a run stopped while loading never trains');
});

test('illegal inputs are refused and change nothing', () => {
  const m = new RunMachine();
  assert.equal(m.send('pause'), false);
  assert.equal(m.send('finish'), false);
  assert.equal(m.state, 'idle');
  m.send('start');
  m.send('loaded');
  m.send('finish');
  for (const input of ['pause', 'resume', 'step', 'stop', 'fail', 'loaded'] as RunInput[])
    assert.equal(m.send(input), false, `${input} after finishing`);
  assert.equal(m.state, 'finished');
  assert.deepEqual(m.refused.slice(0, 2), [
    { state: 'idle', input: 'pause' },
    { state: 'idle', input: 'finish' },
  ]);
});

test('the table: every ended run can start again or reset, and only loading/running/paused/stepping are active', () => {
  for (const s of STATES) {
    assert.equal(transition(s, 'reset'), 'idle', `${s} resets`);
    assert.equal(transition(s, 'start'), 'loading', `${s} starts again`);
    assert.equal(isActive(s), ['loading', 'running', 'paused', 'stepping'].includes(s));
    for (const input of INPUTS) {
      const to = transition(s, input);
      if (!isActive(s) && !['start', 'reset'].includes(input)) assert.equal(to, undefined, `${s} --${input}-> ${to}`);
    }
  }
});
