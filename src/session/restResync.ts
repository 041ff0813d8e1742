// The one rule for live posts that left steps or epochs out (a coalescing drain thins a burst so a
// slow view never builds a backlog): once training rests, the view is sent the whole state, so the
// finished run's history is complete wherever it is shown. Two layers thin — the session's rate
// limiter (every view) and each view's pacer (a view that answers slowly) — and both apply this rule
// through this class, so it has one owner. Pure: no vscode import.

import type { HostMessage, SessionState } from '../protocol';

/** Training rests: nothing more streams until a command (finished, stopped, paused, failed, idle…). */
export function isResting(state: SessionState): boolean {
  return state !== 'running' && state !== 'loading';
}

/** A status message that says training rests. */
export function isRestingStatus(message: HostMessage): boolean {
  return message.type === 'status' && isResting(message.status.state);
}

export class RestResync {
  private thinned = false;

  /** @param resync posts the whole state to the view(s) this instance serves. */
  constructor(private readonly resync: () => void) {}

  /** Some steps or epochs were left out since the view last got the whole state. */
  get pending(): boolean {
    return this.thinned;
  }

  /** The view got the whole state: nothing is missing any more. */
  reset(): void {
    this.thinned = false;
  }

  /** A drain's report: `thinned` when it left steps or epochs out. */
  noteDrain(thinned: boolean): void {
    this.thinned ||= thinned;
  }

  /**
   * Call after posting: when training rests and something was left out, the whole state goes now.
   * (Checked when the resting status is actually posted, not when it is queued: a drain after it
   * may still thin the steps that waited.)
   */
  settle(resting: boolean): void {
    if (!resting || !this.thinned) return;
    this.thinned = false;
    this.resync();
  }
}
