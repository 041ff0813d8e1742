// The bounded series a chart draws from a long history (webview/decimate.ts): how many points,
// which ones (first, lowest, highest, last of every bucket), and that appending gives the same
// series as drawing the whole history afresh.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Decimator, type XY } from '../../../webview/decimate';

interface P {
  step: number;
  loss: number;
}
const pick = (p: P): XY => ({ x: p.step, y: p.loss });
/** A noisy falling curve with a few spikes and dips far from the rest, seeded. */
function history(n: number): P[] {
  let seed = 7;
  const rand = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  return Array.from({ length: n }, (_, i) => ({
    step: i + 1,
    loss: i === 31_337 ? 40 : i === 77_777 ? -3 : 2 * Math.exp(-i / 20_000) + 0.3 * rand(),
  }));
}
const extremes = (ps: { loss: number }[] | XY[]) => {
  const ys = ps.map((p) => ('loss' in p ? p.loss : p.y));
  return [Math.min(...ys), Math.max(...ys)];
};

test('100,000 points are drawn as at most 4 per bucket, keeping the first, the last and both extremes', () => {
  const h = history(100_000);
  const d = new Decimator<P>(400);
  const drawn = d.series(h, pick);
  assert.ok(drawn.length <= 4 * 400, `${drawn.length} points drawn`);
  assert.ok(drawn.length >= 400, `${drawn.length} points drawn: too few to show the curve`);
  assert.equal(d.represented, 100_000);
  assert.equal(d.decimated, true);
  assert.deepEqual(extremes(drawn), [-3, 40]);
  assert.deepEqual(drawn[0], { x: 1, y: h[0].loss });
  assert.deepEqual(drawn[drawn.length - 1], { x: 100_000, y: h[99_999].loss });
  assert.ok(
    drawn.every((p, i) => i === 0 || p.x > drawn[i - 1].x),
    'x increases',
  );
  // Every drawn point is a point of the history (no averaging).
  assert.ok(drawn.every((p) => h[p.x - 1].loss === p.y));
});

test('every bucket keeps its own lowest and highest value, not only the global ones', () => {
  const h = history(20_000);
  const drawn = new Decimator<P>(100).series(h, pick);
  // Buckets are a power of two steps wide: the smallest that makes at most 100 of them.
  const width = 2 ** Math.ceil(Math.log2(20_000 / 100));
  for (let start = 0; start < h.length; start += width) {
    const inBucket = h.slice(start, start + width);
    const shown = drawn.filter((p) => p.x > start && p.x <= start + width);
    assert.deepEqual(extremes(shown), extremes(inBucket), `bucket at step ${start + 1}`);
  }
});

test('appending a few points at a time draws exactly what drawing the whole history does', () => {
  const all = history(30_000);
  const live: P[] = [];
  const d = new Decimator<P>(200);
  let drawn: XY[] = [];
  for (let i = 0; i < all.length; i += 37) {
    live.push(...all.slice(i, i + 37));
    drawn = d.series(live, pick);
  }
  assert.deepEqual(drawn, new Decimator<P>(200).series(all.slice(), pick));
});

test('a short history is drawn whole; a new array, a thinned one or a new key starts afresh', () => {
  const h = history(300);
  const d = new Decimator<P>(400);
  assert.equal(d.series(h, pick).length, 300);
  assert.equal(d.decimated, false);
  // The same array thinned in place (as the reducer does at its cap) is noticed.
  const kept = h.filter((_, i) => i % 2 === 0 || i > 150);
  h.length = 0;
  h.push(...kept);
  assert.equal(d.series(h, pick).length, kept.length);
  // Points pick leaves out (out of range, not positive on a log scale) are neither drawn nor counted.
  const positive = d.series(h, (p) => (p.step > 100 ? pick(p) : null), 'from 101');
  assert.equal(positive[0].x > 100, true);
  assert.equal(d.represented, kept.filter((p) => p.step > 100).length);
  assert.deepEqual(new Decimator<P>().series([], pick), []);
});
