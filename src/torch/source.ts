// A PyTorch run as a RunSource: writes the job (the engine's spec, initial weights and batches),
// starts `python3 -m gradlens.launch` (which starts the DDP ranks and watches their heartbeats)
// and turns its JSON lines into source events. Every way it can end (finished, a rank crashed or
// hung, Python or torch missing, the process killed, a stop) ends in exactly one `finished`,
// `failed` or `stopped` event; the history already delivered stays with the caller.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Dataset } from '../data/dataset';
import type { LayerInfo } from '../engine/types';
import type { NamedTensor } from '../engine/trainer';
import type { ModelSpec } from '../model/spec';
import type { RunControl, RunSource, RunSourceCapabilities, SourceEvent, StepRecord } from '../run/source';
import { removeJob, writeJob } from './job';

export type { TorchStepRecord } from './types';

export const DEFAULT_PYTHON = '/usr/bin/python3';

export interface TorchSourceOptions {
  /** Workspace-relative model file path, for descriptions and messages. */
  file: string;
  spec: ModelSpec;
  train: Dataset;
  validation: Dataset | null;
  /** The engine's initial weights and layer descriptions (from a Trainer on the same spec). */
  weights: NamedTensor[];
  layers: LayerInfo[];
  /** Number of ranks on this machine (default 1). */
  nproc?: number;
  maxSteps?: number;
  /** The interpreter (default /usr/bin/python3: a python3 earlier on PATH may not see Debian's torch). */
  python?: string;
  /** Extra interpreter arguments before `-m gradlens.launch`. */
  pythonArgs?: string[];
  /** Seconds without a heartbeat from a rank before the run counts as hung (default 120). */
  stallTimeoutSeconds?: number;
  /** Seconds the ranks may take to start (import torch, join the rendezvous); default 300. */
  startupTimeoutSeconds?: number;
  /** MASTER_PORT for the rendezvous; 0 (default) picks a free one. */
  masterPort?: number;
  /** Extra environment for the launcher and its ranks. */
  env?: Record<string, string>;
}

/** The folder holding the `gradlens` package: python/ beside dist/ (bundle) or beside src/ (sources). */
export function pythonPackageDir(): string {
  const candidates = [path.resolve(__dirname, '..', 'python'), path.resolve(__dirname, '..', '..', 'python')];
  return candidates.find((d) => existsSync(path.join(d, 'gradlens', '__init__.py'))) ?? candidates[0];
}

export class TorchSource implements RunSource {
  // Pause, Resume and Step take effect between two steps (the ranks agree on where to hold).
  readonly capabilities: RunSourceCapabilities = { stopPoints: [], stepUnits: ['batch'], perExample: false };
  private proc: ChildProcess | null = null;
  private jobDir: string | null = null;
  private ended = false;
  private stopping = false;
  private listener: (event: SourceEvent) => void = () => {};
  private exited: Promise<void> = Promise.resolve();
  private watchdog: ReturnType<typeof setTimeout> | null = null;
  private failure: { kind: string; message: string } | null = null;
  private rankCount: number;
  private readonly pids: number[] = [];
  /** Why the ranks will hold next: the last control asked for a pause or for one step. */
  private holdReason: 'pause' | 'step' = 'pause';

  constructor(private readonly opts: TorchSourceOptions) {
    this.rankCount = opts.nproc ?? 1;
  }

