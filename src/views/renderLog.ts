// What each view was sent and what it reported drawing (the webview's `rendered` summaries).
// Host tests read this through the extension's test API; it also gives a cheap record of message
// sizes (live updates should stay under about 64 KB so a busy view never falls behind).

import type { HostMessage, RenderSummary } from '../protocol';
import { isLiveUpdate } from '../session/outbox';

export type ViewMode = 'panel' | 'sidebar';

export interface PostStats {
  /** Messages delivered, by type. */
  byType: Record<string, number>;
  total: number;
  /** JSON size in bytes of the largest message, and of the largest live update (the live stream as
   *  the outbox classifies it: steps, details, status…; not snapshots, replies or one-shot results). */
  maxBytes: number;
  maxUpdateBytes: number;
  totalBytes: number;
}

interface Waiter {
  mode: ViewMode;
  pred: (s: RenderSummary) => boolean;
  resolve(s: RenderSummary): void;
}

export class RenderLog {
  private readonly last = new Map<ViewMode, RenderSummary>();
  private readonly stats = new Map<ViewMode, PostStats>();
  private waiters: Waiter[] = [];

  rendered(mode: ViewMode, summary: RenderSummary): void {
    this.last.set(mode, summary);
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.mode === mode && w.pred(summary)) w.resolve(summary);
      else still.push(w);
    }
    this.waiters = still;
  }

  posted(mode: ViewMode, message: HostMessage, bytes: number): void {
    const s = this.postStats(mode);
    s.byType[message.type] = (s.byType[message.type] ?? 0) + 1;
    s.total++;
    s.totalBytes += bytes;
    s.maxBytes = Math.max(s.maxBytes, bytes);
    if (isLiveUpdate(message.type)) s.maxUpdateBytes = Math.max(s.maxUpdateBytes, bytes);
  }

  lastRender(mode: ViewMode): RenderSummary | undefined {
    return this.last.get(mode);
  }

  postStats(mode: ViewMode): PostStats {
    let s = this.stats.get(mode);
    if (!s) {
      s = { byType: {}, total: 0, maxBytes: 0, maxUpdateBytes: 0, totalBytes: 0 };
      this.stats.set(mode, s);
    }
    return s;
  }

  /** Resolves with the first summary (the current one included) satisfying `pred`; rejects after timeoutMs. */
  waitForRender(pred: (s: RenderSummary) => boolean, timeoutMs: number, mode: ViewMode = 'panel'): Promise<RenderSummary> {
    const current = this.last.get(mode);
    if (current && pred(current)) return Promise.resolve(current);
    return new Promise<RenderSummary>((resolve, reject) => {
      const waiter: Waiter = {
        mode,
        pred,
        resolve: (s) => {
          clearTimeout(timer);
          resolve(s);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `The ${mode} did not render the expected state within ${timeoutMs} ms; last summary: ${JSON.stringify(this.last.get(mode) ?? null)}`,
          ),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}
