// What a line chart of a long history is given to draw: a bounded number of points, whatever the
// history's length, that keeps what the eye reads from the curve. The steps are cut into buckets of
// equal width and each bucket gives its first, lowest, highest and last point (M4 aggregation), so
// the drawn line has the same extremes, start and end as the full one, pixel column by pixel column.
// Kept incrementally: appending to the history only revisits the newest bucket, so a frame costs the
// same with 100,000 points as with 1,000; when there are too many buckets, neighbours are merged in
// pairs (the bucket width doubles). Pure: no DOM, no chart.js.

export type XY = { x: number; y: number };

interface Bucket {
  first: XY;
  min: XY;
  max: XY;
  last: XY;
}

/** Reads one point of the source: its x (the step) and its y, or null to leave it out. */
export type Pick<T> = (p: T) => XY | null;

export class Decimator<T> {
  private source: readonly T[] | null = null;
  private seen = 0;
  private seenFirst: T | undefined;
  private seenLast: T | undefined;
  private key = '';
  private x0 = 0;
  private width = 1;
  private buckets: (Bucket | null)[] = [];
  /** Drawn points of buckets[0..cut), and where each bucket's points start in it. */
  private drawn: XY[] = [];
  private starts: number[] = [];
  /** How many source points the drawn series stands for (the ones pick kept). */
  represented = 0;

  /** `maxBuckets`: at most this many buckets (so at most 4 × maxBuckets drawn points). */
  constructor(private readonly maxBuckets = 400) {}

  /** True when the drawn series has fewer points than it stands for. */
  get decimated(): boolean {
    return this.drawn.length < this.represented;
  }

  /**
   * The points to draw for `points` (oldest first, x increasing). `key` names everything else the
   * picked values depend on (a range, a log scale): when it changes, the series is rebuilt.
   */
  series(points: readonly T[], pick: Pick<T>, key = ''): XY[] {
    const appended =
      points === this.source &&
      key === this.key &&
      points.length >= this.seen &&
      (this.seen === 0 || (points[0] === this.seenFirst && points[this.seen - 1] === this.seenLast));
    if (!appended) this.reset(points, key);
    let from = this.buckets.length;
    for (let i = this.seen; i < points.length; i++) {
      const xy = pick(points[i]);
      if (xy === null || !Number.isFinite(xy.y) || !Number.isFinite(xy.x)) continue;
      from = Math.min(from, this.add(xy));
    }
    this.seen = points.length;
    this.seenFirst = points[0];
    this.seenLast = points[points.length - 1];
    this.redraw(from);
    // A copy: chart.js takes ownership of the arrays it is given.
    return this.drawn.slice();
  }

  private reset(points: readonly T[], key: string): void {
    this.source = points;
    this.key = key;
    this.seen = 0;
    this.width = 1;
    this.buckets = [];
    this.drawn = [];
    this.starts = [];
    this.represented = 0;
  }

  /** Adds one point; returns the index of the first bucket whose drawn points changed. */
  private add(p: XY): number {
    if (this.represented === 0) this.x0 = p.x;
    this.represented++;
    let index = Math.floor((p.x - this.x0) / this.width);
    let merged = false;
    while (index >= this.maxBuckets) {
      this.mergePairs();
      merged = true;
      index = Math.floor((p.x - this.x0) / this.width);
    }
    // Points come in x order; one before x0 (never from a history) still lands in the first bucket.
    index = Math.max(0, index);
    while (this.buckets.length <= index) this.buckets.push(null);
    const b = this.buckets[index];
    if (!b) this.buckets[index] = { first: p, min: p, max: p, last: p };
    else {
      if (p.y < b.min.y) b.min = p;
      if (p.y > b.max.y) b.max = p;
      b.last = p;
    }
    return merged ? 0 : index;
  }

  private mergePairs(): void {
    const out: (Bucket | null)[] = [];
    for (let i = 0; i < this.buckets.length; i += 2) {
      const a = this.buckets[i];
      const b = this.buckets[i + 1] ?? null;
      if (!a || !b) out.push(a ?? b);
      else
        out.push({
          first: a.first,
          min: b.min.y < a.min.y ? b.min : a.min,
          max: b.max.y > a.max.y ? b.max : a.max,
          last: b.last,
        });
    }
    this.buckets = out;
    this.width *= 2;
  }

  /** Re-emits the drawn points of buckets[from..]. */
  private redraw(from: number): void {
    if (from >= this.buckets.length && this.starts.length === this.buckets.length) return;
    const cut = Math.min(from, this.starts.length);
    this.drawn.length = cut < this.starts.length ? this.starts[cut] : this.drawn.length;
    this.starts.length = cut;
    for (let i = cut; i < this.buckets.length; i++) {
      this.starts.push(this.drawn.length);
      const b = this.buckets[i];
      if (!b) continue;
      // The four in x order, each point once.
      const four = [b.first, b.min, b.max, b.last].sort((u, v) => u.x - v.x);
      for (let k = 0; k < four.length; k++) if (k === 0 || four[k] !== four[k - 1]) this.drawn.push(four[k]);
    }
  }
}
