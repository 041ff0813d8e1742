// Which stop point a line of the model file stands for: a layer's line (any line of its object)
// stops after that layer's backward pass, the `loss` line after the forward pass, the `optimizer`
// line before the update. Also the lines the Call Stack points at.

import { parseTree, findNodeAtLocation, type Node } from 'jsonc-parser';
import type { ParsedModel } from '../model';
import { offsetToLineCol } from '../model';

export type StopTarget = { kind: 'layer-backward'; layer: number } | { kind: 'forward-done' } | { kind: 'before-update' };

export interface ModelLines {
  /** 1-based first and last line of each layer object. */
  layers: { first: number; last: number }[];
  loss: { first: number; last: number } | null;
  optimizer: { first: number; last: number } | null;
  batchSize: number | null;
  epochs: number | null;
}

export function modelLines(text: string, parsed: Pick<ParsedModel, 'layerRanges'>): ModelLines {
  const lineOf = (offset: number): number => offsetToLineCol(text, offset).line;
  const span = (n: { offset: number; length: number }): { first: number; last: number } => ({
    first: lineOf(n.offset),
    last: lineOf(n.offset + Math.max(0, n.length - 1)),
  });
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  const prop = (key: string): Node | undefined => (root ? findNodeAtLocation(root, [key])?.parent : undefined);
  const loss = prop('loss'),
    optimizer = prop('optimizer'),
    batch = prop('batchSize'),
    epochs = prop('epochs');
  return {
    layers: parsed.layerRanges.map(span),
    loss: loss ? span(loss) : null,
    optimizer: optimizer ? span(optimizer) : null,
    batchSize: batch ? lineOf(batch.offset) : null,
    epochs: epochs ? lineOf(epochs.offset) : null,
  };
}

/** The stop point of a breakpoint on `line`, and the line it is shown on (the start of the element). */
export function targetAt(lines: ModelLines, line: number): { target: StopTarget; line: number } | null {
  const inside = (r: { first: number; last: number } | null): boolean => r !== null && line >= r.first && line <= r.last;
  // A layer line wins over the optimizer's when both share a line (they never do in a formatted file).
  const layer = lines.layers.findIndex(inside);
  if (layer >= 0) return { target: { kind: 'layer-backward', layer }, line: lines.layers[layer].first };
  if (inside(lines.loss)) return { target: { kind: 'forward-done' }, line: lines.loss!.first };
  if (inside(lines.optimizer)) return { target: { kind: 'before-update' }, line: lines.optimizer!.first };
  return null;
}

/** The line the Call Stack shows for a stop point. */
export function lineOfTarget(lines: ModelLines, t: StopTarget): number | null {
  if (t.kind === 'layer-backward') return lines.layers[t.layer]?.first ?? null;
  if (t.kind === 'forward-done') return lines.loss?.first ?? null;
  return lines.optimizer?.first ?? null;
}

export const LINE_HINT =
  'Breakpoints in a model file go on a layer\'s line (stops after that layer\'s backward pass), the "loss" line (after the forward pass) or the "optimizer" line (before the update).';
