// Known answers for the seeded generator (src/engine/random.ts), from sources other than the code
// under test: the xoshiro128** reference sequence for the state {1, 2, 3, 4} (the one the algorithm's
// authors' C code gives, and every port tests against), and for the seeding, Box–Muller, int and the
// shuffle, a separate float64 Python implementation written from the algorithms' definitions
// (32-bit arithmetic by masking). Plus distribution checks that any correct generator passes.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Rng } from '../../../src/engine/random';

/** A generator whose xoshiro state is set by hand (the constructor only takes a seed). */
function withState(s: [number, number, number, number]): Rng {
  const r = new Rng(0) as unknown as { s0: number; s1: number; s2: number; s3: number };
  [r.s0, r.s1, r.s2, r.s3] = s;
  return r as unknown as Rng;
}

test('xoshiro128** from the state {1, 2, 3, 4} gives the reference sequence', () => {
  const r = withState([1, 2, 3, 4]);
  const got = Array.from({ length: 10 }, () => r.nextUint32());
  assert.deepEqual(got, [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804]);
});

test('the seed goes through the golden-ratio counter and fmix32 (Python reference, seeds 0, 1, 42, −1)', () => {
  const expected: Record<number, number[]> = {
    0: [3809008728, 1133695204, 53579671, 2891528803, 139681546, 2203266335],
    1: [2442144158, 3238099751, 3819917871, 2104621829, 2021136066, 4223536128],
    42: [2837322924, 544945897, 479756282, 3500138142, 339756180, 113173290],
    // −1 is taken as 2³² − 1 (seed >>> 0)
    [-1]: [835879718, 1921286648, 2356205009, 1885780724, 980451116, 1053911718],
  };
  for (const [seed, want] of Object.entries(expected)) {
    const r = new Rng(Number(seed));
    assert.deepEqual(
      Array.from({ length: 6 }, () => r.nextUint32()),
      want,
      `seed ${seed}`,
    );
  }
});

test('next() is the 32-bit output over 2³², in [0, 1) (Python reference, seed 7)', () => {
  const r = new Rng(7);
  assert.deepEqual(
    Array.from({ length: 3 }, () => r.next()),
    [0.23382771760225296, 0.5122324188705534, 0.4489145821426064],
  );
  // the largest output maps below 1
  const top = withState([0, 0xffffffff, 0, 0]);
  const u = top.next();
  assert.ok(u >= 0 && u < 1, `${u}`);
});

test('int(n) is ⌊next·n⌋ and normal() gives Box–Muller pairs, cosine then the cached sine (Python reference, seed 7)', () => {
  const a = new Rng(7);
  assert.deepEqual(
    Array.from({ length: 6 }, () => a.int(10)),
    [2, 5, 4, 1, 5, 4],
  );
  const b = new Rng(7);
  const want = [
    -1.6997666603638308, -0.13089946149672535, 0.590717715269077, 1.1193292098291738, -1.0527407156705448, 0.17671156334831878,
  ];
  for (const [i, w] of want.entries()) {
    const v = b.normal();
    assert.ok(Math.abs(v - w) <= 1e-12, `normal #${i}: ${v} vs ${w}`);
  }
});

test('permutation(10) is the Fisher–Yates shuffle of 0..9 from the top down (Python reference, seed 7)', () => {
  assert.deepEqual(Array.from(new Rng(7).permutation(10)), [0, 5, 6, 8, 9, 7, 1, 3, 4, 2]);
  assert.deepEqual(Array.from(new Rng(7).permutation(1)), [0]);
  assert.deepEqual(Array.from(new Rng(7).permutation(0)), []);
});

test('distributions: uniform mean ½ and variance 1/12, int covers [0, n) evenly, normal mean 0 and variance 1', () => {
  const n = 40000;
  const r = new Rng(2026);
  let s = 0,
    sq = 0;
  for (let i = 0; i < n; i++) {
    const u = r.next();
    assert.ok(u >= 0 && u < 1);
    s += u;
    sq += u * u;
  }
  const mean = s / n;
  // standard errors: √(1/12/n) ≈ 0.0014 for the mean; 5σ bounds
  assert.ok(Math.abs(mean - 0.5) < 0.008, `uniform mean ${mean}`);
  assert.ok(Math.abs(sq / n - mean * mean - 1 / 12) < 0.004, `uniform variance ${sq / n - mean * mean}`);

  const counts = new Array<number>(7).fill(0);
  for (let i = 0; i < 7000; i++) counts[r.int(7)]++;
  // each count ~ Binomial(7000, 1/7): mean 1000, σ ≈ 29
  for (const c of counts) assert.ok(Math.abs(c - 1000) < 150, `int counts ${counts.join(',')}`);

  let ns = 0,
    nsq = 0,
    n4 = 0;
  for (let i = 0; i < n; i++) {
    const z = r.normal();
    ns += z;
    nsq += z * z;
    n4 += z ** 4;
  }
  assert.ok(Math.abs(ns / n) < 0.03, `normal mean ${ns / n}`);
  assert.ok(Math.abs(nsq / n - 1) < 0.04, `normal variance ${nsq / n}`);
  // kurtosis 3 tells a normal from e.g. a scaled uniform
  assert.ok(Math.abs(n4 / n - 3) < 0.25, `normal 4th moment ${n4 / n}`);
});

test('every permutation of 3 comes out about equally often (the shuffle is unbiased)', () => {
  const r = new Rng(99);
  const counts = new Map<string, number>();
  for (let i = 0; i < 6000; i++) {
    const k = Array.from(r.permutation(3)).join('');
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  assert.equal(counts.size, 6);
  // each ~ Binomial(6000, 1/6): mean 1000, σ ≈ 29
  for (const [k, c] of counts) assert.ok(Math.abs(c - 1000) < 150, `${k}: ${c}`);
});

test('normal() never takes the log of 0: from the state {1, 2, 3, 4} after one draw, the next output is 0 and is drawn again', () => {
  // the reference sequence's second output is 0, so u = 0 must be skipped: u = 5927040/2³², v = 70819200/2³²
  const r = withState([1, 2, 3, 4]);
  r.nextUint32();
  const a = r.normal(),
    b = r.normal();
  assert.ok(Math.abs(a - 3.609775446839328) <= 1e-12, `${a}`);
  assert.ok(Math.abs(b - 0.37532625831994965) <= 1e-12, `${b}`);
});

test('the shuffle of n draws n − 1 numbers (Python reference: the next output of seed 7 after permutation(10) is its 10th)', () => {
  const r = new Rng(7);
  r.permutation(10);
  assert.equal(r.nextUint32(), 964317380);
});
