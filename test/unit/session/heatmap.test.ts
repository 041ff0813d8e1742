import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { buildHeatmap, matrixView } from '../../../src/session/heatmap';
import { buildHistogram } from '../../../src/session/histogram';
import { Rng } from '../../../src/engine/random';

function randomValues(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.next() * 2 - 1;
  return out;
}

test('a dense weight [in, out] smaller than the limit maps cell for cell, with its flat indices', () => {
  const values = randomValues(5 * 3, 1);
  const h = buildHeatmap(values, matrixView('weight', [5, 3]), 48, { layer: 0, kind: 'weight', mode: 'grad' });
  assert.deepEqual([h.rows, h.cols, h.cellRows, h.cellCols, h.rowBlock, h.colBlock], [5, 3, 5, 3, 1, 1]);
  assert.deepEqual(
    h.indices,
    Array.from({ length: 15 }, (_, i) => i),
  );
  h.values.forEach((v, i) => assert.ok(Math.abs(v - values[i]) <= 1e-3 * Math.abs(values[i])));
});

test('a 784×128 weight is downsampled to at most 48×48 cells, each the largest-magnitude entry of its block', () => {
  const rows = 784,
    cols = 128;
  const values = randomValues(rows * cols, 2);
  const view = matrixView('weight', [rows, cols]);
  const h = buildHeatmap(values, view, 48, { layer: 1, kind: 'weight', mode: 'weight' });
  assert.ok(h.cellRows <= 48 && h.cellCols <= 48);
  assert.equal(h.rowBlock, Math.ceil(784 / 48));
  assert.equal(h.colBlock, Math.ceil(128 / 48));
  // Brute force over every block, independently of the implementation's loop.
  for (let cr = 0; cr < h.cellRows; cr++) {
    for (let cc = 0; cc < h.cellCols; cc++) {
      let bestIndex = -1;
      for (let r = cr * h.rowBlock; r < Math.min(rows, (cr + 1) * h.rowBlock); r++) {
        for (let c = cc * h.colBlock; c < Math.min(cols, (cc + 1) * h.colBlock); c++) {
          const flat = r * cols + c;
          if (bestIndex < 0 || Math.abs(values[flat]) > Math.abs(values[bestIndex])) bestIndex = flat;
        }
      }
      const cell = cr * h.cellCols + cc;
      assert.equal(h.indices[cell], bestIndex);
      assert.ok(Math.abs(h.values[cell] - values[bestIndex]) <= 1e-3 * Math.abs(values[bestIndex]));
    }
  }
  assert.equal(h.min, Math.min(...h.values));
  assert.equal(h.max, Math.max(...h.values));
});

test('conv weights [out, in, kh, kw] are shown as rows = in·kh·kw, cols = out', () => {
  const shape = [4, 2, 3, 3];
  const values = Float32Array.from({ length: 72 }, (_, i) => i);
  const view = matrixView('weight', shape);
  assert.deepEqual([view.rows, view.cols], [18, 4]);
  // Entry (r = input-channel/kernel position, c = filter) is weight[c][r] in row-major [out, rest].
  assert.equal(view.flatIndex(5, 2), 2 * 18 + 5);
  const h = buildHeatmap(values, view, 48, { layer: 0, kind: 'weight', mode: 'grad' });
  assert.equal(h.values[5 * 4 + 2], 41);
});

test('a NaN in a block wins the cell so non-finite values are never hidden', () => {
  const values = new Float32Array([0.5, NaN, -2, 1]);
  const h = buildHeatmap(values, matrixView('bias', [4]), 2, { layer: 0, kind: 'bias', mode: 'grad' });
  assert.deepEqual([h.rows, h.cols, h.cellRows, h.cellCols], [1, 4, 1, 2]);
  assert.ok(Number.isNaN(h.values[0]));
  assert.equal(h.indices[0], 1);
  assert.equal(h.values[1], -2);
});

test('histogram counts every finite value once, in symmetric edges', () => {
  const values = randomValues(1000, 3);
  values[7] = Infinity;
  const h = buildHistogram(values, 2, 40, 16);
  assert.equal(h.edges.length, 17);
  assert.equal(h.counts.length, 16);
  assert.equal(
    h.counts.reduce((a, b) => a + b, 0),
    999,
  );
  assert.ok(Math.abs(h.edges[0] + h.edges[16]) < 1e-9);
  // Each value falls between its bin's edges.
  const m = -h.edges[0];
  const brute = new Array(16).fill(0);
  for (const v of values) if (Number.isFinite(v)) brute[Math.min(15, Math.floor(((v + m) / (2 * m)) * 16))]++;
  assert.deepEqual(h.counts, brute);
  assert.deepEqual([h.layer, h.step], [2, 40]);
});
