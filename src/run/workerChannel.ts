// One worker seen from the host: every event it sends is checked against the protocol before use,
// requests are matched to their replies (pending.ts), and a heartbeat ends a worker that stops
// answering. Whatever way the worker goes (it crashes, exits, runs out of memory or hangs),
// `onGone` is told once, and every request still waiting is rejected once. The worker itself is a
// Transport: a worker_thread with memory limits (threadTransport, Node only) or the same loop in
// this thread (localChannel.ts, for tests and the recorder). No vscode.

import type { WorkerAnswer, WorkerEvent, WorkerRequest } from '../protocol';
import { PendingRequests } from '../protocol/pending';
import { validateWorkerEvent } from '../protocol/validate';

export interface WorkerLimits {
  /** V8 old-generation heap of the thread, in MB (typed arrays and WASM memory come on top). */
  heapMb: number;
  /** Threads the engine may train on inside it (the setting gradientLens.engineThreads; default "auto"). */
  engineThreads?: 'auto' | 1 | 2;
}

export interface HeartbeatOptions {
  /** How often the host asks. */
  intervalMs: number;
  /** Silence (no message at all) after which the thread counts as hung, on top of the slowest step seen. */
  timeoutMs: number;
  /**
   * How starved the machine is now: runnable threads per CPU core, 1 when there is a core for each
   * (threadTransport's machineLoad). Silence counts divided by it, so a worker that only waits for
   * a core is given the time it would have needed on a quiet machine. Default: always 1.
   */
  load?: () => number;
}

/** The wire to one worker. */
export interface Transport {
  postMessage(message: WorkerRequest): void;
  terminate(): Promise<void>;
  onMessage(listener: (raw: unknown) => void): void;
  /** The worker failed or ended: a user-facing reason. */
  onEnd(listener: (reason: string) => void): void;
  /** The thread's own memory, as its V8 isolate counts it (a worker_thread only; absent in this thread). */
  memory?(): Promise<ThreadMemory | null>;
  /** Writes a V8 heap snapshot of the thread to `file` (a worker_thread only). */
  writeHeapSnapshot?(file: string): Promise<void>;
}

/**
 * One thread's memory in bytes, from its isolate: the threads of a process share one address space,
 * so the OS has no per-thread resident size; this is what the thread's V8 heap and the buffers it owns
 * (typed arrays, WASM memories: `external`) take.
 */
export interface ThreadMemory {
  heapUsed: number;
  heapTotal: number;
  external: number;
}

export type RequestWithoutId = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** A request that must end the current slice of training at once (pause, step, stop, queries). */
const URGENT = new Set(['pause', 'step', 'stop', 'walkthrough', 'getWeights', 'setWeights']);

export class WorkerChannel {
  private readonly pending = new PendingRequests<WorkerAnswer>();
  private gone = false;
  private lastHeard = Date.now();
  private lastBeat = Date.now();
  /** Silence that counts against the worker: beats of a running host, each divided by the machine's load. */
  private silence = 0;
  private watching = false;
  /** Long requests in flight (a step-through): the worker answers when done, and its own timeout bounds it. */
  private holds = 0;
  /** Extra patience for steps that take long by themselves (big models): the slowest gap seen. */
  private slowest = 0;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private eventListener: (event: WorkerEvent) => void = () => {};
  private goneListener: (reason: string) => void = () => {};

  /**
   * @param interrupt shared with the worker (see runWorker): set right before an urgent request so
   *   its slice of training ends at once instead of after its time budget.
   */
  constructor(
    private readonly worker: Transport,
    private readonly heartbeatOptions?: HeartbeatOptions,
    private readonly interrupt?: Int32Array,
  ) {
    worker.onMessage((raw) => this.onMessage(raw));
    worker.onEnd((reason) => this.end(reason));
    if (heartbeatOptions) {
      this.heartbeat = setInterval(() => this.beat(), heartbeatOptions.intervalMs);
      this.heartbeat.unref?.();
    }
  }

  get isGone(): boolean {
    return this.gone;
  }

  onEvent(listener: (event: WorkerEvent) => void): void {
    this.eventListener = listener;
  }

  onGone(listener: (reason: string) => void): void {
    this.goneListener = listener;
  }

  /** Whether silence counts against the thread now (off while it loads data or does one long job). */
  watch(on: boolean): void {
    if (on && !this.watching) this.restartSilence(Date.now());
    this.watching = on;
  }

