// The fast float32 backend: WebAssembly SIMD kernels (kernels/*.wat, assembled into one module) over
// ONE WebAssembly.Memory that grows with the model (arena.ts says how without stale views). This
// file creates the memory and the instance and wires Backend's methods to the kernel wrappers:
// gemm.ts, elementwise.ts, windows.ts.
//
// Pure: no node:* imports; the module bytes come from the generated base64 module, so this runs in
// Node, a worker_thread and a browser worker alike.

import type { Backend } from '../backend';
import { KERNEL_MODULES_BASE64 } from './kernels.generated';
import { decodeBase64 } from './base64';
import type { KernelExports } from './exports';
import { Arena, PAGE_BYTES, type WasmMemoryInfo } from './arena';
import { wasmGemm, wasmGemmEach, type ZeroPolicy } from './gemm';
import { CONTROL_OFFSET, GemmTeam, HELPER_SOURCE, type SpawnHelper } from './team';
import { elementwiseKernels } from './elementwise';
import { windowKernels } from './windows';
import { updateKernels } from './update';
import { statsKernels } from './statsKernels';
import { teamSplit } from './split';
import { deferredStats } from './deferredStats';
import { wasmApi, type WasmInstance, type WasmMemory, type WasmModule } from './wasmApi';

export type { WasmMemoryInfo } from './arena';

export interface WasmBackendOptions {
  /** Bytes of WASM memory at creation (rounded up to 64 KiB pages). Default 16 MiB; it grows from there. */
  initialBytes?: number;
  /** The most the memory may grow to. Default and at most 2 GiB (the kernels' memory import). */
  maximumBytes?: number;
  /**
   * Use the relaxed-SIMD fused multiply-add kernels: true requires them (throws where the runtime
   * lacks relaxed SIMD, e.g. Node 20 without --experimental-wasm-relaxed-simd), false never uses
   * them; default: where the runtime has them.
   */
  fma?: boolean;
  /**
   * Run large A·B products on two threads (needs a shared memory): `spawnHelper` starts the
   * second thread (see team.ts; the engine itself cannot start threads without Node or DOM APIs).
   * createWasmBackend waits until it runs (unless helperAfterMs defers it); with
   * createWasmBackendSync work is shared once it has started. Until then the calling thread does
   * it all: nothing ever waits for a helper that has not taken its share.
   */
  spawnHelper?: SpawnHelper;
  /**
   * Start the helper only once work large enough to share has come for this many milliseconds
   * (0, the default: at once). A short run then never pays the thread's start (team.ts).
   */
  helperAfterMs?: number;
  /**
   * 'skip' (default): A·B and Aᵀ·B skip A's zero entries when A is at most 30 % nonzero and B is
   * all finite (e.g. an MNIST input batch in the first dense layer; same numbers as the dense
   * product, see kernels/sparse.wat). 'dense': always the dense kernels (to measure the difference).
   */
  zeros?: ZeroPolicy;
  /**
   * With two threads, run the dense layers' Gram statistics on the helper during the update
   * (default true; false keeps them on the calling thread, to measure the difference).
   */
  deferStats?: boolean;
}

export interface WasmBackend extends Backend {
  readonly dtype: 'float32';
  /** Whether the relaxed-SIMD fused multiply-add kernels run (the name stays 'wasm-simd'). */
  readonly fma: boolean;
  /** 2 when large products are split with a helper thread, else 1. */
  readonly threads: number;
  /** Products split across two threads so far (0 on one thread). */
  readonly splitProducts: number;
  /** Chunks of those the helper thread computed (the calling thread did the others). */
  readonly helperChunks: number;
  /** Products that skipped A's zeros so far (0 with zeros: 'dense'). */
  readonly sparseProducts: number;
  /** Dense layers' Gram statistics run on the helper thread during an update so far (0 on one thread). */
  readonly deferredGramStats: number;
  /** The zero policy this backend was made with. */
  readonly zeros: ZeroPolicy;
  /** Resolves once the helper thread runs (false at once without one, or while a deferred helper is not started yet). */
  helperStarted(timeoutMs?: number): Promise<boolean>;
  /** Whether the helper thread was spawned (false when spawning it failed, or while a deferred one is not due yet). */
  readonly helperSpawned: boolean;
  /** Stops the helper thread, if any (the backend keeps working on one thread). */
  close(): void;
  memoryInfo(): WasmMemoryInfo;
}

const DEFAULT_BYTES = 16 * 1024 * 1024;
/** The maximum of the shared variants' memory import (scripts/build-wasm.mjs): 32768 pages. */
const MAX_BYTES = 2 ** 31;

type Variant = keyof typeof KERNEL_MODULES_BASE64;
const cachedModules = new Map<Variant, WasmModule>();

/** What both ways of creating a backend share: the memory, its variant and the imports. */
interface Plan {
  opts: WasmBackendOptions;
  variant: Variant;
  memory: WasmMemory;
  shared: boolean;
  maxBytes: number;
  imports: { env: { memory: WasmMemory } };
  bytes(): Uint8Array;
}

function plan(opts: WasmBackendOptions): Plan {
  const fma = useFma(opts);
  const { memory, shared, maxBytes } = newMemory(opts);
  const variant: Variant = shared ? (fma ? 'fmaShared' : 'plainShared') : fma ? 'fma' : 'plain';
  return {
    opts,
    variant,
    memory,
    shared,
    maxBytes,
    imports: { env: { memory } },
    bytes: () => decodeBase64(KERNEL_MODULES_BASE64[variant]),
  };
}

