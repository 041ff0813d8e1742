// Coalescing of host → webview messages. The worker reports ~50 times a second; the views are
// updated at most `rate` times a second (setting gradientLens.updateRate, ≤ 20). Between two posts,
// step points are concatenated, epochs appended, and only the newest detail/status/check result/ranks kept,
// so a slow or hidden webview never builds up a backlog. Pure: no vscode import, unit-tested.

import type { Histogram, HostMessage, StepPoint } from '../protocol';
import type { EpochStats } from '../engine/types';
import { isRestingStatus, RestResync } from './restResync';

/**
 * How each host → webview message travels, the one place this is decided:
 * - `stream`: the live training stream, appended (every step point and epoch reaches the view);
 * - `live`: a live update of which only the newest matters (the rest of the live stream);
 * - `result`: a result asked for once (a comparison, a repeat, a gradient check): queued like a live
 *   update, newest kept, but not part of the live stream;
 * - `direct`: never queued, posted at once (a whole state, a reply, a step-through).
 * Every type must have a place. The order of the lines is the order a view applies what was queued
 * (a drain posts the newest-kept messages in it: the ranks before the detail, the status last).
 */
export const DELIVERY = {
  steps: 'stream',
  epoch: 'stream',
  ranks: 'live',
  detail: 'live',
  gradCheck: 'result',
  compare: 'result',
  repeat: 'result',
  view: 'live',
  problems: 'live',
  pace: 'live',
  status: 'live',
  snapshot: 'direct',
  response: 'direct',
  walkthrough: 'direct',
} as const satisfies Record<HostMessage['type'], 'stream' | 'live' | 'result' | 'direct'>;

/** Whether a message is part of the live stream (what the live-update size budget is about). */
export function isLiveUpdate(type: HostMessage['type']): boolean {
  return DELIVERY[type] === 'stream' || DELIVERY[type] === 'live';
}

type NewestKept = { [T in HostMessage['type']]: (typeof DELIVERY)[T] extends 'live' | 'result' ? T : never }[HostMessage['type']];
type Latest = Extract<HostMessage, { type: NewestKept }>;

/** The newest-kept types in the order a view applies them: DELIVERY's own order. */
const LATEST_ORDER = (Object.keys(DELIVERY) as HostMessage['type'][]).filter(
  (type): type is Latest['type'] => DELIVERY[type] === 'live' || DELIVERY[type] === 'result',
);

export class Outbox {
  private points: StepPoint[] = [];
  private epochs: EpochStats[] = [];
  private readonly latest = new Map<Latest['type'], Latest>();
  /** True when the last drain left step points or epochs out (see pointsPerPost, MAX_EPOCHS_PER_POST). */
  lastDrainThinned = false;
  private dropped = false;

  /** What the box holds now: step points, epochs, histograms carried by the queued detail (for tests). */
  get queued(): { points: number; epochs: number; histograms: number } {
    const detail = this.latest.get('detail');
    const histograms = detail?.type === 'detail' ? detail.detail.histograms.length : 0;
    return { points: this.points.length, epochs: this.epochs.length, histograms };
  }

  get isEmpty(): boolean {
    return this.points.length === 0 && this.epochs.length === 0 && this.latest.size === 0;
  }

  add(message: HostMessage): void {
    if (message.type === 'steps') {
      this.points.push(...message.points);
      // A box that is not drained for a while (a view that is behind) stays bounded.
      if (this.points.length > QUEUED_POINTS) {
        this.points = thinPoints(this.points, QUEUED_POINTS / 4);
        this.dropped = true;
      }
    } else if (message.type === 'epoch') {
      this.epochs.push(message.epoch);
      // A small data set ends dozens of epochs a second: a box that waits stays bounded here too.
      if (this.epochs.length > QUEUED_EPOCHS) {
        this.epochs = thinEpochs(this.epochs, QUEUED_EPOCHS / 4);
        this.dropped = true;
      }
    } else if (message.type === 'detail') {
      // Only the newest detail is posted, but the histograms it replaces are carried into it (the
      // histogram strip is a history, not a latest value), as many of the newest as fit the post's
      // budget: trimmed here, so a box that waits for a slow view stays bounded.
      const older = this.latest.get('detail');
      const carried = older?.type === 'detail' ? older.detail.histograms : [];
      const histograms = carried.length ? [...carried, ...message.detail.histograms] : message.detail.histograms;
      this.latest.set('detail', withHistogramBudget({ ...message, detail: { ...message.detail, histograms } }));
    } else if (DELIVERY[message.type] !== 'direct') this.latest.set(message.type as Latest['type'], message as Latest);
  }

