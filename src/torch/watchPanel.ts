// The extension's side of `gradlens.watch`: the listeners scripts connect to (a private socket
// whose address goes into the terminals "Open PyTorch Terminal" opens, and on request the
// documented fallback port), and for each script that says hello a WatchSource shown in the panel
// like any run. A script that connects while another run trains waits for the user's go-ahead
// (showing it would end that run); every line is also logged to the PyTorch output channel.

import * as vscode from 'vscode';
import type { CommandContext } from '../commands/context';
import { Commands } from '../session/observable';
import { FALLBACK_PORT, WatchListener, type WatchMessage } from './watchListener';
import { WatchRouter } from './watchRouter';
import type { WatchSource } from './watchSource';

export class WatchSessions implements vscode.Disposable {
  private socket: WatchListener | null = null;
  private port: WatchListener | null = null;
  private readonly router: WatchRouter;

  constructor(
    private readonly ctx: CommandContext,
    private readonly out: vscode.OutputChannel,
    perExample: () => string[],
  ) {
    this.router = new WatchRouter({
      perExample,
      line: (msg) => this.out.appendLine(logLine(msg)),
      opened: (source) => void this.show(source),
      closed: (source) => this.out.appendLine(`${source.label} (pid ${source.pid}): the connection closed`),
    });
  }

  /** The private socket terminals get (started on first use). */
  async socketListener(): Promise<WatchListener> {
    this.socket ??= await this.open({});
    return this.socket;
  }

  /** The fallback port scripts started outside the extension's terminals connect to. */
  async portListener(): Promise<WatchListener> {
    this.port ??= await this.open({ tcpPort: FALLBACK_PORT });
    return this.port;
  }

  /** The source of the script with this process id (for tests and the output channel). */
  sourceOf(pid: number): WatchSource | undefined {
    return this.router.open.find((s) => s.pid === pid);
  }

  dispose(): void {
    this.router.dispose();
    this.socket?.close();
    this.port?.close();
    this.socket = this.port = null;
  }

  private async open(opts: { tcpPort?: number }): Promise<WatchListener> {
    const listener = new WatchListener(this.router);
    await listener.listen(opts);
    return listener;
  }

  private async show(source: WatchSource): Promise<void> {
    const session = this.ctx.session;
    // Showing it ends whatever trains in the panel now (another script is detached, not ended).
    if (session.isActive) {
      const pick = await this.ctx.notify.show(
        'info',
        `${source.label} connected. Showing it in the panel ends the run training there now.`,
        {},
        'Show in Panel',
      );
      if (pick !== 'Show in Panel' || source.over) return;
    }
    await vscode.commands.executeCommand(Commands.openPanel);
    // No model file belongs to a script: commands that need one ask for it. A failure is the run's
    // own message (shown by the session), so the rejection is not shown twice.
    session.startSource(source, undefined, { paused: false, stepOnly: false }).catch(() => undefined);
  }
}

function logLine(msg: WatchMessage): string {
  switch (msg.type) {
    case 'hello':
      return `${msg.script ?? 'a script'} (pid ${msg.pid}, torch ${msg.torch}) connected: ${msg.layers.map((l) => `${l.name} ${l.type}`).join(', ')}`;
    case 'notice':
      return msg.message;
    case 'step':
      return `step ${msg.step}${msg.loss === null ? '' : `  loss ${msg.loss.toFixed(4)}`}  ${msg.layers.map((l) => `${l.name}: ‖G‖ ${l.gradNorm?.toFixed(3) ?? '—'} upd ${l.updateRatio?.toExponential(1) ?? '—'}`).join('  ')}`;
    default:
      return `${msg.type} at step ${msg.step}${msg.message ? `: ${msg.message}` : ''}`;
  }
}
