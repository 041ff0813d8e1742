// Memory over a long run, as the host bench reports it: samples of several series (MB) at times (s),
// and each series' least-squares slope over the second half of the run, in MB per minute. The
// second half because the first includes warm-up (V8 sizing its heaps, the WASM compile, the
// history filling to its cap); a bounded process is flat there, a leak is not. Pure: unit-tested.

export interface MemoryPoint {
  seconds: number;
  /** MB per series; null where the series could not be read at that time. */
  values: Record<string, number | null>;
}

export interface SeriesSummary {
  start: number | null;
  end: number | null;
  min: number | null;
  max: number | null;
  /** Least-squares slope over the samples at or after half the run's length, MB per minute. */
  slopeSecondHalfMbPerMin: number | null;
  /** How many samples the slope is fitted to. */
  secondHalfSamples: number;
}

/** The least-squares slope of y over x (null with fewer than 2 distinct x). */
export function slope(points: readonly { x: number; y: number }[]): number | null {
  if (points.length < 2) return null;
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.x - mx) ** 2;
    sxy += (p.x - mx) * (p.y - my);
  }
  return sxx > 0 ? sxy / sxx : null;
}

const round = (x: number | null, digits = 2): number | null => (x === null ? null : Math.round(x * 10 ** digits) / 10 ** digits);

/** Every series' start, end, range and second-half slope (MB/min); a series never read is left out. */
export function summarize(points: readonly MemoryPoint[]): Record<string, SeriesSummary> {
  const names = [...new Set(points.flatMap((p) => Object.keys(p.values)))];
  const last = points.length ? points[points.length - 1].seconds : 0;
  const first = points.length ? points[0].seconds : 0;
  const half = first + (last - first) / 2;
  const out: Record<string, SeriesSummary> = {};
  for (const name of names) {
    const known = points.flatMap((p) => {
      const y = p.values[name];
      return typeof y === 'number' && Number.isFinite(y) ? [{ x: p.seconds / 60, y, seconds: p.seconds }] : [];
    });
    if (known.length === 0) continue; // never read (e.g. not asked for)
    const late = known.filter((p) => p.seconds >= half);
    const ys = known.map((p) => p.y);
    out[name] = {
      start: known[0]?.y ?? null,
      end: known[known.length - 1]?.y ?? null,
      min: ys.length ? Math.min(...ys) : null,
      max: ys.length ? Math.max(...ys) : null,
      slopeSecondHalfMbPerMin: round(slope(late), 3),
      secondHalfSamples: late.length,
    };
  }
  return out;
}

/** A few lines for a person: each series' start → end and its second-half slope. */
export function describe(summary: Record<string, SeriesSummary>): string {
  return Object.entries(summary)
    .map(([name, s]) => {
      const slopeText = s.slopeSecondHalfMbPerMin === null ? 'n/a' : `${s.slopeSecondHalfMbPerMin.toFixed(3)} MB/min`;
      return `${name.padEnd(22)} ${String(s.start ?? '–').padStart(7)} → ${String(s.end ?? '–').padStart(7)} MB   second half ${slopeText} (${s.secondHalfSamples} samples)`;
    })
    .join('\n');
}
