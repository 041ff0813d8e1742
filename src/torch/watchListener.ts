// The extension's end of `gradlens.watch(model, optimizer)`: a local socket a user's own PyTorch
// script connects to. Its address goes into the environment (GRADLENS_WATCH) of the terminals the
// extension opens; scripts started elsewhere use the documented fallback port (python/gradlens/watcher.py).
// Each script is one connection: a `hello` (its layers), then a `step` line per optimizer step;
// the listener can ask a script for per-example gradients of chosen layers.

import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';

export const WATCH_ENV = 'GRADLENS_WATCH';
export const FALLBACK_PORT = 52765;

export interface WatchLayer {
  index: number;
  name: string;
  type: string;
  params: { name: string; shape: number[] }[];
}
export interface WatchHello {
  type: 'hello';
  pid: number;
  script: string | null;
  torch: string;
  batchNorm: boolean;
  layers: WatchLayer[];
}
export interface WatchLayerStep {
  layer: number;
  name: string;
  gradNorm: number | null;
  weightNorm: number;
  updateRatio: number | null;
  /** Only for layers asked for: ‖per-example gradient‖ as back-propagated (gᵢ/M with a mean loss). */
  perExampleNorms?: number[];
  /** ‖Σᵢ per-example − .grad‖ / ‖.grad‖ of the weight: the per-example gradients add up to the batch gradient. */
  sumCheck?: number | null;
}
export interface WatchStep {
  type: 'step';
  step: number;
  time: number;
  loss: number | null;
  learningRate: number | null;
  layers: WatchLayerStep[];
}
export interface WatchNotice {
  type: 'notice';
  kind: string;
  message: string;
}
export type WatchMessage = WatchHello | WatchStep | WatchNotice;

export interface WatchConnection {
  readonly id: number;
  /** Asks the script for per-example gradients of these modules (by name); [] switches them off. */
  requestPerExample(layers: string[]): void;
}

export interface WatchEvents {
  message(conn: WatchConnection, msg: WatchMessage): void;
  closed?(conn: WatchConnection): void;
}

export class WatchListener {
  private server: net.Server | null = null;
  private dir: string | null = null;
  private readonly sockets = new Set<net.Socket>();
  private nextId = 1;
  /** `unix:/…` or `tcp:127.0.0.1:PORT`, once listening. */
  address = '';

  constructor(private readonly events: WatchEvents) {}

  /** A socket file in a fresh private folder (the default), or a TCP port on 127.0.0.1 (0 = any free one). */
  async listen(opts: { tcpPort?: number } = {}): Promise<string> {
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          new Error(
            e.code === 'EADDRINUSE'
              ? `port ${opts.tcpPort} is already in use: another window may be listening for PyTorch scripts`
              : `cannot listen for PyTorch scripts: ${e.message}`,
          ),
        ),
      );
      if (opts.tcpPort !== undefined) {
        server.listen(opts.tcpPort, '127.0.0.1', () => resolve());
      } else {
        this.dir = mkdtempSync(path.join(os.tmpdir(), 'gradlens-watch-'));
        server.listen(path.join(this.dir, 'watch.sock'), () => resolve());
      }
    });
    const a = server.address();
    this.address = typeof a === 'string' ? `unix:${a}` : `tcp:127.0.0.1:${(a as net.AddressInfo).port}`;
    return this.address;
  }

  /** The environment a terminal needs so `gradlens.watch` in it finds this listener. */
  env(pythonPackageDir?: string): Record<string, string> {
    const env: Record<string, string> = { [WATCH_ENV]: this.address };
    if (pythonPackageDir) env.PYTHONPATH = [pythonPackageDir, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter);
    return env;
  }

  close(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    this.server?.close();
    this.server = null;
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    const conn: WatchConnection = {
      id: this.nextId++,
      requestPerExample: (layers) => {
        if (!socket.destroyed) socket.write(`${JSON.stringify({ type: 'perExample', layers })}\n`);
      },
    };
    socket.on('error', () => {}); // a script that dies mid-line just closes its connection
    readline.createInterface({ input: socket }).on('line', (line) => {
      let msg: WatchMessage;
      try {
        msg = JSON.parse(line) as WatchMessage;
      } catch {
        return;
      }
      if (msg && typeof msg === 'object' && typeof msg.type === 'string') this.events.message(conn, msg);
    });
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.events.closed?.(conn);
    });
  }
}
