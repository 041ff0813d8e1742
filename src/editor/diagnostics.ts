// Problems of model files (syntax, schema, shapes) in the Problems panel: the "gradient-lens"
// diagnostic collection, refreshed on open, on change (debounced) and on save.

import * as vscode from 'vscode';
import type { ParsedModel } from '../model';
import type { ModelProblem } from '../model/positions';
import { isModelDocument, type ModelDocuments } from './modelDocuments';

export const DIAGNOSTIC_SOURCE = 'Gradient Lens';
const CHANGE_DEBOUNCE_MS = 250;

export function rangeOf(doc: vscode.TextDocument, offset: number, length: number): vscode.Range {
  const start = doc.positionAt(offset);
  return new vscode.Range(start, doc.positionAt(offset + Math.max(0, length)));
}

export function problemToDiagnostic(doc: vscode.TextDocument, problem: ModelProblem): vscode.Diagnostic {
  const diagnostic = new vscode.Diagnostic(
    rangeOf(doc, problem.range.offset, problem.range.length),
    problem.message,
    problem.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
  );
  diagnostic.source = DIAGNOSTIC_SOURCE;
  diagnostic.code = problem.path;
  return diagnostic;
}

export class ModelDiagnostics implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('gradient-lens');
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly documents: ModelDocuments) {
    this.subscriptions.push(
      vscode.workspace.onDidOpenTextDocument((doc) => this.validateIfModel(doc)),
      vscode.workspace.onDidSaveTextDocument((doc) => this.validateIfModel(doc)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (isModelDocument(e.document) && e.contentChanges.length > 0) this.schedule(e.document);
      }),
      // Like language servers: problems of a closed file go away with it.
      vscode.workspace.onDidCloseTextDocument((doc) => {
        this.cancel(doc.uri);
        if (isModelDocument(doc)) this.collection.delete(doc.uri);
      }),
    );
    for (const doc of vscode.workspace.textDocuments) this.validateIfModel(doc);
  }

  /** Parses the document now, publishes its problems and returns the parse. */
  validate(doc: vscode.TextDocument): ParsedModel {
    this.cancel(doc.uri);
    const parsed = this.documents.parse(doc);
    this.collection.set(
      doc.uri,
      parsed.problems.map((p) => problemToDiagnostic(doc, p)),
    );
    return parsed;
  }

  /** The first error (by position) published for the file, if any. */
  firstError(uri: vscode.Uri): vscode.Diagnostic | undefined {
    const errors = (this.collection.get(uri) ?? []).filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
    return [...errors].sort((a, b) => a.range.start.compareTo(b.range.start))[0];
  }

  private validateIfModel(doc: vscode.TextDocument): void {
    if (isModelDocument(doc)) this.validate(doc);
  }

  private schedule(doc: vscode.TextDocument): void {
    this.cancel(doc.uri);
    const key = doc.uri.toString();
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        if (!doc.isClosed) this.validate(doc);
      }, CHANGE_DEBOUNCE_MS),
    );
  }

  private cancel(uri: vscode.Uri): void {
    const key = uri.toString();
    const timer = this.timers.get(key);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(key);
  }

  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const s of this.subscriptions) s.dispose();
    this.collection.dispose();
  }
}
