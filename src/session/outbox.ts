// Coalescing of host → webview messages. The worker reports ~50 times a second; the views are
// updated at most `rate` times a second (setting gradientLens.updateRate, ≤ 20). Between two posts,
// step points are concatenated, epochs appended, and only the newest detail/status/check result/ranks kept,
// so a slow or hidden webview never builds up a backlog. Pure: no vscode import, unit-tested.

import type { CompareResult, HostMessage, RanksStep, StepDetail, SessionStatus, StepPoint } from '../protocol';
import type { EpochStats, GradCheckResult } from '../engine/types';

type ViewMessage = Extract<HostMessage, { type: 'view' }>;

export class Outbox {
  private points: StepPoint[] = [];
  private epochs: EpochStats[] = [];
  private detail: StepDetail | null = null;
  private status: SessionStatus | null = null;
  private gradCheck: GradCheckResult | null = null;
  private compare: CompareResult | null = null;
  private view: ViewMessage | null = null;
  private ranks: RanksStep | null = null;
  /** True when the last drain left step points out (see pointsPerPost). */
  lastDrainThinned = false;

  get isEmpty(): boolean {
    return (
      this.points.length === 0 &&
      this.epochs.length === 0 &&
      !this.detail &&
      !this.status &&
      !this.gradCheck &&
      !this.compare &&
      !this.view &&
      !this.ranks
    );
  }

  add(message: HostMessage): void {
    switch (message.type) {
      case 'steps':
        this.points.push(...message.points);
        break;
      case 'epoch':
        this.epochs.push(message.epoch);
        break;
      case 'detail':
        this.detail = message.detail;
        break;
      case 'status':
        this.status = message.status;
        break;
      case 'gradCheck':
        this.gradCheck = message.result;
        break;
      case 'compare':
        this.compare = message.result;
        break;
      case 'view':
        this.view = message;
        break;
      case 'ranks':
        this.ranks = message.ranks;
        break;
      default:
        break; // snapshots and responses are never queued: they are posted at once
    }
  }

  /** Everything queued, in the order a view should apply it, and empties the box. */
  drain(): HostMessage[] {
    const out: HostMessage[] = [];
    const max = pointsPerPost(this.points[this.points.length - 1]?.layers.length ?? 0);
    this.lastDrainThinned = this.points.length > max;
    if (this.points.length) out.push({ type: 'steps', points: thinPoints(this.points, max) });
    if (this.ranks) out.push({ type: 'ranks', ranks: this.ranks });
    for (const epoch of this.epochs) out.push({ type: 'epoch', epoch });
    if (this.detail) out.push({ type: 'detail', detail: this.detail });
    if (this.gradCheck) out.push({ type: 'gradCheck', result: this.gradCheck });
    if (this.compare) out.push({ type: 'compare', result: this.compare });
    if (this.view) out.push(this.view);
    if (this.status) out.push({ type: 'status', status: this.status });
    this.clear();
    return out;
  }

  clear(): void {
    this.points = [];
    this.epochs = [];
    this.detail = null;
    this.status = null;
    this.gradCheck = null;
    this.compare = null;
    this.view = null;
    this.ranks = null;
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
