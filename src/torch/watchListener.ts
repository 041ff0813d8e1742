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
  /** Whether per-example gradients can be asked for (Linear, Conv2d with groups = 1). */
  perExample?: boolean;
  params: { name: string; shape: number[] }[];
}
export interface WatchHello {
  type: 'hello';
  pid: number;
  script: string | null;
  torch: string;
  batchNorm: boolean;
  /** The optimizer's class name (e.g. SGD, AdamW). */
  optimizer?: string | null;
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
  /** cos(cᵢ, Σ c) per example: how each example's share points against the batch's. */
  cosineToMean?: number[];
  /** ‖Σᵢ cᵢ − .grad‖ / ‖.grad‖ (weight and bias): the per-example shares add up to the batch gradient. */
  sumCheck?: number | null;
}

/** The optimizer's hyper-parameters for one parameter and its state at one entry, as torch holds them. */
export interface WatchOptimizerState {
  /** e.g. torch.optim.SGD */
  type: string;
  /** 'sgd' / 'adam' for exactly torch.optim.SGD / torch.optim.Adam; null for any other optimizer. */
  kind: 'sgd' | 'adam' | null;
  learningRate: number | null;
  weightDecay: number;
  maximize: boolean;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  beta1?: number | null;
  beta2?: number | null;
  epsilon?: number | null;
  amsgrad?: boolean;
  /** Momentum's buffer or Adam's exp_avg at the entry (null before the first step). */
  first?: number | null;
  /** Adam's exp_avg_sq at the entry. */
  second?: number | null;
  /** Adam's step count. */
  step?: number | null;
}

/** One weight entry of one layer in one step: each example's share cᵢ of its .grad, θ and the optimizer around the update. */
export interface WatchFollowed {
  layer: number;
  name: string;
  /** Flat index into the module's weight (torch layout, shape below). */
  index: number;
  shape: number[];
  perExample: number[];
  grad: number;
  before: number;
  after: number;
  optimizerBefore: WatchOptimizerState | null;
  optimizerAfter: WatchOptimizerState | null;
}
export interface WatchStep {
  type: 'step';
  step: number;
  time: number;
  loss: number | null;
  /** Where the loss came from: the script's w.loss(…), or the scalar it called .backward() on. */
  lossFrom?: 'w.loss' | 'backward' | null;
  /** How many scalars were back-propagated in this step (more than one: gradient accumulation). */
  backwardCalls?: number;
  /** The first dimension of the model's last input (null when it had none). */
  batchSize?: number | null;
  /** How the loss combined the batch: declared by the script, or read from the loss tensor; null when unknown. */
  reduction?: 'mean' | 'sum' | null;
  reductionDeclared?: boolean;
  learningRate: number | null;
  followed?: WatchFollowed | null;
  layers: WatchLayerStep[];
}
export interface WatchNotice {
  type: 'notice';
  kind: string;
  message: string;
}
/** How a script's watch ended, or where its loop holds: the last line before the connection closes, or a hold. */
export interface WatchEnd {
  type: 'exit' | 'closed' | 'crashed' | 'interrupted' | 'detached' | 'held' | 'released';
  step: number;
  message?: string;
}
export type WatchMessage = WatchHello | WatchStep | WatchNotice | WatchEnd;

export interface WatchConnection {
  readonly id: number;
  /** Asks the script for per-example gradients of these modules (by name); [] switches them off. */
  requestPerExample(layers: string[]): void;
  /** Any request watcher.py reads (pause, step, resume, detach, follow). */
  send(request: { type: string; [key: string]: unknown }): void;
  /** Ends the connection (the script goes on without it). */
  close(): void;
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
    const send = (request: object): void => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(request)}\n`);
    };
    const conn: WatchConnection = {
      id: this.nextId++,
      requestPerExample: (layers) => send({ type: 'perExample', layers }),
      send,
      close: () => socket.end(),
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
