import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend } from '../../../src/engine/reference';
import { Rng } from '../../../src/engine/random';
import { maxRelDiff } from './helpers';

// Textbook triple loop on explicit indices: the definition gemm must agree with.
function naive(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float64Array,
  b: Float64Array,
  beta: number,
  c: Float64Array,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
      out[i * n + j] = alpha * s + (beta === 0 ? 0 : beta * c[i * n + j]);
    }
  return out;
}

test('reference gemm matches the definition for every transpose form, odd sizes, alpha and beta', () => {
  const rng = new Rng(3);
  const backend = referenceBackend('float64');
  for (const [m, n, k] of [
    [1, 1, 1],
    [3, 5, 7],
    [13, 1, 4],
    [7, 33, 5],
    [2, 9, 1],
  ]) {
    for (const transA of [false, true])
      for (const transB of [false, true])
        for (const [alpha, beta] of [
          [1, 0],
          [0.5, 1],
          [-2, 0.25],
        ]) {
          const a = Float64Array.from({ length: m * k }, () => (rng.next() < 0.3 ? 0 : rng.normal()));
          const b = Float64Array.from({ length: k * n }, () => rng.normal());
          const c = Float64Array.from({ length: m * n }, () => rng.normal());
          const expected = naive(transA, transB, m, n, k, alpha, a, b, beta, c);
          backend.gemm(transA, transB, m, n, k, alpha, a, b, beta, c);
          assert.ok(maxRelDiff(c, expected) < 1e-13, `m=${m} n=${n} k=${k} tA=${transA} tB=${transB} a=${alpha} b=${beta}`);
        }
  }
});

test('beta = 0 overwrites C even when it holds NaN; float32 backend allocates Float32Array', () => {
  const backend = referenceBackend('float32');
  const a = backend.alloc(6);
  a.set([1, 2, 3, 4, 5, 6]);
  const b = backend.alloc(6);
  b.set([1, 0, 0, 1, 1, 1]);
  const c = backend.alloc(4);
  c.fill(NaN);
  backend.gemm(false, false, 2, 2, 3, 1, a, b, 0, c);
  assert.ok(c instanceof Float32Array);
  assert.deepEqual(Array.from(c), [1 + 3, 2 + 3, 4 + 6, 5 + 6]);
});