  async start(listener: (event: SourceEvent) => void): Promise<void> {
    this.listener = listener;
    const o = this.opts;
    this.jobDir = writeJob({ spec: o.spec, train: o.train, validation: o.validation, weights: o.weights, maxSteps: o.maxSteps });
    const python = o.python ?? DEFAULT_PYTHON;
    const stall = o.stallTimeoutSeconds ?? 120;
    const startup = o.startupTimeoutSeconds ?? 300;
    const args = [
      ...(o.pythonArgs ?? []),
      '-m',
      'gradlens.launch',
      this.jobDir,
      '--nproc',
      String(this.rankCount),
      '--stall-timeout',
      String(stall),
      '--startup-timeout',
      String(startup),
      '--master-port',
      String(o.masterPort ?? 0),
      '--watch-stdin',
    ];
    const pkg = pythonPackageDir();
    const env = {
      ...process.env,
      ...o.env,
      PYTHONPATH: [pkg, o.env?.PYTHONPATH ?? process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
      PYTHONUNBUFFERED: '1',
      PYTHONDONTWRITEBYTECODE: '1',
    };
    const proc = spawn(python, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc = proc;
    const stderrTail: string[] = [];
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (chunk: string) => {
      stderrTail.push(...chunk.split('\n'));
      stderrTail.splice(0, Math.max(0, stderrTail.length - 20));
    });
    proc.stdin!.on('error', () => {}); // the launcher may be gone already: its exit tells why
    // The launcher watches its ranks; this watches the launcher (the beats it forwards), with a
    // margin, and with the startup allowance until the first step has arrived.
    let started = false;
    const arm = (): void => {
      if (this.watchdog) clearTimeout(this.watchdog);
      const seconds = started ? 2 * stall : startup + 2 * stall;
      this.watchdog = setTimeout(() => {
        this.fail('launcher-hung', `the PyTorch launcher sent nothing for ${seconds} s; it was ended`);
        proc.kill('SIGKILL');
      }, seconds * 1000);
    };
    arm();
    readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
      started ||= line.startsWith('{"type": "step"') || line.startsWith('{"type":"step"');
      arm();
      this.onLine(line);
    });
    this.exited = new Promise<void>((resolve) => {
      proc.on('error', (e: NodeJS.ErrnoException) => {
        this.fail(
          e.code === 'ENOENT' ? 'no-python' : 'python-failed',
          e.code === 'ENOENT'
            ? `Python was not found at ${python}; install python3 and python3-torch, or set the interpreter (gradientLens.pythonPath / --python)`
            : `could not start ${python}: ${e.message}`,
        );
        this.cleanup();
        resolve();
      });
      proc.on('close', (code, signal) => {
        if (!this.ended) {
          const tail = stderrTail
            .filter((l) => l.trim())
            .slice(-3)
            .join(' | ');
          if (this.stopping) this.finish({ type: 'stopped' });
          else
            this.fail(
              'python-exited',
              `the PyTorch launcher ended (${signal ?? `exit code ${code}`}) without finishing${tail ? `: ${tail}` : ''}`,
            );
        }
        this.cleanup();
        resolve();
      });
    });
  }

  /** Resolves once the run has ended (finished, failed or stopped). */
  whenEnded(): Promise<void> {
    return this.exited;
  }

  async control(control: RunControl): Promise<void> {
    if (control.type === 'stop') {
      this.stopping = true;
      this.proc?.stdin?.end(); // the launcher ends its ranks when its stdin closes
      await this.exited;
      return;
    }
    if (control.type === 'restart') throw new Error('a PyTorch run cannot restart: stop it and train again');
    // The launcher turns these lines into the control file rank 0 reads before each step.
    if (control.type !== 'resume') this.holdReason = control.type;
    this.proc?.stdin?.write(`${control.type}\n`);
  }

  dispose(): void {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      this.stopping = true;
      this.proc.stdin?.end();
      const p = this.proc;
      // Closing stdin ends the ranks cleanly; SIGKILL if the launcher does not go in time.
      const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
      p.once('close', () => clearTimeout(t));
    }
  }

  private onLine(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // not part of the protocol
    }
    switch (msg.type) {
      case 'ready':
        this.emit({
          type: 'loaded',
          run: {
            file: this.opts.file,
            spec: this.opts.spec,
            layers: this.opts.layers,
            trainSize: this.opts.train.count,
            validationSize: this.opts.validation?.count ?? 0,
            numClasses: this.opts.train.numClasses,
            backend: String(msg.backend),
          },
        });
        // The ranks train from here on: without this the run would still read "loading".
        this.emit({ type: 'resumed', progress: { step: 0, epoch: 0 } });
        return;
      case 'step': {
        const { type: _type, ...record } = msg;
        this.emit({ type: 'step', record: restoreNaN(record) as unknown as StepRecord });
        return;
      }
      case 'epoch': {
        const { type: _type, ...epoch } = msg;
        this.emit({ type: 'epoch', epoch: epoch as never });
        return;
      }
      case 'finished':
        this.finish({ type: 'finished' });
        return;
      case 'failed': {
        const err = msg.error as { kind: string; message: string };
        if (this.stopping && err.kind === 'stopped') this.finish({ type: 'stopped' });
        else this.fail(err.kind, err.message);
        return;
      }
      case 'held':
      case 'released': {
        const progress = { step: Number(msg.step) || 0, epoch: Number(msg.epoch) || 0 };
        this.emit(
          msg.type === 'held' ? { type: 'halted', at: null, reason: this.holdReason, progress } : { type: 'resumed', progress },
        );
        return;
      }
      case 'beat':
        if (typeof msg.pid === 'number') this.pids.push(msg.pid);
        return; // the watchdog has been re-armed already
      default:
        return;
    }
  }

  /** Process ids of the local ranks that have started (so callers can check none outlives the run). */
  get rankPids(): number[] {
    return this.pids.slice();
  }

  /** The failure that ended the run, if any. */
  get error(): { kind: string; message: string } | null {
    return this.failure;
  }

  private emit(event: SourceEvent): void {
    if (!this.ended) this.listener(event);
  }

  private finish(event: SourceEvent): void {
    if (this.ended) return;
    this.emit(event);
    this.ended = true;
  }

  private fail(kind: string, message: string): void {
    if (this.ended) return;
    this.failure = { kind, message };
    this.finish({ type: 'failed', error: { kind, message } });
  }

  private cleanup(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
    if (this.jobDir) removeJob(this.jobDir);
    this.jobDir = null;
  }
}

/** JSON has no NaN: the Python side writes null where the engine has NaN (noiseScale for M < 2). */
function restoreNaN(record: Record<string, unknown>): Record<string, unknown> {
  if (record.noiseScale === null) record.noiseScale = NaN;
  for (const l of (record.layers as Record<string, unknown>[] | undefined) ?? []) {
    for (const k of ['gradNorm', 'weightNorm', 'updateRatio', 'noiseScale']) if (l[k] === null) l[k] = NaN;
  }
  return record;
}
