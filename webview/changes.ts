// Which parts of the snapshot a message changed, so a frame redraws only the views that read them
// (a live step changes the history and the status, not the heatmap or the per-example bars, and
// redrawing those 20 times a second cost most of a frame). Found by looking, not from a table of
// message types: the reducer replaces a part's object when it changes it, or appends to its array
// in place, so a part changed when its reference, its length or its last element did. Pure: no DOM.

import type { SessionSnapshot } from '../src/protocol';

export type Part = keyof SessionSnapshot;

export class ChangeTracker {
  private seen = new Map<Part, readonly unknown[]>();

  /** The parts of `s` that differ from what the last call saw (every part on the first call). */
  changed(s: SessionSnapshot): Part[] {
    const out: Part[] = [];
    const now = new Map<Part, readonly unknown[]>();
    for (const part of Object.keys(s) as Part[]) {
      const v = s[part];
      const mark = Array.isArray(v) ? [v, v.length, v[v.length - 1], v[0]] : [v];
      now.set(part, mark);
      const before = this.seen.get(part);
      if (!before || before.length !== mark.length || mark.some((x, i) => x !== before[i])) out.push(part);
    }
    for (const part of this.seen.keys()) if (!now.has(part)) out.push(part);
    this.seen = now;
    return out;
  }
}
