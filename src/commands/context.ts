// The one object every command factory receives (rust-analyzer style: commands are small functions
// of a shared context, registered in one place).

import type * as vscode from 'vscode';
import type { ParsedModel } from '../model';
import type { TrainingSession } from '../session/session';
import type { GradientPanel } from '../views/panel';

/** Model-file validation as published in the Problems panel (src/editor, helper E1b). */
export interface ModelValidator {
  /** Parses now, publishes the problems, returns the parse. */
  validate(doc: vscode.TextDocument): ParsedModel;
}

export interface CommandContext {
  readonly extensionUri: vscode.Uri;
  /** dist/worker.js */
  readonly workerScript: string;
  /** media/ (the built-in digits) */
  readonly mediaDir: string;
  readonly session: TrainingSession;
  readonly panel: GradientPanel;
  readonly validator: ModelValidator;
  readonly log: vscode.LogOutputChannel;
  /** Scaffolds a new model file (src/editor). */
  readonly newModelFile: () => Promise<unknown>;
}
