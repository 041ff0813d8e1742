// The lifecycle of one run, as one transition table. Both ends of a run use it: the training loop
// in the worker (which decides when to train) and the host's Run (which decides which controls the
// views may send and which state they show). Nothing else assigns a RunState.
//
// Pure: no vscode, no Node APIs.

import type { RunState } from './source';

/** What can happen to a run. Controls come from the user; the rest is reported by the source. */
export type RunInput =
  /** A new run begins: its data is being loaded and its network built. */
  | 'start'
  /** The network is built; the run goes on as the controls received while loading asked. */
  | 'loaded'
  | 'pause'
  | 'resume'
  /** One more batch, then hold (pauses first when running). */
  | 'step'
  /** The batch a step asked for is done. */
  | 'stepped'
  | 'finish'
  | 'fail'
  | 'stop'
  /** Forget the run altogether. */
  | 'reset';

/**
 * The one transition table. A missing entry is an illegal input: `send` refuses it and the state
 * stays. While loading, pause / resume / step do not change the state yet: they set what happens
 * once loaded (see `afterLoad`).
 */
const TABLE: { readonly [S in RunState]: { readonly [I in RunInput]?: RunState } } = {
  idle: { start: 'loading', reset: 'idle' },
  loading: {
    loaded: 'running',
    pause: 'loading',
    resume: 'loading',
    step: 'loading',
    fail: 'failed',
    stop: 'stopped',
    reset: 'idle',
    start: 'loading',
  },
  running: {
    pause: 'paused',
    step: 'stepping',
    finish: 'finished',
    fail: 'failed',
    stop: 'stopped',
    reset: 'idle',
    start: 'loading',
  },
  paused: {
    resume: 'running',
    step: 'stepping',
    pause: 'paused',
    finish: 'finished',
    fail: 'failed',
    stop: 'stopped',
    reset: 'idle',
    start: 'loading',
  },
  stepping: {
    stepped: 'paused',
    pause: 'stepping',
    finish: 'finished',
    fail: 'failed',
    stop: 'stopped',
    reset: 'idle',
    start: 'loading',
  },
  finished: { start: 'loading', reset: 'idle' },
  failed: { start: 'loading', reset: 'idle' },
  stopped: { start: 'loading', reset: 'idle' },
};

/** What a run that is loading does once loaded. */
export type AfterLoad = 'run' | 'pause' | 'step';

/** States in which a source is loading, training or holding a run (it can be paused, stepped, stopped). */
export const ACTIVE_STATES: readonly RunState[] = ['loading', 'running', 'paused', 'stepping'];
/** States a run ends in. */
export const ENDED_STATES: readonly RunState[] = ['finished', 'failed', 'stopped'];

export function isActive(state: RunState): boolean {
  return ACTIVE_STATES.includes(state);
}

/** The state `input` leads to from `state`, or undefined when the input is illegal there. */
export function transition(state: RunState, input: RunInput): RunState | undefined {
  return TABLE[state][input];
}

export interface Transition {
  from: RunState;
  to: RunState;
  input: RunInput;
}

export class RunMachine {
  private current: RunState;
  private after: AfterLoad = 'run';
  private readonly listeners: ((t: Transition) => void)[] = [];
  /** Inputs refused since the machine was made, newest last (bounded): for tests and the log. */
  readonly refused: { state: RunState; input: RunInput }[] = [];

  constructor(initial: RunState = 'idle') {
    this.current = initial;
  }

  get state(): RunState {
    return this.current;
  }

  /** What happens once loaded (meaningful while `state` is loading). */
  get afterLoad(): AfterLoad {
    return this.after;
  }

  get isActive(): boolean {
    return isActive(this.current);
  }

  can(input: RunInput): boolean {
    return transition(this.current, input) !== undefined;
  }

  /**
   * Applies `input`. Returns false (and changes nothing) when it is illegal in the current state:
   * this is the one place illegal transitions are rejected. Listeners hear only real changes.
   * `start` takes whether the run should hold once loaded.
   */
  send(input: RunInput, opts: { paused?: boolean } = {}): boolean {
    const from = this.current;
    const to = transition(from, input);
    if (to === undefined) {
      this.refused.push({ state: from, input });
      if (this.refused.length > 50) this.refused.shift();
      return false;
    }
    if (input === 'start') this.after = opts.paused ? 'pause' : 'run';
    if (from === 'loading') {
      if (input === 'pause') this.after = 'pause';
      else if (input === 'resume') this.after = 'run';
      else if (input === 'step') this.after = 'step';
    }
    // A run that was asked to hold while loading enters paused (or stepping) rather than running.
    const next = input === 'loaded' ? (this.after === 'run' ? 'running' : this.after === 'step' ? 'stepping' : 'paused') : to;
    this.current = next;
    if (next !== from) for (const l of this.listeners.slice()) l({ from, to: next, input });
    return true;
  }

  onTransition(listener: (t: Transition) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }
}
