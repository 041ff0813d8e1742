// The one object every command factory receives (rust-analyzer style: commands are small functions
// of a shared context, registered in one place).

import * as vscode from 'vscode';
import type { ParsedModel } from '../model';
import type { TrainingSession } from '../session/session';
import type { GradientPanel } from '../views/panel';
import type { Config } from '../config';
import { plainText } from '../views/plainText';

/** Model-file validation as published in the Problems panel (src/editor/diagnostics.ts). */
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
  /** Every gradientLens.* setting. */
  readonly config: Config;
  readonly validator: ModelValidator;
  readonly log: vscode.LogOutputChannel;
  /** Scaffolds a new model file (src/editor). */
  readonly newModelFile: () => Promise<unknown>;
  /** Shows a message to the user, logs it, and keeps it for the host tests (see Notifier). */
  readonly notify: Notifier;
}

export type NoticeSeverity = 'error' | 'warning' | 'info';
export interface Notice {
  severity: NoticeSeverity;
  message: string;
}

/** Every user-facing message goes through here, so the log and the tests see what the user saw. */
export class Notifier {
  readonly notices: Notice[] = [];

  constructor(private readonly log: vscode.LogOutputChannel) {}

  show(
    severity: NoticeSeverity,
    raw: string,
    options: vscode.MessageOptions = {},
    ...items: string[]
  ): Thenable<string | undefined> {
    // Messages quote model names and values from the user's files: no control characters beyond here.
    const message = plainText(raw);
    this.notices.push({ severity, message });
    if (this.notices.length > 200) this.notices.shift();
    const text = `Gradient Lens: ${message}`;
    if (severity === 'error') {
      this.log.error(message);
      return vscode.window.showErrorMessage(text, options, ...items);
    }
    if (severity === 'warning') {
      this.log.warn(message);
      return vscode.window.showWarningMessage(text, options, ...items);
    }
    this.log.info(message);
    return vscode.window.showInformationMessage(text, options, ...items);
  }
}
