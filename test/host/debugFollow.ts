// Following a debug session in the host tests: a DebugAdapterTracker that keeps what the client
// asked and what the adapter sent, and resolves waits for events or answers (never for time).

import * as vscode from 'vscode';
import type { DebugProtocol } from '@vscode/debugprotocol';

/** Collects what the client asks and the adapter sends; resolves waits for events and answers. */
export class Follow {
  readonly messages: DebugProtocol.ProtocolMessage[] = [];
  readonly requests: DebugProtocol.Request[] = [];
  private waiters: {
    match: (m: DebugProtocol.ProtocolMessage) => boolean;
    resolve: (m: DebugProtocol.ProtocolMessage) => void;
  }[] = [];
  readonly registration: vscode.Disposable;

  constructor() {
    this.registration = vscode.debug.registerDebugAdapterTrackerFactory('gradient-lens', {
      createDebugAdapterTracker: () => ({
        onWillReceiveMessage: (m: DebugProtocol.ProtocolMessage) => {
          if (m.type === 'request') this.requests.push(m as DebugProtocol.Request);
        },
        onDidSendMessage: (m: DebugProtocol.ProtocolMessage) => {
          this.messages.push(m);
          const done = this.waiters.filter((w) => w.match(m));
          this.waiters = this.waiters.filter((w) => !done.includes(w));
          for (const w of done) w.resolve(m);
        },
      }),
    });
  }

  next(event: string): Promise<DebugProtocol.Event> {
    return this.wait((m) => m.type === 'event' && (m as DebugProtocol.Event).event === event) as Promise<DebugProtocol.Event>;
  }

  /** The adapter's answer to the next request the client sends that satisfies `pred`. */
  answer(pred: (r: DebugProtocol.Request) => boolean): Promise<DebugProtocol.Response> {
    return this.wait((m) => {
      if (m.type !== 'response') return false;
      const req = this.requests.find((r) => r.seq === (m as DebugProtocol.Response).request_seq);
      return req !== undefined && pred(req);
    }) as Promise<DebugProtocol.Response>;
  }

  private wait(match: (m: DebugProtocol.ProtocolMessage) => boolean): Promise<DebugProtocol.ProtocolMessage> {
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }
}

/** Starts debugging `doc` with a breakpoint on the first line containing `needle`; resolves at the first stop. */
export async function startAtBreakpoint(
  doc: vscode.TextDocument,
  follow: Follow,
  needle: string,
  condition: string,
): Promise<{ session: vscode.DebugSession; bp: vscode.SourceBreakpoint; line: number; stopped: DebugProtocol.StoppedEvent }> {
  const line = doc
    .getText()
    .split('\n')
    .findIndex((l) => l.includes(needle));
  const bp = new vscode.SourceBreakpoint(new vscode.Location(doc.uri, new vscode.Position(line, 4)), true, condition);
  vscode.debug.addBreakpoints([bp]);
  const stopped = follow.next('stopped');
  const started = await vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(doc.uri), {
    type: 'gradient-lens',
    request: 'launch',
    name: 'Debug digits',
    model: doc.uri.fsPath,
  });
  if (!started) throw new Error('the debug session did not start');
  const ev = (await stopped) as DebugProtocol.StoppedEvent;
  const session = vscode.debug.activeDebugSession;
  if (session?.type !== 'gradient-lens') throw new Error(`the active debug session is ${session?.type}`);
  return { session, bp, line, stopped: ev };
}

export async function stop(session: vscode.DebugSession | undefined): Promise<void> {
  if (!session) return;
  const ended = new Promise<void>((r) => {
    const d = vscode.debug.onDidTerminateDebugSession((s) => {
      if (s.id === session.id) {
        d.dispose();
        r();
      }
    });
  });
  await vscode.debug.stopDebugging(session);
  await ended;
}
