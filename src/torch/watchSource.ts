// One `gradlens.watch(model, optimizer)` connection as a RunSource: the user's own PyTorch loop in
// the panel like any run (loss, layer health, per-example gradients of the layers it asked for,
// status bar). The script owns its process: Pause, Step and Resume hold its loop inside
// optimizer.step() between two steps (watcher.py waits there); Stop detaches (the script goes on
// without Gradient Lens) since the extension must not end a process it did not start. How the
// connection ends decides how the run ends: the script returned or closed its watch → finished;
// an exception left it → failed with that exception; Ctrl+C or a detach → stopped; a connection
// that closes without a word (the process was killed) → failed. The history stays in every case.

import type { HeatmapMode, ParamSelection } from '../protocol';
import type { RunControl, RunSource, RunSourceCapabilities, SourceEvent } from '../run/source';
import type { WatchConnection, WatchHello, WatchMessage } from './watchListener';
import { scriptLabel, watchDescription, watchDetail, watchRecord } from './watchRecords';

/** How long Stop waits for the script to confirm its detach before letting go of the connection. */
const DETACH_GRACE_MS = 2000;
/** Events kept for a run not shown yet. */
const MAX_QUEUED = 20_000;

export class WatchSource implements RunSource {
  readonly capabilities: RunSourceCapabilities = { stopPoints: [], stepUnits: ['batch'], perExample: false };
  private listener: ((e: SourceEvent) => void) | null = null;
  private readonly queued: SourceEvent[] = [];
  private ended = false;
  private step = 0;
  private seen = 0;
  private startTime: number | null = null;
  private batchSize = 0;
  private perExampleNote: string | undefined;
  private last: WatchMessage | null = null;
  private holdReason: 'pause' | 'step' = 'pause';
  private detached: (() => void) | null = null;

  constructor(
    private readonly conn: WatchConnection,
    private readonly hello: WatchHello,
  ) {
    this.perExampleNote = hello.batchNorm
      ? // The watcher's own words when asked for them (python/gradlens/watcher.py), known from its hello already.
        "per-example gradients are not defined for this model: BatchNorm makes each example's output depend on the whole batch. Layer norms are still sent."
      : `${scriptLabel(hello)} sends layer statistics only: ask for per-example gradients of Linear or Conv2d modules with gradlens.watch(model, optimizer, per_example=["fc1"]) or the setting gradientLens.pytorch.watchPerExample.`;
  }

  get label(): string {
    return scriptLabel(this.hello);
  }

  get pid(): number {
    return this.hello.pid;
  }

  /** The run has ended (or the panel let go of it). */
  get over(): boolean {
    return this.ended;
  }

  start(listener: (e: SourceEvent) => void): Promise<void> {
    this.listener = listener;
    for (const e of this.queued.splice(0)) listener(e);
    return Promise.resolve();
  }

  /** The first events of the run: queued until the panel's run starts this source. */
  begin(): void {
    this.emit({ type: 'loaded', run: this.description() });
    this.emit({ type: 'resumed', progress: { step: 0, epoch: 0 } });
  }

  /** A line of the script. */
  message(msg: WatchMessage): void {
    if (this.ended) return;
    this.last = msg;
    switch (msg.type) {
      case 'step': {
        this.startTime ??= msg.time;
        const record = watchRecord(msg, this.startTime, this.seen);
        this.seen = record.examplesSeen;
        this.step = msg.step;
        const detail = watchDetail(msg);
        if (record.batchSize !== this.batchSize || (detail && this.perExampleNote)) {
          this.batchSize = record.batchSize;
          if (detail) this.perExampleNote = undefined;
          this.emit({ type: 'loaded', run: this.description() });
        }
        this.emit({ type: 'step', record });
        if (detail) this.emit({ type: 'detail', detail });
        return;
      }
      case 'notice':
        if (msg.kind === 'batchnorm' || msg.kind === 'unsupported') {
          this.perExampleNote = msg.message;
          this.emit({ type: 'loaded', run: this.description() });
        }
        return;
      case 'held':
        this.emit({ type: 'halted', at: null, reason: this.holdReason, progress: { step: msg.step, epoch: 0 } });
        return;
      case 'released':
        this.emit({ type: 'resumed', progress: { step: msg.step, epoch: 0 } });
        return;
      case 'detached':
        this.detached?.();
        return;
      default:
        return;
    }
  }

  /** The connection closed: the run ends according to the script's last word. */
  closed(): void {
    if (this.ended) return;
    const last = this.last;
    const progress = { step: this.step, epoch: 0 };
    const at = `after ${this.step} step${this.step === 1 ? '' : 's'}`;
    if (last?.type === 'exit' || last?.type === 'closed') this.end({ type: 'finished', progress });
    else if (last?.type === 'interrupted' || last?.type === 'detached') this.end({ type: 'stopped', progress });
    else if (last?.type === 'crashed')
      this.end({ type: 'failed', error: { kind: 'gone', message: `${this.label} crashed ${at}: ${last.message}` } });
    else
      this.end({
        type: 'failed',
        error: { kind: 'gone', message: `${this.label} ended ${at} without a word (was it killed?); the steps so far are kept` },
      });
  }

  async control(c: RunControl): Promise<void> {
    if (this.ended) return;
    if (c.type === 'restart') throw new Error(`${this.label} runs in its own process: Gradient Lens cannot restart it`);
    if (c.type === 'stop') {
      // Not the user's process to end: the script is told to go on without Gradient Lens.
      const confirmed = new Promise<void>((resolve) => {
        this.detached = resolve;
        setTimeout(resolve, DETACH_GRACE_MS);
      });
      this.conn.send({ type: 'detach' });
      await confirmed;
      this.conn.close();
      this.end({
        type: 'stopped',
        progress: { step: this.step, epoch: 0, message: `detached from ${this.label}: the script goes on without Gradient Lens` },
      });
      return;
    }
    if (c.type !== 'resume') this.holdReason = c.type;
    this.conn.send({ type: c.type });
  }

  follow(selection: ParamSelection | null, _mode: HeatmapMode): void {
    const layer = selection && this.hello.layers.find((l) => l.index === selection.layer);
    if (!selection || !layer || selection.kind !== 'weight' || layer.perExample === false) return;
    this.conn.send({ type: 'follow', layer: layer.name, index: selection.index });
  }

  dispose(): void {
    if (!this.ended) {
      // The panel moved on to another run: let the script go on, never held.
      this.conn.send({ type: 'detach' });
      this.conn.close();
    }
    this.ended = true;
    this.listener = null;
  }

  private description() {
    return watchDescription(this.hello, this.batchSize, this.perExampleNote);
  }

  private end(event: SourceEvent): void {
    if (this.ended) return;
    this.emit(event);
    this.ended = true;
  }

  private emit(e: SourceEvent): void {
    if (this.ended) return;
    if (this.listener) this.listener(e);
    else {
      this.queued.push(e);
      // Waiting for the user's go-ahead: keep the description and the newest steps (the history is capped anyway).
      if (this.queued.length > MAX_QUEUED) this.queued.splice(2, 1);
    }
  }
}
