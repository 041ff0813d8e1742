// The run machine's questions (src/run/machine.ts): `can`, `isActive` and `afterLoad`, answered
// for each state of one run and written out by hand from the transition table's comments, not
// read back from the table.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { RunMachine, type RunInput } from '../../../src/run/machine';

test('can: the controls a run accepts in each state of one run, and it changes nothing', () => {
  const m = new RunMachine();
  assert.deepEqual([m.can('start'), m.can('pause'), m.can('loaded')], [true, false, false], 'idle');
  m.send('start');
  assert.deepEqual([m.can('pause'), m.can('resume'), m.can('step'), m.can('stepped')], [true, true, true, false], 'loading');
  assert.equal(m.state, 'loading', 'asking does not move the run');
  m.send('loaded');
  assert.deepEqual([m.can('pause'), m.can('resume'), m.can('stepped'), m.can('finish')], [true, false, false, true], 'running');
  m.send('finish');
  assert.deepEqual([m.can('pause'), m.can('stop'), m.can('start'), m.can('reset')], [false, false, true, true], 'finished');
  assert.equal(m.state, 'finished');
  assert.deepEqual(m.refused, [], 'a question is not a refused input');
});

test('isActive: true from start to the end of the run, false before and after', () => {
  const m = new RunMachine();
  const seen: boolean[] = [m.isActive];
  for (const input of ['start', 'loaded', 'pause', 'step', 'stepped', 'stop'] as RunInput[]) {
    m.send(input);
    seen.push(m.isActive);
  }
  //                         idle   loading running paused stepping paused stopped
  assert.deepEqual(seen, [false, true, true, true, true, true, false]);
  assert.equal(new RunMachine('failed').isActive, false);
  assert.equal(new RunMachine('running').isActive, true, 'the initial state is the one given');
});

test('afterLoad: what a loading run will do, set by the start and by the controls sent while loading', () => {
  const m = new RunMachine();
  assert.equal(m.afterLoad, 'run');
  m.send('start', { paused: true });
  assert.equal(m.afterLoad, 'pause');
  m.send('step');
  assert.equal(m.afterLoad, 'step');
  m.send('resume');
  assert.equal(m.afterLoad, 'run');
  m.send('pause');
  assert.equal(m.afterLoad, 'pause');
  m.send('loaded');
  assert.equal(m.state, 'paused');
  m.send('resume');
  assert.equal(m.state, 'running');
  assert.equal(m.afterLoad, 'pause', 'a resume outside loading leaves it as the load left it');
  m.send('step');
  assert.equal(m.state, 'stepping');
  assert.equal(m.afterLoad, 'pause', 'and so does a step');
  m.send('start');
  assert.equal(m.afterLoad, 'run', 'a new start without paused runs once loaded');
});
