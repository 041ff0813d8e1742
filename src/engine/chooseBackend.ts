// The one rule for which backend a run uses: the WASM SIMD kernels for a float32 model when the
// user allows them (setting gradientLens.useWasm, CLI --no-wasm) and they load in this runtime;
// the plain TypeScript reference backend otherwise (always for float64: WASM SIMD is float32).
// Both give the same numbers within float32 rounding, so falling back is safe; the reason is
// returned so the caller can say why it is slower. The same for threads: two (a helper thread
// the caller knows how to start, see team.ts) give bit-identical numbers to one, so a helper that
// cannot start means one thread and a reason, never a failed run.

import type { Backend } from './backend';
import type { DType } from '../model/spec';
import { referenceBackend } from './reference';
import { createWasmBackend, createWasmBackendSync, type WasmBackend } from './wasm/backend';
import type { SpawnHelper } from './wasm/team';

export interface BackendChoice {
  backend: Backend;
  /** Threads the backend computes on: 2 with a helper thread, else 1. */
  threads: 1 | 2;
  /**
   * With 2 threads: the helper joins only after this many milliseconds of work worth sharing
   * (BackendRequest.helperAfterMs), so a shorter run never has it; 0 or absent: it runs from the start.
   */
  helperAfterMs?: number;
  /** Why what was asked for is not used (WASM did not load, the second thread did not start), saying what runs instead; else null. */
  fallbackReason: string | null;
}

export interface BackendRequest {
  useWasm: boolean;
  /** 2: large products and conv layers' examples on a second thread, started by spawnHelper. Default 1. */
  threads?: 1 | 2;
  /** Starts the helper thread (Node: src/engine-host/spawnHelper.ts); needed for threads 2. */
  spawnHelper?: SpawnHelper;
  /**
   * Start the helper only after this many milliseconds of work worth sharing (WasmBackendOptions):
   * the choice then returns at once, and a helper that fails to start later leaves the work on
   * one thread without a reason. Default 0: chooseBackend waits for the helper to run.
   */
  helperAfterMs?: number;
}

function wantsWasm(spec: { dtype: DType }, opts: BackendRequest): boolean {
  return spec.dtype === 'float32' && opts.useWasm;
}

export async function chooseBackend(spec: { dtype: DType }, opts: BackendRequest): Promise<BackendChoice> {
  if (!wantsWasm(spec, opts)) return reference(spec.dtype, null);
  let threadsReason: string | null = null;
  if (opts.threads === 2 && opts.spawnHelper) {
    try {
      const two = await createWasmBackend({ spawnHelper: opts.spawnHelper, helperAfterMs: opts.helperAfterMs });
      // a deferred helper is not started yet: two threads from when it is
      if (opts.helperAfterMs! > 0) return wasm(two, 2, null, opts.helperAfterMs);
      if (await two.helperStarted(0)) return wasm(two, 2, null);
      two.close();
      threadsReason = 'the second thread did not start';
    } catch (e) {
      threadsReason = messageOf(e);
    }
  }
  try {
    return wasm(await createWasmBackend(), 1, threadsReason);
  } catch (e) {
    return reference(spec.dtype, e);
  }
}

/**
 * The same choice, synchronously (Node and workers; a browser main thread needs chooseBackend).
 * With two threads the helper starts while the caller goes on: products split once it runs.
 */
export function chooseBackendSync(spec: { dtype: DType }, opts: BackendRequest): BackendChoice {
  if (!wantsWasm(spec, opts)) return reference(spec.dtype, null);
  let threadsReason: string | null = null;
  if (opts.threads === 2 && opts.spawnHelper) {
    try {
      const two = createWasmBackendSync({ spawnHelper: opts.spawnHelper, helperAfterMs: opts.helperAfterMs });
      // a deferred helper is spawned only later; one asked for at once must have been spawned now
      if (opts.helperAfterMs! > 0 || two.helperSpawned) return wasm(two, 2, null, opts.helperAfterMs);
      two.close();
      threadsReason = 'the second thread did not start';
    } catch (e) {
      threadsReason = messageOf(e);
    }
  }
  try {
    return wasm(createWasmBackendSync(), 1, threadsReason);
  } catch (e) {
    return reference(spec.dtype, e);
  }
}

function wasm(backend: WasmBackend, threads: 1 | 2, threadsReason: string | null, helperAfterMs = 0): BackendChoice {
  const fallbackReason =
    threadsReason === null ? null : `two engine threads unavailable (${threadsReason}); training on one thread`;
  return helperAfterMs > 0 ? { backend, threads, fallbackReason, helperAfterMs } : { backend, threads, fallbackReason };
}

function reference(dtype: DType, wasmError: unknown): BackendChoice {
  const fallbackReason = wasmError === null ? null : `WASM kernels unavailable (${messageOf(wasmError)}); using plain TypeScript`;
  return { backend: referenceBackend(dtype), threads: 1, fallbackReason };
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The backend as the panel's toolbar and the CLI name it when the run starts: `wasm-simd, 2 threads`
 * when the helper runs from the start; `wasm-simd, up to 2 threads (the 2nd joins after 250 ms of
 * training)` when it joins later (HELPER_AFTER_MS), since a shorter run trains on one thread only;
 * `wasm-simd, 1 thread`. The reference backend is always one thread.
 */
export function backendLabel(choice: Pick<BackendChoice, 'backend' | 'threads' | 'helperAfterMs'>): string {
  const { name } = choice.backend;
  if (!name.startsWith('wasm')) return name;
  if (choice.threads !== 2) return `${name}, 1 thread`;
  const after = choice.helperAfterMs ?? 0;
  return after > 0 ? `${name}, up to 2 threads (the 2nd joins after ${after} ms of training)` : `${name}, 2 threads`;
}
