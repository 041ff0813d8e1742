// The extension-host half of `npm run bench:host` (scripts/bench-host.mjs starts it as the
// extensionTestsPath of a real VS Code server): it runs in the same extension host process as
// Gradient Lens, so perf_hooks sees that host's event loop. It opens the panel, trains a long run
// of the digits example at full speed, and records the event-loop lag (also for 5 s before it
// starts, as the machine's baseline) and memory, the extension host's and the training worker's
// apart, until GRADIENT_LENS_BENCH_SECONDS have passed; the numbers go to GRADIENT_LENS_BENCH_RESULTS.
// GRADIENT_LENS_BENCH_EVERY: seconds between samples (default: a twentieth of the run, 1…30 s).
// GRADIENT_LENS_BENCH_HEAP_SNAPSHOTS=<folder>: heap snapshots of the host and of the worker at half
// time and at the end (to compare what is retained: scripts/heap-diff.mjs).
// GRADIENT_LENS_BENCH_ALLOCATION_PROFILE=<file>: the host thread's sampled allocations over the run,
// collected ones included (a .heapprofile for DevTools; scripts/heap-diff.mjs --allocations sums it).
//
// Memory: worker_threads share one process, so the OS has one resident size for the host and its
// worker together (processRssMb). Apart: each isolate's own V8 heap and `external` (typed arrays,
// WASM memories), the host's from process.memoryUsage() in its main thread, the worker's from
// Worker.getHeapStatistics(); what is in neither is native (code, malloc, thread stacks).

