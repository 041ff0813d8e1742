// The "Gradient Lens" editor panel beside the model file. One panel at a time; it is restored after a
// window reload by the serializer (the webview restores its own state instantly from getState, then
// the snapshot sent after `ready` replaces it).

import * as vscode from 'vscode';
import { connectWebview, type WebviewConnection, webviewOptions, type ViewHostContext } from './webviewHost';

export const PANEL_VIEW_TYPE = 'gradientLens.panel';
const PANEL_TITLE = 'Gradient Lens';

export class GradientPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private connection: WebviewConnection | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly ctx: ViewHostContext) {
    this.subscriptions.push(
      vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel: vscode.WebviewPanel) => this.adopt(panel),
      }),
    );
  }

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  get webviewPanel(): vscode.WebviewPanel | undefined {
    return this.panel;
  }

  /** Opens the panel beside the active editor, or reveals it where it is. */
  show(preserveFocus = true): vscode.WebviewPanel {
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
      return this.panel;
    }
    const panel = vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      PANEL_TITLE,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
      { ...webviewOptions(this.ctx.extensionUri), enableFindWidget: false },
    );
    this.adopt(panel);
    return panel;
  }

  /**
   * Resolves once the panel's page is ready to show a run (at once when the panel is closed), or
   * after `timeoutMs` whatever the page does: a run never waits long for a view.
   */
  whenReady(timeoutMs: number): Promise<void> {
    const connection = this.connection;
    if (!connection) return Promise.resolve();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    return Promise.race([connection.whenReady(), late]).finally(() => clearTimeout(timer));
  }

  dispose(): void {
    this.panel?.dispose();
    for (const s of this.subscriptions) s.dispose();
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.connection?.dispose();
    this.panel?.dispose();
    this.panel = panel;
    panel.iconPath = vscode.Uri.joinPath(this.ctx.extensionUri, 'media', 'icon.svg');
    this.connection = connectWebview(panel, panel.onDidChangeViewState, 'panel', this.ctx, () => {
      if (this.panel === panel) {
        this.panel = undefined;
        this.connection = undefined;
      }
    });
  }
}
