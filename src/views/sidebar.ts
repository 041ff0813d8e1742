// The compact "Run" view in the Gradient Lens activity-bar container: status, controls and a
// loss sparkline. The same webview bundle as the panel, started with mode "sidebar".

import * as vscode from 'vscode';
import { connectWebview, type WebviewConnection, type ViewHostContext } from './webviewHost';

export const TRAINING_VIEW_ID = 'gradientLens.trainingView';

export class TrainingViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private connection: WebviewConnection | undefined;

  constructor(private readonly ctx: ViewHostContext) {}

  static register(ctx: ViewHostContext): vscode.Disposable[] {
    const provider = new TrainingViewProvider(ctx);
    return [provider, vscode.window.registerWebviewViewProvider(TRAINING_VIEW_ID, provider)];
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.connection?.dispose();
    const connection = connectWebview(view, view.onDidChangeVisibility, 'sidebar', this.ctx, () => {
      if (this.connection === connection) this.connection = undefined;
    });
    this.connection = connection;
  }

  dispose(): void {
    this.connection?.dispose();
  }
}
