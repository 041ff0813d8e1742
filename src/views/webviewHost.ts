// Everything the panel and the sidebar view share on the host side: HTML with a strict CSP and a
// fresh nonce, the ready handshake (nothing is posted before the webview says `ready`; then it gets
// a full snapshot), forwarding of the session's throttled updates, and webview → host messages:
// each is checked against the protocol first, and every request gets one response with its id.

import * as vscode from 'vscode';
import { writeFileAtomic } from '../export/atomicWrite';
import type { HostMessage, PanelCommand, WebviewMessage, WebviewRequest } from '../protocol';
import { validateWebviewMessage } from '../protocol/validate';
import { plainText } from './plainText';
import { Commands } from '../session/observable';
import type { TrainingSession } from '../session/session';
import { messageBytes, splitSnapshot, ViewPacer } from '../session/outbox';
import { makeNonce, renderPanelHtml } from './html';
import type { RenderLog, ViewMode } from './renderLog';

export interface ViewHostContext {
  readonly extensionUri: vscode.Uri;
  readonly session: TrainingSession;
  readonly renders: RenderLog;
  /** Where refused messages are noted (the output channel). */
  readonly log?: (line: string) => void;
  /** Shows a range of the model file whose problems the panel lists (src/commands/modelFile.ts). */
  readonly revealProblem?: (offset: number, length: number) => Promise<void>;
}

const PANEL_COMMANDS: Record<PanelCommand, string> = {
  train: Commands.train,
  pause: Commands.pause,
  resume: Commands.resume,
  step: Commands.step,
  stop: Commands.stop,
  reset: Commands.reset,
  gradCheck: Commands.gradientCheck,
  compare: Commands.compareBatchSizes,
  stepThrough: Commands.stepThroughBatch,
  repeat: Commands.repeatOneExample,
  openPanel: Commands.openPanel,
  slow: Commands.toggleSlow,
};

/** The only folder a Gradient Lens webview may load from (the build copies the codicons into it). */
export function localResourceRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')];
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: localResourceRoots(extensionUri) };
}

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, mode: ViewMode): string {
  const dist = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
  return renderPanelHtml({
    cspSource: webview.cspSource,
    nonce: makeNonce(),
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'main.js')).toString(),
    styleUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'main.css')).toString(),
    codiconsUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'codicons', 'codicon.css')).toString(),
    mode,
  });
}

/** A webview panel or view: what connectWebview needs of either. */
export interface WebviewHolder {
  readonly webview: vscode.Webview;
  readonly visible: boolean;
  readonly onDidDispose: vscode.Event<void>;
}

/**
 * Connects a panel's or a view's webview to the session. Hidden webviews lose their document (no
 * retainContextWhenHidden: it would keep a whole renderer alive); the reloaded document says
 * `ready` again and gets a fresh snapshot. `gone` runs once the holder is disposed.
 */
export function connectWebview(
  holder: WebviewHolder,
  visibilityChanged: vscode.Event<unknown>,
  mode: ViewMode,
  ctx: ViewHostContext,
  gone: () => void,
): WebviewConnection {
  const connection = new WebviewConnection(holder.webview, mode, ctx);
  visibilityChanged(() => {
    if (!holder.visible) connection.hidden();
  });
  holder.onDidDispose(() => {
    connection.dispose();
    gone();
  });
  return connection;
}

/** Connects one webview (panel or sidebar) to the session until disposed. */
export class WebviewConnection implements vscode.Disposable {
  private ready = false;
  private readyWaiters: (() => void)[] = [];
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly pacer = new ViewPacer(
    (m) => this.post(m),
    16,
    () => this.postSnapshot(),
  );

  constructor(
    private readonly webview: vscode.Webview,
    private readonly mode: ViewMode,
    private readonly ctx: ViewHostContext,
  ) {
    webview.options = webviewOptions(ctx.extensionUri);
    webview.html = webviewHtml(webview, ctx.extensionUri, mode);
    this.subscriptions.push(
      webview.onDidReceiveMessage((m: unknown) => this.onRaw(m)),
      ctx.session.onDidPost((m) => {
        if (!this.ready) return;
        // Updates left out while the view was behind: once training rests the pacer asks for the whole state.
        this.pacer.post(m);
      }),
    );
  }

  /** Resolves once the webview has said `ready` (at once when it has). */
  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** The webview was hidden (its document is discarded): wait for its next `ready`. */
  hidden(): void {
    this.ready = false;
  }