  /** Everything queued, in the order a view should apply it, and empties the box. */
  drain(): HostMessage[] {
    const out: HostMessage[] = [];
    const max = pointsPerPost(this.points[this.points.length - 1]?.layers.length ?? 0);
    this.lastDrainThinned = this.dropped || this.points.length > max || this.epochs.length > MAX_EPOCHS_PER_POST;
    if (this.points.length) out.push({ type: 'steps', points: thinPoints(this.points, max) });
    for (const epoch of thinEpochs(this.epochs, MAX_EPOCHS_PER_POST)) out.push({ type: 'epoch', epoch });
    for (const type of LATEST_ORDER) {
      const message = this.latest.get(type);
      if (message) out.push(message);
    }
    this.clear();
    return out;
  }

  clear(): void {
    this.dropped = false;
    this.points = [];
    this.epochs = [];
    this.latest.clear();
  }
}

/**
 * At most this many step points in one post. The WASM engine can take over a thousand steps a
 * second; the live chart does not need them all, and the session's own history (sent whole in
 * every snapshot) keeps every step. A point grows with the layers it carries (about 320 bytes of
 * JSON per layer), so deep models get fewer points a post: see `pointsPerPost`.
 */
export const MAX_POINTS_PER_POST = 120;
/** The JSON budget of the step points in one live post: NOTES say multi-MB posts turn webviews grey. */
export const POINTS_BYTES_PER_POST = 48 * 1024;

/** How many points of `layers` layers fit the per-post budget (at least 16, at most MAX_POINTS_PER_POST). */
export function pointsPerPost(layers: number): number {
  const bytesPerPoint = 160 + 320 * layers;
  return Math.max(16, Math.min(MAX_POINTS_PER_POST, Math.floor(POINTS_BYTES_PER_POST / bytesPerPoint)));
}

/**
 * At most `max` points when there are more: the points are cut into runs of equal length and each
 * run gives its lowest and highest loss (a loss that is not finite counts as the highest), in step
 * order, so a live chart shows every spike and dip; the newest point is always kept.
 */
export function thinPoints(points: StepPoint[], max: number): StepPoint[] {
  return thinBy(points, max, (p) => p.loss);
}

/** thinPoints for any rows, by the value `of` each. */
function thinBy<T>(points: T[], max: number, of: (p: T) => number): T[] {
  if (points.length <= max) return points;
  const runs = Math.max(1, Math.floor((max - 1) / 2));
  const older = points.length - 1;
  const out: T[] = [];
  const high = (p: T): number => (Number.isFinite(of(p)) ? of(p) : Infinity);
  for (let r = 0; r < runs; r++) {
    const from = Math.floor((r * older) / runs);
    const to = Math.floor(((r + 1) * older) / runs);
    if (to <= from) continue;
    let lo = from;
    let hi = from;
    for (let i = from + 1; i < to; i++) {
      if (of(points[i]) < of(points[lo])) lo = i;
      if (high(points[i]) > high(points[hi])) hi = i;
    }
    out.push(points[Math.min(lo, hi)]);
    if (lo !== hi) out.push(points[Math.max(lo, hi)]);
  }
  out.push(points[older]);
  return out;
}

/** Step points a box holds before it thins them (only a box that waits for a slow view gets there). */
export const QUEUED_POINTS = 1024;
/** Epoch rows a box holds before it thins them, the same way. */
export const QUEUED_EPOCHS = 256;

/**
 * At most this many epoch messages in one post: a small data set ends an epoch every few steps,
 * dozens a second, each its own message. The session's snapshot keeps every epoch row.
 */
export const MAX_EPOCHS_PER_POST = 8;

/** At most `max` epochs: the lowest and highest training loss of equal runs, then the newest. */
export function thinEpochs(epochs: EpochStats[], max: number): EpochStats[] {
  return thinBy(epochs, max, (e) => e.trainLoss);
}

/** The JSON budget of one whole-state post (a long history of a deep model is megabytes). */
export const SNAPSHOT_BYTES_PER_POST = 256 * 1024;

/**
 * A snapshot as posts of bounded size: the snapshot with the oldest steps of its history, then the
 * rest as step messages in order (the reducer appends them), so a view ends up with every step
 * without one multi-megabyte message. Other messages are returned as they are.
 */
