// The range of a value in a model file's text, by JSON path: for errors found after parsing
// (a data file that cannot be read is shown at its `data.source` value).

import { findNodeAtLocation, parseTree, type Node } from 'jsonc-parser';
import type { SourceRange } from './positions';

export type JsonPath = (string | number)[];

/** The range of the value at `path`, of the nearest existing parent along it, or the start of the text. */
export function valueRange(text: string, path: JsonPath): SourceRange {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  if (!root) return { offset: 0, length: 0 };
  for (let n = path.length; n >= 0; n--) {
    const node: Node | undefined = findNodeAtLocation(root, path.slice(0, n));
    if (node) return { offset: node.offset, length: n === path.length ? node.length : 1 };
  }
  return { offset: 0, length: 0 };
}