  /** Sends the whole current state (after ready, or when the view becomes visible again). */
  postSnapshot(): void {
    if (this.ready) this.pacer.post(this.ctx.session.snapshotMessage());
  }

  dispose(): void {
    this.ready = false;
    // Nobody waits for a webview that is gone.
    for (const w of this.readyWaiters.splice(0)) w();
    for (const s of this.subscriptions) s.dispose();
  }

  private async post(message: HostMessage): Promise<void> {
    // A whole state goes in parts of bounded size, posted in order (see splitSnapshot).
    await Promise.all(splitSnapshot(message).map((part) => this.postPart(part)));
  }

  private async postPart(message: HostMessage): Promise<void> {
    if (await this.webview.postMessage(message)) this.ctx.renders.posted(this.mode, message, messageBytes(message));
  }

  private onRaw(raw: unknown): void {
    const checked = validateWebviewMessage(raw);
    if (checked.ok) return this.onMessage(checked.value);
    // A malformed message is answered when it names a request id, and otherwise only logged:
    // nothing from a webview reaches the session unchecked.
    const id = raw && typeof raw === 'object' ? (raw as { id?: unknown }).id : undefined;
    if (typeof id === 'number' && Number.isSafeInteger(id))
      void this.respond(id, new Error(`the panel sent a malformed request: ${checked.error}`));
    this.ctx.log?.(`ignored a webview message: ${plainText(checked.error, 200)}`);
  }

  private onMessage(message: WebviewMessage): void {
    switch (message.type) {
      case 'ready': {
        this.ready = true;
        this.postSnapshot();
        const waiters = this.readyWaiters;
        this.readyWaiters = [];
        for (const w of waiters) w();
        return;
      }
      case 'rendered':
        this.ctx.renders.rendered(this.mode, message.summary);
        return;
      default:
        void this.answer(message);
    }
  }

  /** Carries out a request and answers it with its id, whatever happens. */
  private async answer(request: WebviewRequest): Promise<void> {
    try {
      switch (request.type) {
        case 'select':
          this.ctx.session.select(request.selection);
          break;
        case 'heatmapMode':
          this.ctx.session.setHeatmapMode(request.mode);
          break;
        case 'command':
          await this.runCommand(request.command);
          break;
        case 'savePng':
          await savePng(request.name, request.dataUrl);
          break;
        case 'reveal':
          await this.ctx.revealProblem?.(request.offset, request.length);
          break;
      }
      await this.respond(request.id);
    } catch (e) {
      await this.respond(request.id, e);
    }
  }

  private async respond(id: number, error?: unknown): Promise<void> {
    // Through the pacer: an answer comes after the updates that wait for the view, never before them.
    if (error === undefined) return this.pacer.post({ type: 'response', id, ok: true });
    const message = error instanceof Error ? error.message : typeof error === 'string' ? error : 'the request failed.';
    this.pacer.post({ type: 'response', id, ok: false, error: plainText(message, 500) });
  }

  private async runCommand(command: PanelCommand): Promise<void> {
    const commandId = PANEL_COMMANDS[command];
    if (!commandId) throw new Error(`Unknown panel command "${command}".`);
    const all = await vscode.commands.getCommands(true);
    if (!all.includes(commandId)) throw new Error(`"${command}" is not available in this version of Gradient Lens.`);
    await vscode.commands.executeCommand(commandId);
  }
}

/** Writes a chart the webview rendered to PNG where the user chooses. */
async function savePng(name: string, dataUrl: string): Promise<void> {
  const match = /^data:image\/png;base64,([A-Za-z0-9+/=]+)$/.exec(dataUrl);
  if (!match) throw new Error('the chart could not be turned into a PNG.');
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '-');
  const target = await vscode.window.showSaveDialog({
    defaultUri: folder ? vscode.Uri.joinPath(folder, `${safe}.png`) : undefined,
    filters: { 'PNG image': ['png'] },
    title: 'Save chart as PNG',
  });
  if (!target) return;
  try {
    // A local file is replaced atomically (temp file in its folder, then rename): never half a PNG.
    const png = Buffer.from(match[1], 'base64');
    if (target.scheme === 'file') await writeFileAtomic(target.fsPath, png);
    else await vscode.workspace.fs.writeFile(target, png);
  } catch (e) {
    void vscode.window.showErrorMessage(
      `Gradient Lens: could not save ${target.fsPath}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}