/** Compiles asynchronously (allowed everywhere, including browser main threads). */
export async function createWasmBackend(opts: WasmBackendOptions = {}): Promise<WasmBackend> {
  const p = plan(opts);
  const module = cachedModules.get(p.variant) ?? remember(p.variant, await wasmApi().compile(p.bytes()));
  const backend = assemble(p, module, await wasmApi().instantiate(module, p.imports));
  if (!(opts.helperAfterMs! > 0)) await backend.helperStarted();
  return backend;
}

/** Synchronous variant: fine in Node and in workers (the module is a few KB). */
export function createWasmBackendSync(opts: WasmBackendOptions = {}): WasmBackend {
  const p = plan(opts);
  const api = wasmApi();
  const module = cachedModules.get(p.variant) ?? remember(p.variant, new api.Module(p.bytes()));
  return assemble(p, module, new api.Instance(module, p.imports));
}

function remember(variant: Variant, module: WasmModule): WasmModule {
  cachedModules.set(variant, module);
  return module;
}

/** Whether this runtime has relaxed SIMD (so the fused multiply-add kernels can run). */
export function wasmFmaSupported(): boolean {
  return runtimeAccepts('fma');
}

function useFma(opts: WasmBackendOptions): boolean {
  if (opts.fma === true && !wasmFmaSupported())
    throw new Error('WASM backend: this runtime has no relaxed SIMD, so no fused multiply-add kernels');
  return opts.fma ?? wasmFmaSupported();
}

/** Whether this runtime can run the kernels (WebAssembly with SIMD). */
export function wasmSimdSupported(): boolean {
  return runtimeAccepts('plain');
}

/** Whether this runtime validates a variant's module (false where there is no WebAssembly at all). */
function runtimeAccepts(variant: Variant): boolean {
  try {
    return wasmApi().validate(decodeBase64(KERNEL_MODULES_BASE64[variant]));
  } catch {
    return false;
  }
}

/**
 * A shared memory where the runtime allows one (it grows without detaching views: arena.ts), else an
 * ordinary one (which then grows only before its first buffer is handed out). Two threads need shared.
 */
function newMemory(opts: WasmBackendOptions): { memory: WasmMemory; shared: boolean; maxBytes: number } {
  const maxBytes = opts.maximumBytes ?? MAX_BYTES;
  const bytes = opts.initialBytes ?? Math.min(DEFAULT_BYTES, maxBytes);
  if (!(maxBytes > 0) || maxBytes > MAX_BYTES)
    throw new Error(`WASM backend: maximumBytes must be between 1 and 2 GiB, got ${maxBytes}`);
  if (!(bytes > 0) || bytes > maxBytes)
    throw new Error(`WASM backend: initialBytes must be between 1 and ${maxBytes} bytes, got ${bytes}`);
  const initial = Math.ceil(bytes / PAGE_BYTES);
  const maximum = Math.max(initial, Math.floor(maxBytes / PAGE_BYTES));
  const api = wasmApi();
  try {
    return { memory: new api.Memory({ initial, maximum, shared: true }), shared: true, maxBytes: maximum * PAGE_BYTES };
  } catch (e) {
    // No SharedArrayBuffer here (a browser page that is not cross-origin isolated).
    if (opts.spawnHelper) throw e;
    return { memory: new api.Memory({ initial, maximum }), shared: false, maxBytes: maximum * PAGE_BYTES };
  }
}

/** The backend over one instance: memory, the kernel wrappers, and the helper thread when asked for. */
function assemble(p: Plan, module: WasmModule, instance: WasmInstance): WasmBackend {
  const k = instance.exports as unknown as KernelExports;
  const arena = new Arena(p.memory, p.shared, p.maxBytes);
  const ctx = { arena, k };
  const zeros = p.opts.zeros ?? 'skip';
  const counters = { sparse: 0, deferred: 0 };
  const spawn = p.opts.spawnHelper;
  const team = spawn
    ? new GemmTeam(
        p.memory,
        k,
        () => spawn(HELPER_SOURCE, { module, memory: p.memory, control: CONTROL_OFFSET }),
        p.opts.helperAfterMs ?? 0,
      )
    : null;
  const backend: WasmBackend = {
    name: 'wasm-simd',
    dtype: 'float32',
    fma: p.variant === 'fma' || p.variant === 'fmaShared',
    threads: team ? 2 : 1,
    get splitProducts() {
      return team?.split ?? 0;
    },
    get helperChunks() {
      return team?.helperChunks ?? 0;
    },
    get sparseProducts() {
      return counters.sparse;
    },
    get deferredGramStats() {
      return counters.deferred;
    },
    zeros,
    get helperSpawned() {
      return team?.spawned ?? false;
    },
    async helperStarted(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      if (!team?.spawned) return false;
      while (!team.ready && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      return team.ready;
    },
    close: () => team?.close(),
    memoryInfo: () => arena.memoryInfo(),
    alloc: (length) => arena.alloc(length),
    gemm: wasmGemm(ctx, team, zeros, counters),
    gemmEach: wasmGemmEach(ctx, wasmGemm(ctx, null, 'dense', counters)),
    ...elementwiseKernels(ctx),
    ...windowKernels(ctx),
    ...updateKernels(ctx, team),
    ...statsKernels(ctx),
  };
  // Two threads: a layer's per-example work split by examples, one handoff per layer and pass (split.ts).
  if (team) backend.splitExamples = teamSplit(ctx, team, backend, zeros);
  // Two threads: the dense layers' Gram statistics on the helper while this thread updates (deferredStats.ts).
  if (team && p.opts.deferStats !== false) Object.assign(backend, deferredStats(ctx, team, backend.denseGramStats, counters));
  return backend;
}
