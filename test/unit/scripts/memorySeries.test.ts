// The host bench's memory summary: a series' slope is fitted to the second half of the run only
// (the first half includes warm-up), in MB per minute, and a series that could not be read is skipped.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { slope, summarize } from '../../../bench/memorySeries';

test('the slope is fitted to the second half: a warm-up then flat series is flat, a leak is its rate', () => {
  // 10 minutes, a sample every 30 s: rss climbs 100 MB in the first 2 minutes then stays; leak grows 3 MB/min throughout.
  const points = Array.from({ length: 21 }, (_, i) => {
    const seconds = i * 30;
    return {
      seconds,
      values: { rss: 200 + Math.min(100, seconds / 1.2), leak: 50 + (3 * seconds) / 60, worker: i % 2 ? null : 20 },
    };
  });
  const s = summarize(points);
  assert.equal(s.rss.slopeSecondHalfMbPerMin, 0);
  assert.equal(s.rss.start, 200);
  assert.equal(s.rss.end, 300);
  assert.equal(s.leak.slopeSecondHalfMbPerMin, 3);
  assert.equal(s.leak.secondHalfSamples, 11);
  assert.equal(s.worker.slopeSecondHalfMbPerMin, 0);
  assert.equal(s.worker.secondHalfSamples, 6, 'the unread samples are left out');
  assert.ok(!('unread' in s), 'a series never read is left out');
});

test('a slope needs two distinct times', () => {
  assert.equal(slope([]), null);
  assert.equal(slope([{ x: 1, y: 2 }]), null);
  assert.equal(
    slope([
      { x: 1, y: 2 },
      { x: 1, y: 5 },
    ]),
    null,
  );
  assert.equal(
    slope([
      { x: 0, y: 1 },
      { x: 2, y: 5 },
    ]),
    2,
  );
});
