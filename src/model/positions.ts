// Source ranges for messages about a model file. Offsets are UTF-16 code units into the text,
// which is what both VS Code (document.positionAt) and the CLI (line/column) need.

import type { SourceRange } from '../errors/location';
export type { SourceRange };

export type Severity = 'error' | 'warning';

export interface ModelProblem {
  /** JSON path, e.g. `layers[2].units` (also the start of the message). */
  path: string;
  message: string;
  range: SourceRange;
  severity: Severity;
}
