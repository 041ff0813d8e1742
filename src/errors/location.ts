// Places in files, in the two forms the two front ends need: offsets into a text (what the parser
// produces and VS Code's document.positionAt takes) and 1-based line/column (what a terminal shows).
// Pure: the engine and a web worker may import it.

/** A span of a text in UTF-16 code units. */
export interface SourceRange {
  offset: number;
  length: number;
}

/** A span of a file, 1-based like compilers print it; the end column is exclusive. */
export interface Location {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** The span as offsets into the file's text, when known (lets the extension use positionAt). */
  range?: SourceRange;
}

export function offsetToLineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  const stop = Math.min(offset, text.length);
  for (let i = text.indexOf('\n'); i >= 0 && i < stop; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: offset - lineStart + 1 };
}

/** The location of `range` in `text`, a file shown as `file`. */
export function locate(file: string, text: string, range: SourceRange): Location {
  const start = offsetToLineCol(text, range.offset);
  const end = offsetToLineCol(text, range.offset + Math.max(0, range.length));
  return { file, line: start.line, column: start.col, endLine: end.line, endColumn: end.col, range: { ...range } };
}

/** A whole line (or a line and column) of a file whose text is not at hand, e.g. a CSV row. */
export function lineLocation(file: string, line: number, column = 1): Location {
  return { file, line, column, endLine: line, endColumn: column };
}

/** `file:line:col`, the form terminals and editors turn into a link. */
export function formatLocation(l: Location): string {
  return `${l.file}:${l.line}:${l.column}`;
}
