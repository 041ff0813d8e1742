// Which documents are model files, and their parse, cached per document version so that
// diagnostics, CodeLens, decorations, hovers and health diagnostics parse each edit only once.

import * as vscode from 'vscode';
import { parseModel, type ParsedModel } from '../model';
import { MODEL_FILE_SUFFIX } from './scaffoldTemplate';

/** Glob for document selectors and file watchers. */
export const MODEL_FILE_PATTERN = `**/*${MODEL_FILE_SUFFIX}`;
export const MODEL_DOCUMENT_SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file', pattern: MODEL_FILE_PATTERN },
  { scheme: 'untitled', pattern: MODEL_FILE_PATTERN },
  { scheme: 'vscode-remote', pattern: MODEL_FILE_PATTERN },
];

export function isModelUri(uri: vscode.Uri): boolean {
  return uri.path.toLowerCase().endsWith(MODEL_FILE_SUFFIX);
}

export function isModelDocument(doc: vscode.TextDocument): boolean {
  return isModelUri(doc.uri);
}

export function sameUri(a: vscode.Uri | undefined, b: vscode.Uri | undefined): boolean {
  return a !== undefined && b !== undefined && a.toString() === b.toString();
}

interface CacheEntry {
  version: number;
  parsed: ParsedModel;
}

export class ModelDocuments implements vscode.Disposable {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly subscription: vscode.Disposable;

  constructor() {
    this.subscription = vscode.workspace.onDidCloseTextDocument((doc) => this.cache.delete(doc.uri.toString()));
  }

  /** The parse of the document's current text (cached until its version changes). */
  parse(doc: vscode.TextDocument): ParsedModel {
    const key = doc.uri.toString();
    const hit = this.cache.get(key);
    if (hit && hit.version === doc.version) return hit.parsed;
    const parsed = parseModel(doc.getText(), undefined, modelLocation(doc.uri));
    this.cache.set(key, { version: doc.version, parsed });
    return parsed;
  }

  /** The open document for a uri, if any (without opening it). */
  openDocument(uri: vscode.Uri): vscode.TextDocument | undefined {
    const key = uri.toString();
    return vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
  }

  dispose(): void {
    this.subscription.dispose();
    this.cache.clear();
  }
}

/** How many folders lie between the file's workspace folder and the file's own folder. */
function modelLocation(uri: vscode.Uri): { folderDepth: number } | undefined {
  const root = vscode.workspace.getWorkspaceFolder(uri);
  if (!root) return undefined;
  const rel = vscode.workspace.asRelativePath(uri, false);
  return { folderDepth: rel.split('/').length - 1 };
}
