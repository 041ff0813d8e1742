// Finding the model file a command is about, and turning it into something the worker can run:
// a valid spec plus data paths resolved inside the workspace. On errors the user is taken to the
// first problem in the file instead of anything starting.

import * as vscode from 'vscode';
import * as path from 'node:path';
import type { ModelProblem } from '../model';
import type { ModelFileProblems } from '../protocol';
import { resolveDataPath } from '../data/load';
import { valueRange } from '../model/locate';
import type { PreparedModel } from '../session/session';
import type { CommandContext } from './context';

export const MODEL_SUFFIX = '.gradlens.json';

export type { PreparedModel };

export function isModelFile(uri: vscode.Uri | undefined): uri is vscode.Uri {
  return !!uri && uri.path.endsWith(MODEL_SUFFIX);
}

/** The command's argument, else the model file on screen (active editor, active tab, the one visible model editor), else the last trained file, else ask. */
export async function pickModelUri(ctx: CommandContext, arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (isModelFile(active)) return active;
  // Focus may be elsewhere (a webview panel, a view) while one model file is plainly on screen:
  // that is the file the user means, so only ask when it is ambiguous.
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (tab instanceof vscode.TabInputText && isModelFile(tab.uri)) return tab.uri;
  const visible = vscode.window.visibleTextEditors.map((e) => e.document.uri).filter(isModelFile);
  if (visible.length === 1) return visible[0];
  if (ctx.session.modelUri) return ctx.session.modelUri;
  const found = await vscode.workspace.findFiles(`**/*${MODEL_SUFFIX}`, '**/node_modules/**', 50);
  if (found.length === 1) return found[0];
  if (found.length === 0) {
    const create = 'New Model File';
    const choice = await ctx.notify.show(
      'error',
      `there is no *${MODEL_SUFFIX} model file in this workspace. Create one to train.`,
      {},
      create,
    );
    if (choice === create) await ctx.newModelFile();
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    found.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
    { placeHolder: 'Which model file?' },
  );
  return picked?.uri;
}

/** The model file the command is about, validated and with its data resolved; undefined when there is none or it cannot run. */
export async function pickPreparedModel(ctx: CommandContext, arg: unknown): Promise<PreparedModel | undefined> {
  const uri = await pickModelUri(ctx, arg);
  return uri ? prepareModel(ctx, uri) : undefined;
}

