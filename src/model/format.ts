// Problems as text for the terminal: `file:line:col: error: message`, 1-based like compilers.

import type { ModelProblem } from './positions';
import { offsetToLineCol } from '../errors/location';

export { offsetToLineCol };

export function formatProblem(file: string, text: string, p: ModelProblem): string {
  const { line, col } = offsetToLineCol(text, p.range.offset);
  return `${file}:${line}:${col}: ${p.severity}: ${p.message}`;
}
