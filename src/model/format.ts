// Problems as text for the terminal: `file:line:col: error: message`, 1-based like compilers.

import type { ModelProblem } from './positions';

export function offsetToLineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: offset - lineStart + 1 };
}

export function formatProblem(file: string, text: string, p: ModelProblem): string {
  const { line, col } = offsetToLineCol(text, p.range.offset);
  return `${file}:${line}:${col}: ${p.severity}: ${p.message}`;
}