/** Validates the file (publishing its problems) and resolves its data. Undefined when it cannot run. */
export async function prepareModel(ctx: CommandContext, uri: vscode.Uri): Promise<PreparedModel | undefined> {
  const file = vscode.workspace.asRelativePath(uri);
  let doc: vscode.TextDocument;
  try {
    doc = await vscode.workspace.openTextDocument(uri);
  } catch (e) {
    void ctx.notify.show('error', `cannot open ${file}: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
  const parsed = ctx.validator.validate(doc);
  if (!parsed.spec) {
    const errors = parsed.problems.filter((p) => p.severity === 'error');
    const first = errors.slice().sort((a, b) => a.range.offset - b.range.offset)[0];
    // The panel lists every error with a link to its place; the editor goes to the first one.
    ctx.session.setProblems(panelProblems(file, doc, errors), uri);
    if (first) await revealInModelEditor(ctx, uri, first.range.offset, first.range.length);
    void ctx.notify.show(
      'error',
      `${file} has ${errors.length} error${errors.length === 1 ? '' : 's'}; fix ${errors.length === 1 ? 'it' : 'them'} to train.` +
        (first ? ` First: ${first.message}` : ''),
    );
    return undefined;
  }
  ctx.session.setProblems(null);
  const spec = parsed.spec;
  // Data files from an untrusted workspace are not read (Restricted Mode): the built-in digits are fine.
  if (spec.data.source !== 'mnist' && !vscode.workspace.isTrusted) {
    const manage = 'Manage Workspace Trust';
    void ctx.notify
      .show(
        'warning',
        `${file} reads data from this workspace, which is not trusted (Restricted Mode). Trust the workspace to train on it; ` +
          'model files are still checked as you type.',
        {},
        manage,
      )
      .then((choice) => {
        if (choice === manage) void vscode.commands.executeCommand('workbench.trust.manage');
      });
    return undefined;
  }
  const workspaceRoot = (vscode.workspace.getWorkspaceFolder(uri)?.uri ?? vscode.Uri.file(path.dirname(uri.fsPath))).fsPath;
  const modelDir = path.dirname(uri.fsPath);
  let key: 'source' | 'labels' = 'source';
  try {
    const dataPath = spec.data.source === 'mnist' ? null : resolveDataPath(workspaceRoot, modelDir, spec.data.source);
    key = 'labels';
    const labelsPath = spec.data.labels ? resolveDataPath(workspaceRoot, modelDir, spec.data.labels) : null;
    return { uri, file, spec, dataPath, labelsPath, workspaceRoot };
  } catch (e) {
    // A path that leads outside the workspace is a problem of the model file: listed in the panel at its value.
    const message = e instanceof Error ? e.message : String(e);
    const range = valueRange(doc.getText(), ['data', key]);
    ctx.session.setProblems(panelProblems(file, doc, [{ path: `data.${key}`, message, range, severity: 'error' }]), uri);
    await revealInModelEditor(ctx, uri, range.offset, range.length);
    void ctx.notify.show('error', `${file}: ${message}`);
    return undefined;
  }
}

/** The errors as the panel lists them, sorted by place, each with its line and column (1-based). */
function panelProblems(file: string, doc: vscode.TextDocument, problems: ModelProblem[]): ModelFileProblems {
  const items = problems
    .slice()
    .sort((a, b) => a.range.offset - b.range.offset)
    .slice(0, 100)
    .map((p) => {
      const at = doc.positionAt(p.range.offset);
      return {
        severity: p.severity,
        message: p.message,
        line: at.line + 1,
        column: at.character + 1,
        offset: p.range.offset,
        length: p.range.length,
      };
    });
  return { file, items };
}

/**
 * Selects a range of a model file in the editor that already shows it (never a second copy over the
 * panel): the visible editor of that file, else the group holding its tab, else a group without the
 * panel, else beside it.
 */
export async function revealInModelEditor(ctx: CommandContext, uri: vscode.Uri, offset: number, length: number): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(uri);
  const range = new vscode.Range(doc.positionAt(offset), doc.positionAt(offset + length));
  const same = (u: vscode.Uri | undefined) => u?.toString() === uri.toString();
  const panelColumn = ctx.panel.webviewPanel?.viewColumn;
  const panelWasActive = ctx.panel.webviewPanel?.active === true;
  const column =
    vscode.window.visibleTextEditors.find((e) => same(e.document.uri))?.viewColumn ??
    vscode.window.tabGroups.all.find((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputText && same(t.input.uri)))
      ?.viewColumn ??
    vscode.window.tabGroups.all.find((g) => g.viewColumn !== panelColumn)?.viewColumn ??
    vscode.ViewColumn.Beside;
  const editor = await vscode.window.showTextDocument(doc, {
    viewColumn: column,
    selection: range,
    preserveFocus: false,
    preview: false,
  });
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  if (editor.viewColumn) await focusEditorOf(doc, editor.viewColumn, panelWasActive);
}

/**
 * With the focus inside the panel's webview (Train pressed there), showing an editor that is already
 * visible in another group can leave the focus in the webview, or the webview's own focus event can
 * arrive after the editor was shown and take the focus back. So focus that editor's group until the
 * file is the active editor (each wait ends on the editor change; a few tries at most), and, when the
 * panel had the focus, take it back once more if it returns to the panel just after.
 */
async function focusEditorOf(doc: vscode.TextDocument, column: vscode.ViewColumn, panelWasActive: boolean): Promise<void> {
  const group = GROUP_FOCUS_COMMANDS[column - 1];
  if (!group) return;
  const isActive = () => vscode.window.activeTextEditor?.document === doc;
  for (let attempt = 0; attempt < FOCUS_ATTEMPTS && !isActive(); attempt++) {
    await vscode.commands.executeCommand(group);
    if (isActive() || (await activeEditorBecomes(doc, FOCUS_SETTLE_MS))) break;
  }
  if (panelWasActive && isActive()) {
    void activeEditorLeaves(doc, FOCUS_SETTLE_MS).then(async (left) => {
      if (left && !vscode.window.activeTextEditor) await vscode.commands.executeCommand(group);
    });
  }
}

const FOCUS_ATTEMPTS = 3;
/** How long a focus change may take to arrive from the workbench (a deadline, not a pause: each wait ends on the event). */
const FOCUS_SETTLE_MS = 1500;

/** Resolves true when `doc` becomes the active editor, false at the deadline. */
function activeEditorBecomes(doc: vscode.TextDocument, deadlineMs: number): Promise<boolean> {
  return activeEditorEvent((e) => e?.document === doc, deadlineMs);
}

/** Resolves true when another editor (or none) becomes active, false when `doc` kept the focus to the deadline. */
function activeEditorLeaves(doc: vscode.TextDocument, deadlineMs: number): Promise<boolean> {
  return activeEditorEvent((e) => e?.document !== doc, deadlineMs);
}

function activeEditorEvent(test: (e: vscode.TextEditor | undefined) => boolean, deadlineMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (value: boolean) => {
      clearTimeout(timer);
      listener.dispose();
      resolve(value);
    };
    const listener = vscode.window.onDidChangeActiveTextEditor((e) => {
      if (test(e)) done(true);
    });
    const timer = setTimeout(() => done(false), deadlineMs);
  });
}

const GROUP_FOCUS_COMMANDS = ['First', 'Second', 'Third', 'Fourth', 'Fifth', 'Sixth', 'Seventh', 'Eighth'].map(
  (n) => `workbench.action.focus${n}EditorGroup`,
);
