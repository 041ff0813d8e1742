// Coalescing of host → webview messages. The worker reports ~50 times a second; the views are
// updated at most `rate` times a second (setting gradientLens.updateRate, ≤ 20). Between two posts,
// step points are concatenated, epochs appended, and only the newest detail/status/check result/ranks kept,
// so a slow or hidden webview never builds up a backlog. Pure: no vscode import, unit-tested.

import type { Histogram, HostMessage, StepPoint } from '../protocol';
import type { EpochStats } from '../engine/types';

/**
 * How each host → webview message travels, the one place this is decided:
 * - `stream`: the live training stream, appended (every step point and epoch reaches the view);
 * - `live`: a live update of which only the newest matters (the rest of the live stream);
 * - `result`: a result asked for once (a comparison, a repeat, a gradient check): queued like a live
 *   update, newest kept, but not part of the live stream;
 * - `direct`: never queued, posted at once (a whole state, a reply, a step-through).
 * Every type must have a place.
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

/** The order in which a view applies the newest-kept messages (the status last). */
const LATEST_RANK: Record<Latest['type'], number> = {
  ranks: -1,
  detail: 0,
  gradCheck: 1,
  compare: 2,
  repeat: 3,
  view: 4,
  problems: 5,
  pace: 6,
  status: 7,
};
const LATEST_ORDER = (Object.keys(LATEST_RANK) as Latest['type'][]).sort((a, b) => LATEST_RANK[a] - LATEST_RANK[b]);

export class Outbox {
  private points: StepPoint[] = [];
  private epochs: EpochStats[] = [];
  private readonly latest = new Map<Latest['type'], Latest>();
  /** True when the last drain left step points out (see pointsPerPost). */
  lastDrainThinned = false;

  get isEmpty(): boolean {
    return this.points.length === 0 && this.epochs.length === 0 && this.latest.size === 0;
  }

  add(message: HostMessage): void {
    if (message.type === 'steps') this.points.push(...message.points);
    else if (message.type === 'epoch') this.epochs.push(message.epoch);
    else if (message.type === 'detail') {
      // Only the newest detail is posted, but every histogram it replaces is carried into it: the
      // histogram strip is a history, not a latest value.
      for (const h of message.detail.histograms) measureHistogram(h);
      const older = this.latest.get('detail');
      const carried = older?.type === 'detail' ? older.detail.histograms : [];
      const histograms = carried.length ? [...carried, ...message.detail.histograms] : message.detail.histograms;
      this.latest.set('detail', { ...message, detail: { ...message.detail, histograms } });
    } else if (DELIVERY[message.type] !== 'direct') this.latest.set(message.type as Latest['type'], message as Latest);
  }

  /** Everything queued, in the order a view should apply it, and empties the box. */
  drain(): HostMessage[] {
    const out: HostMessage[] = [];
    const max = pointsPerPost(this.points[this.points.length - 1]?.layers.length ?? 0);
    this.lastDrainThinned = this.points.length > max;
    if (this.points.length) out.push({ type: 'steps', points: thinPoints(this.points, max) });
    for (const epoch of this.epochs) out.push({ type: 'epoch', epoch });
    for (const type of LATEST_ORDER) {
      const message = this.latest.get(type);
      if (message?.type === 'detail') out.push(withHistogramBudget(message));
      else if (message) out.push(message);
    }
    this.clear();
    return out;
  }

  clear(): void {
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

/** Evenly spaced points, always keeping the newest, when there are more than `max`. */
export function thinPoints(points: StepPoint[], max: number): StepPoint[] {
  if (points.length <= max) return points;
  const out: StepPoint[] = [];
  const stride = points.length / max;
  for (let i = 0; i < max - 1; i++) out.push(points[Math.floor(i * stride)]);
  out.push(points[points.length - 1]);
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
function withHistogramBudget(message: Extract<HostMessage, { type: 'detail' }>): HostMessage {
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

/** Each histogram's JSON size, measured once when its detail is queued (a drain only adds them up). */
const histogramBytes = new WeakMap<Histogram, number>();
function measureHistogram(h: Histogram): number {
  let bytes = histogramBytes.get(h);
  if (bytes === undefined) {
    bytes = JSON.stringify(h).length;
    histogramBytes.set(h, bytes);
  }
  return bytes;
}