import * as vscode from 'vscode';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { appendFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { GradientLensApi } from '../src/extension';
import { describe, summarize, type MemoryPoint } from './memorySeries';

const EXTENSION_ID = 'gradient-lens.gradient-lens';

interface Sample {
  seconds: number;
  step: number;
  /** The whole process: the host, its worker and everything native. */
  processRssMb: number;
  /** heapAfterGcMb: after a full collection, with GRADIENT_LENS_BENCH_GC=1 (what the host retains). */
  host: { heapUsedMb: number; heapTotalMb: number; externalMb: number; heapAfterGcMb?: number };
  /** The training worker's isolate (null where the host's Node cannot tell). */
  worker: { heapUsedMb: number; heapTotalMb: number; externalMb: number } | null;
  historyPoints: number;
  epochRows: number;
  loadAverage1m: number;
  /** The event-loop lag since the previous sample (each window its own measurement). */
  lagMs: { p50: number; p99: number; max: number };
}

// Node's histogram records the whole time between two callbacks of a repeating timer of this
// period (about RESOLUTION_MS when the loop is free): the lag is that minus the period. A fine
// period sees short blocks that a 10 ms one hides inside its own interval.
const RESOLUTION_MS = 1;
const mb = (b: number): number => Math.round((b / 2 ** 20) * 10) / 10;
const lagMs = (ns: number) => Math.round(Math.max(0, ns / 1e6 - RESOLUTION_MS) * 100) / 100;

async function until(ok: () => boolean, what: string, timeoutMs = 180_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function run(): Promise<void> {
  const out = process.env.GRADIENT_LENS_BENCH_RESULTS;
  const seconds = Number(process.env.GRADIENT_LENS_BENCH_SECONDS || 60);
  // Where the bench got to, with times: when no results come, this says where it stopped.
  const started = Date.now();
  const phase = (what: string) => {
    if (out) appendFileSync(`${out}.log`, `${((Date.now() - started) / 1000).toFixed(1)} s ${what}\n`);
  };
  try {
    const ext = vscode.extensions.getExtension<GradientLensApi>(EXTENSION_ID);
    if (!ext) throw new Error(`${EXTENSION_ID} is not installed in this host`);
    const gl = await ext.activate();
    const root = vscode.workspace.workspaceFolders?.[0]?.uri;
    if (!root) throw new Error('the bench needs a workspace folder (a copy of examples/)');
    const digits = vscode.Uri.joinPath(root, 'digits', 'digits.gradlens.json');
    const text = Buffer.from(await vscode.workspace.fs.readFile(digits)).toString('utf8');
    const uri = vscode.Uri.joinPath(root, 'digits', 'bench-run.gradlens.json');
    // 25 steps an epoch: 10 million epochs outlast any soak (100,000 ended a quiet 30-minute run at 23 minutes).
    await vscode.workspace.fs.writeFile(uri, Buffer.from(text.replace(/"epochs"\s*:\s*\d+/, '"epochs": 10000000'), 'utf8'));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    await vscode.commands.executeCommand('gradientLens.openPanel');
    phase('panel opened');
    // Every whole-state message the views are sent, with its size (only these: live updates are small).
    const snapshots: { seconds: number; historyPoints: number; bytes: number }[] = [];
    let t0 = Date.now();
    gl.session.onDidPost((m) => {
      if (m.type === 'snapshot')
        snapshots.push({
          seconds: Math.round((Date.now() - t0) / 100) / 10,
          historyPoints: m.snapshot.history.length,
          bytes: JSON.stringify(m).length,
        });
    });
    // The same measure before training, panel open: what the machine's load alone costs.
    const idle = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    idle.enable();
    await new Promise((r) => setTimeout(r, 5000));
    idle.disable();
    await vscode.commands.executeCommand('gradientLens.train', uri);
    const step = () => gl.session.snapshot.history.at(-1)?.step ?? 0;
    await until(() => step() > 0, 'the first step');
    phase('training');
    // The first steps include the worker's start and the WASM compile: measure from here on.
    // What the host keeps, not what it has yet to collect: heap after a full collection, before
    // and after the measured stretch (outside it, so the bench's own collections add no lag).
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const retained = () => {
      gc();
      return mb(process.memoryUsage().heapUsed);
    };
    const retainedAtStart = retained();
    // The whole run, and a second monitor read and reset at every sample (a window each: the same
    // measurement repeated). Node cannot merge its delay histograms, hence two timers.
    const lag = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    const windowLag = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    lag.enable();
    windowLag.enable();
    t0 = Date.now();
    const step0 = step();
    const samples: Sample[] = [];
    // A full collection at every sample (outside the lag measurement): the retained heap as a series.
    // It changes how V8 sizes the heap, so the other series are then not the natural run's.
    const collectEverySample = process.env.GRADIENT_LENS_BENCH_GC === '1';
    const sample = async () => {
      const w = { p50: lagMs(windowLag.percentile(50)), p99: lagMs(windowLag.percentile(99)), max: lagMs(windowLag.max) };
      windowLag.reset();
      const worker = await gl.session.workerMemory();
      const m = process.memoryUsage();
      const afterGc = collectEverySample ? await unmeasured(async () => retained()) : undefined;
      const snapshot = gl.session.snapshot;
      samples.push({
        seconds: Math.round((Date.now() - t0) / 100) / 10,
        step: snapshot.history.at(-1)?.step ?? 0,
        processRssMb: mb(m.rss),
        host: { heapUsedMb: mb(m.heapUsed), heapTotalMb: mb(m.heapTotal), externalMb: mb(m.external), heapAfterGcMb: afterGc },
        worker: worker && { heapUsedMb: mb(worker.heapUsed), heapTotalMb: mb(worker.heapTotal), externalMb: mb(worker.external) },
        historyPoints: snapshot.history.length,
        epochRows: snapshot.epochs.length,
        loadAverage1m: Math.round(loadavg()[0] * 100) / 100,
        lagMs: w,
      });
    };
    // Outside the lag measurement (both monitors paused): a full collection, heap snapshots.
    const unmeasured = async <T>(what: () => Promise<T>): Promise<T> => {
      lag.disable();
      windowLag.disable();
      try {
        return await what();
      } finally {
        lag.enable();
        windowLag.enable();
      }
    };
    const snapshotsDir = process.env.GRADIENT_LENS_BENCH_HEAP_SNAPSHOTS;
    const heapSnapshots: string[] = [];
    const snapshotBoth = async (label: string) => {
      if (!snapshotsDir) return;
      const host = writeHeapSnapshot(join(snapshotsDir, `host-${label}.heapsnapshot`));
      const worker = join(snapshotsDir, `worker-${label}.heapsnapshot`);
      heapSnapshots.push(host);
      if (await gl.session.writeWorkerHeapSnapshot(worker)) heapSnapshots.push(worker);
      phase(`heap snapshots ${label}`);
    };
    // Where the host allocates (garbage included: what makes V8 grow its heap), sampled over the run.
    const allocationProfile = process.env.GRADIENT_LENS_BENCH_ALLOCATION_PROFILE;
    const profiler = allocationProfile ? new Session() : null;
    if (profiler) {
      profiler.connect();
      await profiler.post('HeapProfiler.startSampling', {
        samplingInterval: 64 * 1024,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
    }
    await sample();
    const every = Number(process.env.GRADIENT_LENS_BENCH_EVERY) || Math.max(1, Math.min(30, seconds / 20));
    let retainedAtHalf: number | null = null;
    while (Date.now() - t0 < seconds * 1000) {
      await new Promise((r) => setTimeout(r, every * 1000));
      await sample();
      if (gl.session.state !== 'running') throw new Error(`the run stopped (${gl.session.state}) after ${step()} steps`);
      if (retainedAtHalf === null && Date.now() - t0 >= (seconds * 1000) / 2)
        retainedAtHalf = await unmeasured(async () => {
          await snapshotBoth('half');
          return retained();
        });
    }
    lag.disable();
    windowLag.disable();
    phase('measured');
    if (profiler && allocationProfile) {
      const { profile } = await profiler.post('HeapProfiler.stopSampling');
      writeFileSync(allocationProfile, JSON.stringify(profile));
      profiler.disconnect();
      phase(`allocation profile ${allocationProfile}`);
    }
    await snapshotBoth('end');
    const retainedAtEnd = retained();
    const memory = summarize(samples.map(memoryPoint));
    phase(`memory (start → end, slope over the second half):\n${describe(memory)}`);
    const delays = (h: { percentile(p: number): number; max: number; count: number }) => ({
      p50: lagMs(h.percentile(50)),
      p99: lagMs(h.percentile(99)),
      max: lagMs(h.max),
      count: h.count,
    });
    const steps = step() - step0;
    const result = {
      seconds,
      steps,
      stepsPerSecond: Math.round(steps / ((Date.now() - t0) / 1000)),
      eventLoopLagMs: {
        training: delays(lag),
        idleBeforeTraining: delays(idle),
        method:
          `perf_hooks.monitorEventLoopDelay({ resolution: ${RESOLUTION_MS} }) in the extension host: it records the time ` +
          `between two callbacks of a ${RESOLUTION_MS} ms repeating timer; the lag is that time minus ${RESOLUTION_MS} ms ` +
          '(percentiles over the timer callbacks; the idle figure is 5 s with the panel open before training).',
      },
      hostHeapAfterGcMb: { start: retainedAtStart, half: retainedAtHalf, end: retainedAtEnd },
      memory,
      memoryMethod:
        'processRssMb: the whole extension host process (the host, its training worker_thread and native memory: the OS ' +
        'has no resident size per thread). host*: process.memoryUsage() in the host thread (its isolate). worker*: ' +
        'Worker.getHeapStatistics() of the training thread (used_heap_size, total_heap_size, external_memory: ' +
        'typed arrays and WASM memory). Slopes: least squares over the samples of the second half, MB per minute.',
      heapSnapshots,
      panelReceived: gl.received('panel'),
      snapshotsPosted: snapshots,
      samples,
    };
    // The results first: cleaning up may wait on the workbench.
    if (out) writeFileSync(out, JSON.stringify(result, null, 2));
    phase('results written');
    await vscode.commands.executeCommand('gradientLens.stop');
    phase('stopped');
    // The model file stays: deleting a file open in an editor through workspace.fs never returned
    // here (the whole temporary workspace goes when the bench ends).
  } catch (e) {
    if (out) writeFileSync(out, JSON.stringify({ error: String(e instanceof Error ? e.stack : e) }));
    throw e;
  }
}

/** A sample's memory series, flat, for the summary. */
function memoryPoint(s: Sample): MemoryPoint {
  return {
    seconds: s.seconds,
    values: {
      processRssMb: s.processRssMb,
      hostHeapUsedMb: s.host.heapUsedMb,
      hostHeapAfterGcMb: s.host.heapAfterGcMb ?? null,
      hostHeapTotalMb: s.host.heapTotalMb,
      hostExternalMb: s.host.externalMb,
      workerHeapUsedMb: s.worker?.heapUsedMb ?? null,
      workerHeapTotalMb: s.worker?.heapTotalMb ?? null,
      workerExternalMb: s.worker?.externalMb ?? null,
    },
  };
}
