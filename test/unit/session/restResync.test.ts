// The rule both thinning layers share (src/session/restResync.ts): the whole state goes once, only
// when training rests after something was left out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isResting, isRestingStatus, RestResync } from '../../../src/session/restResync';
import type { SessionState } from '../../../src/protocol';

test('the whole state is sent once, when training rests after a thinned drain, and not before', () => {
  let resyncs = 0;
  const rest = new RestResync(() => resyncs++);
  rest.settle(true);
  assert.equal(resyncs, 0, 'nothing was left out: no resync at rest');
  rest.noteDrain(true);
  rest.settle(false);
  assert.equal(resyncs, 0, 'still running: the view waits for the end');
  assert.equal(rest.pending, true);
  rest.noteDrain(false);
  assert.equal(rest.pending, true, 'a later drain that thinned nothing does not forget the earlier one');
  rest.settle(true);
  assert.equal(resyncs, 1);
  rest.settle(true);
  assert.equal(resyncs, 1, 'once per thinning, not at every resting status');
});

test('a whole state sent for another reason (a new run, a reset) clears what was pending', () => {
  let resyncs = 0;
  const rest = new RestResync(() => resyncs++);
  rest.noteDrain(true);
  rest.reset();
  rest.settle(true);
  assert.equal(resyncs, 0);
});

test('training rests in every state but running and loading', () => {
  const states: Record<SessionState, boolean> = {
    idle: true,
    loading: false,
    running: false,
    paused: true,
    stopped: true,
    finished: true,
    failed: true,
    // one step at a time: the view can take every step between two (as it always could)
    stepping: true,
  };
  for (const [state, resting] of Object.entries(states)) assert.equal(isResting(state as SessionState), resting, state);
  assert.equal(isRestingStatus({ type: 'steps', points: [] } as never), false, 'only a status can say training rests');
});
