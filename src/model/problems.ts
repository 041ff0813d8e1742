// How the model parser collects its problems (each with its path and exact source range) and how
// it echoes the user's text in them: clipped, so a huge value cannot flood a message.

import type { Node } from 'jsonc-parser';
import type { ModelProblem, Severity, SourceRange } from './positions';

export class Collector {
  readonly problems: ModelProblem[] = [];
  /** Layers the walk left unread because the list was full (see `full`). */
  uncheckedLayers = 0;
  /**
   * @param cap how many problems are listed (MAX_PROBLEMS). Once more than that are found, the
   *   walk reads no further layers: what is listed and the first one left out are settled then
   *   (the problems of a later layer lie after them in the text).
   */
  constructor(
    readonly text: string,
    readonly cap = Infinity,
  ) {}
  /** More problems than are listed: reading further layers would only add to the ones left out. */
  get full(): boolean {
    return this.problems.length > this.cap;
  }
  add(path: string, detail: string, range: SourceRange, severity: Severity = 'error'): void {
    this.problems.push({ path, message: path ? `${path}: ${detail}` : detail, range, severity });
  }
  get hasErrors(): boolean {
    return this.problems.some((p) => p.severity === 'error');
  }
}

export const rangeOf = (n: Node): SourceRange => ({ offset: n.offset, length: n.length });

/** Echoed text is cut to this many characters, so a huge value cannot flood a message. */
export const ECHO_CHARS = 60;

export function clip(s: string, max = ECHO_CHARS): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** A string value as it is quoted in messages: JSON-escaped and clipped. */
export function quoted(s: string): string {
  return s.length > ECHO_CHARS
    ? `${JSON.stringify(s.slice(0, ECHO_CHARS - 1)).slice(0, -1)}…" (${s.length} characters)`
    : JSON.stringify(s);
}
