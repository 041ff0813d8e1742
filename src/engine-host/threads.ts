// How many threads the engine trains on (the setting gradientLens.engineThreads, the CLI's
// --threads): "auto" is two where two can run and a second core is free. Whether two pay for a
// given model is not decided here: the backend splits only products and conv layers large enough
// to gain (team.ts SPLIT_MIN_MACS, split.ts), so a small model on two threads runs its small
// products on one. Whether they pay on this machine now is: on a busy machine a second thread gets
// no core of its own (with autogroup, as on the dev machine, Linux gives a session one share of the
// CPU however many threads it runs), so two threads gain little and unreliably. Since the threads
// claim chunks instead of fixed halves (team.ts) a busy machine no longer makes them much slower;
// before, the training thread waited for a helper that had no core.
// Node only (os, worker_threads): the engine itself cannot start threads.

import { availableParallelism } from 'node:os';
import { machineLoad } from '../run/threadTransport';
import type { Backend } from '../engine/backend';
import type { DType } from '../model/spec';
import { chooseBackend, chooseBackendSync, type BackendChoice } from '../engine/chooseBackend';
import { nodeSpawnHelper } from './spawnHelper';
import type { EngineThreads } from './setting';

export { ENGINE_THREADS, parseEngineThreads, type EngineThreads } from './setting';

/** What this runtime allows: a second thread needs a second core and shared memory. */
export interface ThreadRuntime {
  cpus: number;
  sharedMemory: boolean;
  /** Runnable threads per core, at least 1 (threadTransport.ts machineLoad). */
  load: number;
}

/**
 * The most runnable threads per core at which "auto" takes two threads: on two cores, this run and
 * at most one more. Measured, one thread against two interleaved in one process (two threads
 * over one, medians of 16–20 rounds): with fixed halves at 7.5–9.5 runnable threads per core, the
 * bench MLP 0.21–0.54× (the previous measure at 12–14 per core: 2.3–3.4× slower, the CNN example
 * 1.4–1.9×); with claimed chunks (team.ts) at 10.5–14 per core (bench:threads), the MLP 0.61–1.57×
 * and the CNN 0.68–2.63×: about even, with a wide spread. Quiet, with fixed halves (the last three
 * benches): MLP 0.98–1.66×, CNN 1.05–1.46×. Between 1.5 and 10 per core it was not measured (the
 * machine never was while this was built), so the cut-off stays where one core is left free.
 */
export const AUTO_MAX_LOAD = 1.5;

export function nodeRuntime(): ThreadRuntime {
  return { cpus: availableParallelism(), sharedMemory: typeof SharedArrayBuffer === 'function', load: machineLoad() };
}

export interface ThreadPlan {
  threads: 1 | 2;
  /** Why two were asked for and one is used (said once), else null. */
  fallbackReason: string | null;
}

/**
 * auto: 2 with ≥ 2 cores, shared memory and a load of at most AUTO_MAX_LOAD; 1 on a busy machine
 * (saying so) and where two cannot run (not a fallback). 2: 2 where it can run, else 1 with the reason.
 */
export function planThreads(setting: EngineThreads, runtime: ThreadRuntime = nodeRuntime()): ThreadPlan {
  if (setting === 1) return { threads: 1, fallbackReason: null };
  const why = !runtime.sharedMemory
    ? 'this runtime has no SharedArrayBuffer'
    : runtime.cpus < 2
      ? 'this machine has one CPU core'
      : null;
  if (!why && setting === 'auto' && runtime.load > AUTO_MAX_LOAD)
    return {
      threads: 1,
      fallbackReason: `"auto" chose one engine thread: the machine is busy (${runtime.load.toFixed(1)} runnable threads per core; two pay only with a free core)`,
    };
  if (!why) return { threads: 2, fallbackReason: null };
  return { threads: 1, fallbackReason: setting === 2 ? `two engine threads unavailable (${why}); training on one thread` : null };
}

/**
 * How long work worth sharing must have kept coming before a run starts its helper thread
 * (WasmBackendOptions.helperAfterMs). A helper takes 30–60 ms to boot (the wait for it, measured
 * at load 16) and adds CPU: the 200-step digits example used 0.55–0.57 s of CPU on two threads
 * against 0.39–0.43 s on one (at load 16), and as a whole process on a quiet machine took
 * 0.77–0.89 s against 0.63–0.74 s (its training is ~0.2 s). A run shorter than this never starts
 * the helper; a longer one pays the start once while this thread goes on alone (nothing waits for
 * the helper: team.ts). With it, at load 27: 0.41–0.50 s of CPU on two threads, 0.38–0.41 s on one
 * (the run lasted 0.8–2.4 s there, so the helper did start).
 */
export const HELPER_AFTER_MS = 250;

/** chooseBackend with this setting's threads (the Node helper, started after helperAfterMs); a plan's reason when the backend would have had two. */
export async function chooseEngineBackend(
  spec: { dtype: DType },
  useWasm: boolean,
  setting: EngineThreads,
  runtime?: ThreadRuntime,
  helperAfterMs = HELPER_AFTER_MS,
): Promise<BackendChoice> {
  const plan = planThreads(setting, runtime);
  return withPlan(
    await chooseBackend(spec, { useWasm, threads: plan.threads, spawnHelper: nodeSpawnHelper, helperAfterMs }),
    plan,
  );
}

/**
 * A backend per trainer for the engine's sequential experiments (Compare Batch Sizes, Repeat One
 * Example): each new backend first stops the previous one's helper thread (that backend goes on
 * on one thread, with the same numbers), so a comparison of 15 runs holds one helper, not 15.
 */
export function engineBackendFactory(
  useWasm: boolean,
  setting: EngineThreads,
  runtime?: ThreadRuntime,
  helperAfterMs = HELPER_AFTER_MS,
): (spec: { dtype: DType }) => Backend {
  const plan = planThreads(setting, runtime);
  let previous: Backend | null = null;
  return (spec) => {
    closeHelper(previous);
    previous = chooseBackendSync(spec, { useWasm, threads: plan.threads, spawnHelper: nodeSpawnHelper, helperAfterMs }).backend;
    return previous;
  };
}

/** Stops a WASM backend's helper thread, if it has one (the backend keeps working on one thread). */
export function closeHelper(backend: Backend | null): void {
  backend?.close?.();
}

function withPlan(choice: BackendChoice, plan: ThreadPlan): BackendChoice {
  const onWasm = choice.backend.name.startsWith('wasm');
  return plan.fallbackReason && onWasm && !choice.fallbackReason ? { ...choice, fallbackReason: plan.fallbackReason } : choice;
}
