// The two places errors are turned into text: one line for a terminal, and a message with a
// location for the editor (which the extension turns into a vscode.Diagnostic; nothing here
// imports vscode). An error that is not one of ours is an internal error and says so.

import { GradientLensError, type ErrorKind } from './types';
import { formatLocation, type Location } from './location';

/** What the front ends need to know about the model file, to name it where the error has no place. */
export interface ErrorContext {
  /** The model file as shown to the user. */
  modelFile?: string;
}

export interface ErrorReport {
  kind: ErrorKind | 'internal';
  /** One line, positioned (`file:line:col: …` or `file: …`), without a stack trace. */
  message: string;
  /** Where in the model file to show it, when known: the editor's diagnostic range. */
  location?: Location;
  /** Exit code of the CLI: 2 for bad input (model, data, resource, usage), 1 otherwise. */
  exitCode: 1 | 2;
}

/** The editor's (and worker's) view of any thrown value. */
export function reportError(e: unknown, context: ErrorContext = {}): ErrorReport {
  if (!(e instanceof GradientLensError)) {
    const text = e instanceof Error ? e.message : String(e);
    return { kind: 'internal', message: withFile(context.modelFile, `internal error: ${text}`), exitCode: 1 };
  }
  const exitCode = e.kind === 'engine' ? 1 : 2;
  const at = e.modelLocation;
  if (e.kind === 'model' || e.kind === 'resource') {
    // Their message already starts with the model location when there is one.
    return { kind: e.kind, message: at ? e.message : withFile(context.modelFile, e.message), location: at, exitCode };
  }
  if (e.kind === 'data' && e.message !== e.detail) {
    // The data file is named in the message; the model location, if any, is where to show it.
    return { kind: e.kind, message: at ? `${formatLocation(at)}: ${e.message}` : e.message, location: at, exitCode };
  }
  const message = at ? `${formatLocation(at)}: ${e.message}` : withFile(context.modelFile, e.message);
  return { kind: e.kind, message, location: at, exitCode };
}

/** The terminal line: `file:line:col: error: …` like compilers, or `file: error: …` without a place. */
export function renderForCli(e: unknown, context: ErrorContext = {}): { text: string; exitCode: 1 | 2 } {
  const r = reportError(e, context);
  if (r.kind === 'usage') return { text: `gradient-lens: ${r.message}`, exitCode: r.exitCode };
  if (r.kind === 'internal') return { text: `gradient-lens: ${r.message}`, exitCode: r.exitCode };
  const at = r.location ? formatLocation(r.location) : undefined;
  if (at && r.message.startsWith(`${at}: `)) {
    return { text: `${at}: error: ${r.message.slice(at.length + 2)}`, exitCode: r.exitCode };
  }
  return { text: r.message, exitCode: r.exitCode };
}

/** Zero-based range as vscode.Range wants it: `new vscode.Range(startLine, startCharacter, endLine, endCharacter)`. */
export interface EditorRange {
  startLine: number;
  startCharacter: number;
  endLine: number;
  endCharacter: number;
}

export interface EditorDiagnostic {
  message: string;
  /** The file the range belongs to (the model file as the error names it). */
  file?: string;
  range?: EditorRange;
  /** Offsets into the model text, when known: prefer these with document.positionAt. */
  offset?: number;
  length?: number;
  severity: 'error';
}

/**
 * The extension's form: the message without the location prefix the range already shows, and the
 * range (at the top of the file when the error has no place, so the message is still seen).
 */
export function toEditorDiagnostic(e: unknown, context: ErrorContext = {}): EditorDiagnostic {
  const r = reportError(e, context);
  const l = r.location;
  if (!l)
    return { message: r.message, severity: 'error', range: { startLine: 0, startCharacter: 0, endLine: 0, endCharacter: 0 } };
  const prefix = `${formatLocation(l)}: `;
  return {
    message: r.message.startsWith(prefix) ? r.message.slice(prefix.length) : r.message,
    file: l.file,
    range: { startLine: l.line - 1, startCharacter: l.column - 1, endLine: l.endLine - 1, endCharacter: l.endColumn - 1 },
    ...(l.range ? { offset: l.range.offset, length: l.range.length } : {}),
    severity: 'error',
  };
}

function withFile(file: string | undefined, message: string): string {
  return file && !message.startsWith(`${file}:`) ? `${file}: ${message}` : message;
}
