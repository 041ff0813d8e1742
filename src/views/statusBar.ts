// The status-bar item (epoch · step · loss; click opens the panel), drawn from src/editor's pure
// statusBarView(). Registered by extension.ts until src/editor's registerEditorFeatures() (which owns
// this item in the final design) is part of the build.

import * as vscode from 'vscode';
import { statusBarView } from '../editor/statusText';
import { isModelDocument } from '../editor/modelDocuments';
import { Commands, type SessionObservable } from '../session/observable';

export function registerStatusBar(session: SessionObservable): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('gradientLens.status', vscode.StatusBarAlignment.Left, 10);
  item.name = 'Gradient Lens';
  item.command = Commands.openPanel;
  const update = () => {
    const editor = vscode.window.activeTextEditor;
    const view = statusBarView(session.snapshot, !!editor && isModelDocument(editor.document));
    item.text = view.text;
    item.tooltip = view.tooltip;
    item.backgroundColor = view.error ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    if (view.visible) item.show();
    else item.hide();
  };
  update();
  const subscriptions = [item, session.onDidChange(update), vscode.window.onDidChangeActiveTextEditor(update)];
  return vscode.Disposable.from(...subscriptions);
}
