// Gradient histograms for the "histograms over time" strip. Pure: runs in the worker.
// Edges are linear and symmetric around zero (−m … m, m = largest finite |value|), so successive
// histograms of one layer are comparable by eye and the sign of the gradients stays visible.

import type { Histogram } from '../protocol';
import type { FloatArray } from '../engine/types';
import { compact } from './heatmap';

export const HISTOGRAM_BINS = 32;

export function buildHistogram(values: FloatArray, layer: number, step: number, bins = HISTOGRAM_BINS): Histogram {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    if (Number.isFinite(a) && a > m) m = a;
  }
  if (m === 0) m = 1e-12;
  const edges: number[] = [];
  for (let b = 0; b <= bins; b++) edges.push(compact(-m + (2 * m * b) / bins));
  const counts = new Array<number>(bins).fill(0);
  const scale = bins / (2 * m);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    counts[Math.min(bins - 1, Math.max(0, Math.floor((v + m) * scale)))]++;
  }
  return { layer, step, edges, counts };
}
