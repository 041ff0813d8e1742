// Downsampling a parameter tensor into a bounded heatmap (protocol Heatmap). Pure: runs in the worker.
// Weights are shown as a matrix with rows = inputs and cols = outputs:
//   dense  [in, out]          → rows = in,           cols = out  (flat = r·out + c, the natural layout)
//   conv2d [out, in, kh, kw]  → rows = in·kh·kw,     cols = out  (flat = c·rows + r)
//   bias   [out]              → rows = 1,            cols = out
// Each cell covers a rowBlock × colBlock block and shows the entry of LARGEST MAGNITUDE in it (not the
// mean, which would hide a single exploding weight), together with that entry's flat index so a click
// in the panel selects exactly the parameter the cell shows.

import type { Heatmap, HeatmapMode } from '../protocol';
import type { FloatArray } from '../engine/types';

export interface MatrixView {
  rows: number;
  cols: number;
  /** Flat index into the parameter tensor of matrix entry (r, c). */
  flatIndex(r: number, c: number): number;
}

/** How a parameter of the given shape is laid out as the heatmap matrix (see the table above). */
export function matrixView(kind: 'weight' | 'bias', shape: readonly number[]): MatrixView {
  if (kind === 'bias' || shape.length === 1) {
    const cols = shape.reduce((a, b) => a * b, 1);
    return { rows: 1, cols, flatIndex: (_r, c) => c };
  }
  if (shape.length === 2) {
    const [rows, cols] = shape;
    return { rows, cols, flatIndex: (r, c) => r * cols + c };
  }
  const cols = shape[0];
  const rows = shape.slice(1).reduce((a, b) => a * b, 1);
  return { rows, cols, flatIndex: (r, c) => c * rows + r };
}

/** Four significant digits: plenty for a colour and a tooltip, and it keeps messages small. */
export function compact(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(4)) : v;
}

export function buildHeatmap(
  values: FloatArray,
  view: MatrixView,
  maxCells: number,
  meta: { layer: number; kind: 'weight' | 'bias'; mode: HeatmapMode },
): Heatmap {
  const limit = Math.max(1, Math.floor(maxCells));
  const rowBlock = Math.ceil(view.rows / limit);
  const colBlock = Math.ceil(view.cols / limit);
  const cellRows = Math.ceil(view.rows / rowBlock);
  const cellCols = Math.ceil(view.cols / colBlock);
  const cells: number[] = new Array(cellRows * cellCols);
  const indices: number[] = new Array(cellRows * cellCols);
  let min = Infinity;
  let max = -Infinity;
  for (let cr = 0; cr < cellRows; cr++) {
    for (let cc = 0; cc < cellCols; cc++) {
      let best = NaN;
      let bestIndex = -1;
      let bestMagnitude = -1;
      const rEnd = Math.min(view.rows, (cr + 1) * rowBlock);
      const cEnd = Math.min(view.cols, (cc + 1) * colBlock);
      for (let r = cr * rowBlock; r < rEnd; r++) {
        for (let c = cc * colBlock; c < cEnd; c++) {
          const flat = view.flatIndex(r, c);
          const v = values[flat];
          // A NaN/Inf entry must win: it is the thing the user needs to see.
          const magnitude = Number.isNaN(v) ? Infinity : Math.abs(v);
          if (magnitude > bestMagnitude) {
            bestMagnitude = magnitude;
            best = v;
            bestIndex = flat;
          }
        }
      }
      const cell = cr * cellCols + cc;
      cells[cell] = compact(best);
      indices[cell] = bestIndex;
      if (Number.isFinite(best)) {
        if (best < min) min = best;
        if (best > max) max = best;
      }
    }
  }
  if (min > max) {
    min = 0;
    max = 0;
  }
  return {
    layer: meta.layer,
    kind: meta.kind,
    mode: meta.mode,
    rows: view.rows,
    cols: view.cols,
    cellRows,
    cellCols,
    rowBlock,
    colBlock,
    values: cells,
    indices,
    min: compact(min),
    max: compact(max),
  };
}