export function splitSnapshot(message: HostMessage, budget = SNAPSHOT_BYTES_PER_POST): HostMessage[] {
  if (message.type !== 'snapshot') return [message];
  const history = message.snapshot.history;
  if (history.length === 0) return [message];
  // Points of one run have the same fields, so the newest one's size (and a tenth more for longer
  // digits) stands for all. The rest of the state (bounded by its own caps) goes with the first part.
  const perPoint = 1.1 * (JSON.stringify(history[history.length - 1]).length + 1);
  const perMessage = Math.max(16, Math.floor(budget / perPoint));
  const rest = JSON.stringify({ ...message, snapshot: { ...message.snapshot, history: [] } }).length;
  const first = Math.max(16, Math.floor((budget - rest) / perPoint));
  if (history.length <= first) return [message];
  const out: HostMessage[] = [{ type: 'snapshot', snapshot: { ...message.snapshot, history: history.slice(0, first) } }];
  for (let i = first; i < history.length; i += perMessage) out.push({ type: 'steps', points: history.slice(i, i + perMessage) });
  return out;
}

/** Milliseconds between two posts for an update rate in Hz, clamped to 1…20 Hz. */
export function postIntervalMs(rateHz: number): number {
  const rate = Number.isFinite(rateHz) ? Math.min(20, Math.max(1, rateHz)) : 10;
  return 1000 / rate;
}

/** The JSON budget of the histograms in one live post (a burst of steps can queue hundreds). */
export const HISTOGRAM_BYTES_PER_POST = 16 * 1024;

/**
 * Keeps the newest histograms that fit the budget. Older ones of a burst are left out of the live
 * post only: the host's snapshot keeps them (up to histogramsPerLayer), and every snapshot sends them.
 */
function withHistogramBudget(message: Extract<HostMessage, { type: 'detail' }>): Latest {
  const all = message.detail.histograms;
  let bytes = 0;
  let first = all.length;
  while (first > 0) {
    bytes += measureHistogram(all[first - 1]);
    if (bytes > HISTOGRAM_BYTES_PER_POST) break;
    first--;
  }
  return first === 0 ? message : { ...message, detail: { ...message.detail, histograms: all.slice(first) } };
}

/**
 * A message's JSON size in UTF-8 bytes (the render log's record), measured once per message: the
 * panel and the sidebar are posted the same message objects.
 */
export function messageBytes(message: HostMessage): number {
  let bytes = postedBytes.get(message);
  if (bytes === undefined) {
    bytes = Buffer.byteLength(JSON.stringify(message));
    postedBytes.set(message, bytes);
  }
  return bytes;
}
const postedBytes = new WeakMap<HostMessage, number>();

/** Each histogram's JSON size, measured once (a histogram carried from detail to detail is not re-measured). */
const histogramBytes = new WeakMap<Histogram, number>();
function measureHistogram(h: Histogram): number {
  let bytes = histogramBytes.get(h);
  if (bytes === undefined) {
    bytes = JSON.stringify(h).length;
    histogramBytes.set(h, bytes);
  }
  return bytes;
}

/**
 * One view's live updates, paced by the view itself: posted while fewer than `maxInFlight` are
 * unanswered; beyond, coalesced in an Outbox until the view has answered them all. A busy renderer
 * that answers slowly would otherwise leave every update (and the host memory it holds) waiting.
 * A snapshot replaces whatever waits; one-shot answers go after what waits, at once.
 */
export class ViewPacer {
  private inFlight = 0;
  private readonly waiting = new Outbox();
  private readonly rest: RestResync;

  /**
   * @param resync posts the whole state: called once training rests (a resting status has actually
   *   been sent to the view) after steps or epochs were left out (RestResync owns the rule).
   */
  constructor(
    private readonly send: (message: HostMessage) => Promise<unknown>,
    private readonly maxInFlight = 16,
    resync: () => void = () => undefined,
  ) {
    this.rest = new RestResync(resync);
  }

  /** Posts not answered yet (for the bench and tests). */
  get unanswered(): number {
    return this.inFlight;
  }

  /** Some steps or epochs were left out while the view was behind, and the whole state has not followed yet. */
  get thinned(): boolean {
    return this.rest.pending;
  }

  post(message: HostMessage): void {
    if (message.type === 'snapshot') {
      this.waiting.clear();
      this.rest.reset();
      return this.sendNow(message);
    }
    const coalesced = DELIVERY[message.type] !== 'direct';
    if (coalesced && (this.inFlight >= this.maxInFlight || !this.waiting.isEmpty)) return this.waiting.add(message);
    if (!coalesced) this.flushWaiting();
    this.sendNow(message);
    this.rest.settle(isRestingStatus(message));
  }

  private sendNow(message: HostMessage): void {
    this.inFlight++;
    void this.send(message)
      .catch(() => undefined)
      .finally(() => {
        this.inFlight--;
        if (this.inFlight === 0) this.flushWaiting();
      });
  }

  private flushWaiting(): void {
    if (this.waiting.isEmpty) return;
    const out = this.waiting.drain();
    this.rest.noteDrain(this.waiting.lastDrainThinned);
    for (const m of out) this.sendNow(m);
    this.rest.settle(out.some(isRestingStatus));
  }
}