  /**
   * Silence does not count until the returned release is called (once), whatever events turn the
   * watch on meanwhile: a status or step report the worker sent before a long request began must not
   * start counting the request's own silence.
   */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.holds === 0) this.restartSilence(Date.now());
    };
  }

  private restartSilence(now: number): void {
    this.lastHeard = now;
    this.silence = 0;
  }

  /** The worker took `seconds` for one step: allow that much silence on top of the timeout. */
  sawStepTaking(seconds: number): void {
    if (Number.isFinite(seconds) && seconds * 1000 > this.slowest) this.slowest = seconds * 1000;
  }

  post(request: WorkerRequest): void {
    if (this.gone) return;
    if (this.interrupt && URGENT.has(request.type)) Atomics.store(this.interrupt, 0, 1);
    this.worker.postMessage(request);
  }

  /** Sends a request and resolves with its reply's value (rejects with the reply's sentence). */
  request(make: RequestWithoutId, timeout?: { ms: number; message: string }): Promise<WorkerAnswer> {
    if (this.gone) return Promise.reject(new Error('the worker has ended.'));
    const { id, answer } = this.pending.open(timeout);
    this.post({ ...make, id } as WorkerRequest);
    return answer;
  }

  /** Ends the thread; every waiting request is rejected with `reason`. Safe to call twice. */
  async terminate(reason = 'the run ended before the worker answered.'): Promise<void> {
    if (!this.gone) {
      this.gone = true;
      clearInterval(this.heartbeat);
      this.pending.failAll(new Error(reason));
    }
    await this.worker.terminate();
  }

  /** The thread's memory (null when the transport cannot tell or the worker is gone). */
  async memory(): Promise<ThreadMemory | null> {
    if (this.gone || !this.worker.memory) return null;
    return this.worker.memory().catch(() => null);
  }

  /** Writes a heap snapshot of the thread (false when the transport cannot). For the bench. */
  async writeHeapSnapshot(file: string): Promise<boolean> {
    if (this.gone || !this.worker.writeHeapSnapshot) return false;
    await this.worker.writeHeapSnapshot(file);
    return true;
  }

  /** Ends the thread without telling anyone first, so the real crash path runs. For tests. */
  async killForTests(): Promise<void> {
    await this.worker.terminate();
  }

  private onMessage(raw: unknown): void {
    if (this.gone) return;
    this.restartSilence(Date.now());
    const checked = validateWorkerEvent(raw);
    if (!checked.ok) {
      // Our own worker sent something the protocol does not allow: a bug, not user data. Drop it.
      return;
    }
    const event = checked.value;
    if (event.type === 'pong') return;
    if (event.type === 'reply') {
      this.pending.settle(event.id, event.ok ? { ok: true, value: event.value } : { ok: false, error: event.error });
      return;
    }
    this.eventListener(event);
  }

  private beat(): void {
    if (this.gone) return;
    const { intervalMs, timeoutMs, load } = this.heartbeatOptions!;
    const now = Date.now();
    const gap = now - this.lastBeat;
    this.lastBeat = now;
    // The host itself was held up (a busy event loop, a laptop asleep): the worker's messages may
    // be waiting unread, so this silence says nothing about the worker. Start counting again.
    if (gap > 3 * intervalMs) this.restartSilence(now);
    else if (this.watching && this.holds === 0) {
      // A late beat counts one interval (the rest the host was not running), and on a machine with
      // more runnable threads than cores each beat counts for the worker's share of a core: a worker
      // that is only waiting for a core is not hung, one that computes forever still runs out.
      this.silence += Math.min(gap, intervalMs) / Math.max(1, load?.() ?? 1);
    }
    if (this.silence > timeoutMs + 4 * this.slowest) {
      const seconds = ((now - this.lastHeard) / 1000).toFixed(1);
      this.end(`it stopped answering for ${seconds} s and was ended`);
      void this.worker.terminate();
      return;
    }
    this.worker.postMessage({ type: 'ping', id: 0 } satisfies WorkerRequest);
  }

  private end(reason: string): void {
    if (this.gone) return;
    this.gone = true;
    clearInterval(this.heartbeat);
    this.pending.failAll(new Error(`The worker stopped unexpectedly (${reason}).`));
    this.goneListener(reason);
  }
}
