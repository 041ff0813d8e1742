// Checks of a valid model's settings that need the syntax tree for their position: an unusual
// learning rate, data paths that are too long, absolute or climb out of the workspace, an IDX file
// without labels, a batch larger than the training set.

import type { Node } from 'jsonc-parser';
import type { ModelSpec } from './spec';
import type { ModelLocation } from './parse';
import { type Collector, quoted, rangeOf } from './problems';

/** Longest `data.source` / `data.labels` accepted (PATH_MAX on Linux). */
export const MAX_PATH_CHARS = 4096;

function propertyValue(obj: Node | undefined, key: string): Node | undefined {
  return obj?.children?.find((p) => p.children?.[0]?.value === key)?.children?.[1];
}

/**
 * True when a path relative to a folder `folderDepth` levels below the workspace root climbs above
 * that root. Normalised segment by segment (no node:path: this module also runs in a web worker).
 */
function escapesWorkspace(path: string, folderDepth: number): boolean {
  let depth = folderDepth;
  for (const segment of path.split(/[\\/]+/)) {
    if (segment === '..') depth--;
    else if (segment !== '.' && segment !== '') depth++;
    if (depth < 0) return true;
  }
  return false;
}

export function warnAboutSettings(spec: ModelSpec, root: Node, out: Collector, location: ModelLocation | undefined): void {
  const opt = propertyValue(root, 'optimizer');
  const lr = propertyValue(opt, 'learningRate');
  if (lr && spec.optimizer.learningRate > 1) {
    out.add(
      'optimizer.learningRate',
      `a learning rate of ${spec.optimizer.learningRate} is unusually large; training will likely diverge (typical: 0.001–0.5)`,
      rangeOf(lr),
      'warning',
    );
  }
  const dataNode = propertyValue(root, 'data');
  const source = propertyValue(dataNode, 'source');
  for (const field of ['source', 'labels'] as const) {
    const value = spec.data[field];
    const node = propertyValue(dataNode, field);
    if (node && value !== undefined && value.length > MAX_PATH_CHARS) {
      out.add(
        `data.${field}`,
        `the path is ${value.length.toLocaleString('en-US')} characters long; a path has at most ${MAX_PATH_CHARS}`,
        rangeOf(node),
      );
      return;
    }
  }
  if (source && (spec.data.source.startsWith('/') || /^[A-Za-z]:[\\/]/.test(spec.data.source))) {
    out.add(
      'data.source',
      `expected a path relative to this file (inside the workspace), got the absolute path ${quoted(spec.data.source)}`,
      rangeOf(source),
    );
  } else if (source && location && escapesWorkspace(spec.data.source, location.folderDepth)) {
    out.add(
      'data.source',
      `expected a path inside the workspace, got ${quoted(spec.data.source)}, which climbs out of it with ".."`,
      rangeOf(source),
    );
  }
  if (
    spec.data.source !== 'mnist' &&
    /\.(idx|ubyte)(\.gz)?$|-idx\d-ubyte/i.test(spec.data.source) &&
    !spec.data.labels &&
    source
  ) {
    out.add('data.labels', 'an IDX images file needs its labels file: add "labels": "…-labels-idx1-ubyte"', rangeOf(source));
  }
  if (spec.data.limit !== undefined) {
    const train = spec.data.limit - Math.round(spec.data.limit * spec.data.validationSplit);
    const bs = propertyValue(root, 'batchSize');
    if (bs && spec.batchSize > train) {
      out.add(
        'batchSize',
        `batch size ${spec.batchSize} is larger than the ${train} training examples: every step is full batch`,
        rangeOf(bs),
        'warning',
      );
    }
  }
}
