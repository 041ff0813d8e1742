// Gradient Lens extension entry point: builds the training session, the views and the commands,
// wires the editor features (src/editor) to the session, and returns a small API for the host tests.

import * as vscode from 'vscode';
import type { RenderSummary } from './protocol';
import { TrainingSession } from './session/session';
import { Config } from './config';
import { registerCommands } from './commands';
import { Notifier, type CommandContext, type Notice } from './commands/context';
import { GradientPanel } from './views/panel';
import { TrainingViewProvider } from './views/sidebar';
import { RenderLog, type PostStats, type ViewMode } from './views/renderLog';
// Editor features: parse problems (ModelDiagnostics) and, beside each layer, the run's gradient
// state (CodeLens, decorations, hovers, health diagnostics: src/editor/beside.ts).
import { ModelDocuments } from './editor/modelDocuments';
import { ModelDiagnostics } from './editor/diagnostics';
import { registerBesideTheCode } from './editor/beside';
import { newModelFile } from './commands/newModelFile';
import { isModelFile, revealInModelEditor } from './commands/modelFile';
import { registerStatusBar } from './views/statusBar';
import { plainText } from './views/plainText';
import { registerDebugging } from './debug/register';
import { registerTorch } from './torch/register';

/** What activate() returns; the host tests reach it through `extension.exports`. */
export interface GradientLensApi {
  readonly session: TrainingSession;
  readonly panel: GradientPanel;
  /** The newest `rendered` summary the panel (or sidebar) webview reported. */
  lastRender(mode?: ViewMode): RenderSummary | undefined;
  /** Resolves with the first rendered summary satisfying `pred`; rejects after timeoutMs. */
  waitForRender(pred: (s: RenderSummary) => boolean, timeoutMs: number, mode?: ViewMode): Promise<RenderSummary>;
  /** Counts and sizes of the messages delivered to a view. */
  received(mode?: ViewMode): PostStats;
  /** The messages shown to the user (errors, warnings, information), oldest first. */
  notices(): readonly Notice[];
  /** The value of the context key gradientLens.modelFileOpen (the walkthrough's first step), as last set. */
  modelFileOpen(): boolean;
}

export function activate(context: vscode.ExtensionContext): GradientLensApi {
  const log = vscode.window.createOutputChannel('Gradient Lens', { log: true });
  const workerScript = vscode.Uri.joinPath(context.extensionUri, 'dist', 'worker.js').fsPath;
  const mediaDir = vscode.Uri.joinPath(context.extensionUri, 'media').fsPath;
  const config = new Config();
  // Running from source (F5): every view reads a deep-frozen snapshot, so one that writes throws.
  const devBuild = context.extensionMode === vscode.ExtensionMode.Development;
  const session = new TrainingSession(workerScript, mediaDir, () => config.settings, devBuild);
  const renders = new RenderLog();
  // The panel's problem links need the command context (the panel's column); it is made just below.
  const late: { commands?: CommandContext } = {};
  const viewContext = {
    extensionUri: context.extensionUri,
    session,
    renders,
    log: (line: string) => log.info(line),
    revealProblem: async (offset: number, length: number) => {
      const uri = session.problemsFile;
      if (!uri || !late.commands) throw new Error('the model file of these problems is not known any more: run Train again.');
      await revealInModelEditor(late.commands, uri, offset, length);
    },
  };
  const panel = new GradientPanel(viewContext);
  const documents = new ModelDocuments();
  const diagnostics = new ModelDiagnostics(documents);
  context.subscriptions.push(
    documents,
    diagnostics,
    ...registerBesideTheCode(session, documents, () => config.settings.health, config.onDidChange),
  );
  const notify = new Notifier(log);

  const commandContext: CommandContext = {
    extensionUri: context.extensionUri,
    workerScript,
    mediaDir,
    session,
    panel,
    config,
    validator: { validate: (doc) => diagnostics.validate(doc) },
    log,
    newModelFile: () => newModelFile(),
    notify,
  };
  late.commands = commandContext;

  context.subscriptions.push(
    log,
    config,
    session,
    panel,
    ...TrainingViewProvider.register(viewContext),
    registerStatusBar(session),
    ...registerCommands(commandContext),
    config.onDidChange((s) => session.setPace(s.stepsPerSecond)),
    // The walkthrough's first step is done once a model file is on screen.
    vscode.window.onDidChangeVisibleTextEditors(() => setModelFileContext()),
    ...registerTorch(commandContext),
    session.onDidChangeState((state) => {
      log.info(`session ${state}`);
      void vscode.commands.executeCommand('setContext', 'gradientLens.state', state);
      void vscode.commands.executeCommand('setContext', 'gradientLens.active', session.isActive);
      void vscode.commands.executeCommand('setContext', 'gradientLens.hasRun', state !== 'idle');
    }),
    session.onDidError((message) => {
      // Errors while starting are reported by the Train/Step command that started the run.
      if (session.snapshot.run) void notify.show('error', message);
      else log.error(plainText(message));
    }),
  );
  void vscode.commands.executeCommand('setContext', 'gradientLens.state', 'idle');
  setModelFileContext();
  registerDebugging(context, () => config.settings, session);

  return {
    session,
    panel,
    lastRender: (mode = 'panel') => renders.lastRender(mode),
    waitForRender: (pred, timeoutMs, mode = 'panel') => renders.waitForRender(pred, timeoutMs, mode),
    received: (mode = 'panel') => renders.postStats(mode),
    notices: () => notify.notices,
    modelFileOpen: () => modelFileOpen,
  };
}

let modelFileOpen = false;
function setModelFileContext(): void {
  modelFileOpen = vscode.window.visibleTextEditors.some((e) => isModelFile(e.document.uri));
  void vscode.commands.executeCommand('setContext', 'gradientLens.modelFileOpen', modelFileOpen);
}

export function deactivate(): void {
  // Everything is in context.subscriptions; disposing the session terminates its worker.
}
