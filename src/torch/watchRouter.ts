// Which WatchSource a script's line goes to: a hello opens a new source for its connection (begun,
// and asked for the per-example gradients the setting names), every later line of that connection
// goes to it, and a connection that closes ends it. The extension (watchPanel.ts) and the tests
// route through this one class, so what the tests run is the extension's routing. No vscode.

import type { WatchConnection, WatchEvents, WatchMessage } from './watchListener';
import { WatchSource } from './watchSource';

export interface WatchRoutes {
  /** The modules to ask every new script for per-example gradients of ([]: leave the script's own choice). */
  perExample(): string[];
  /** A script said hello: its source, begun (its first events wait for a run to start it). */
  opened(source: WatchSource): void;
  /** Every line as it arrives, before it is routed (the output channel). */
  line?(msg: WatchMessage): void;
  /** A source's connection closed (the source has been told). */
  closed?(source: WatchSource): void;
}

export class WatchRouter implements WatchEvents {
  private readonly sources = new Map<WatchConnection, WatchSource>();

  constructor(private readonly routes: WatchRoutes) {}

  /** The sources whose connections are open. */
  get open(): WatchSource[] {
    return [...this.sources.values()];
  }

  message(conn: WatchConnection, msg: WatchMessage): void {
    this.routes.line?.(msg);
    if (msg.type !== 'hello') {
      this.sources.get(conn)?.message(msg);
      return;
    }
    const source = new WatchSource(conn, msg);
    this.sources.set(conn, source);
    source.begin();
    const asked = this.routes.perExample();
    // An empty setting leaves the script's own per_example=[…] alone.
    if (asked.length) conn.requestPerExample(asked);
    this.routes.opened(source);
  }

  closed(conn: WatchConnection): void {
    const source = this.sources.get(conn);
    if (!source) return;
    this.sources.delete(conn);
    source.closed();
    this.routes.closed?.(source);
  }

  /** Lets every open source go (each script goes on without Gradient Lens). */
  dispose(): void {
    for (const s of this.sources.values()) s.dispose();
    this.sources.clear();
  }
}
