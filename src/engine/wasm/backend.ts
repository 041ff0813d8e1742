// The fast float32 backend: WebAssembly SIMD kernels (kernels/*.wat, assembled into one module) over
// ONE WebAssembly.Memory (arena.ts says why it never grows). This file creates instances and wires
// Backend's methods to the kernel wrappers: gemm.ts, elementwise.ts, windows.ts.
//
// Pure: no node:* imports; the module bytes come from the generated base64 module, so this runs in
// Node, a worker_thread and a browser worker alike.

import type { Backend, WindowGeometry } from '../backend';
import type { FloatArray } from '../types';
import type { Activation } from '../../model/spec';
import { KERNEL_MODULES_BASE64 } from './kernels.generated';
import { decodeBase64 } from './base64';
import type { KernelExports } from './exports';
import { Arena, type WasmMemoryInfo } from './arena';
import { wasmGemm } from './gemm';
import { CONTROL_OFFSET, GemmTeam, HELPER_SOURCE, type SpawnHelper } from './team';
import * as ew from './elementwise';
import * as win from './windows';
import { wasmApi, type WasmMemory, type WasmModule } from './wasmApi';

export type { WasmMemoryInfo } from './arena';

export interface WasmBackendOptions {
  /** Bytes of WASM memory reserved at creation (rounded up to 64 KiB pages). Default 128 MiB. */
  initialBytes?: number;
  /**
   * Use the relaxed-SIMD fused multiply-add kernels: true requires them (throws where the runtime
   * lacks relaxed SIMD, e.g. Node 20 without --experimental-wasm-relaxed-simd), false never uses
   * them; default: where the runtime has them.
   */
  fma?: boolean;
  /**
   * Run large A·B products on two threads: the memory becomes shared and `spawnHelper` starts the
   * second thread (see team.ts; the engine itself cannot start threads without Node or DOM APIs).
   * createWasmBackend waits until it runs; with createWasmBackendSync products split once it has
   * started, which in Node is after the caller next yields to the event loop.
   */
  spawnHelper?: SpawnHelper;
}

export interface WasmBackend extends Backend {
  readonly dtype: 'float32';
  /** Whether the relaxed-SIMD fused multiply-add kernels run (the name stays 'wasm-simd'). */
  readonly fma: boolean;
  /** 2 when large products are split with a helper thread, else 1. */
  readonly threads: number;
  /** Products split across two threads so far (0 on one thread). */
  readonly splitProducts: number;
  /** Resolves once the helper thread runs (at once without one); products split from then on. */
  helperStarted(timeoutMs?: number): Promise<boolean>;
  /** Stops the helper thread, if any (the backend keeps working on one thread). */
  close(): void;
  memoryInfo(): WasmMemoryInfo;
}

const PAGE = 65536;
const DEFAULT_BYTES = 128 * 1024 * 1024;

type Variant = keyof typeof KERNEL_MODULES_BASE64;
const cachedModules = new Map<Variant, WasmModule>();

/** Compiles asynchronously (allowed everywhere, including browser main threads). */
export async function createWasmBackend(opts: WasmBackendOptions = {}): Promise<WasmBackend> {
  const api = wasmApi();
  const variant = pickVariant(opts);
  let module = cachedModules.get(variant);
  if (!module) cachedModules.set(variant, (module = await api.compile(decodeBase64(KERNEL_MODULES_BASE64[variant]))));
  const memory = newMemory(opts);
  const instance = await api.instantiate(module, { env: { memory } });
  const backend = new WasmKernelsBackend(memory, instance.exports as unknown as KernelExports, module, variant, opts.spawnHelper);
  await backend.helperStarted();
  return backend;
}

/** Synchronous variant: fine in Node and in workers (the module is a few KB). */
export function createWasmBackendSync(opts: WasmBackendOptions = {}): WasmBackend {
  const api = wasmApi();
  const variant = pickVariant(opts);
  let module = cachedModules.get(variant);
  if (!module) cachedModules.set(variant, (module = new api.Module(decodeBase64(KERNEL_MODULES_BASE64[variant]))));
  const memory = newMemory(opts);
  const instance = new api.Instance(module, { env: { memory } });
  return new WasmKernelsBackend(memory, instance.exports as unknown as KernelExports, module, variant, opts.spawnHelper);
}

/** Whether this runtime has relaxed SIMD (so the fused multiply-add kernels can run). */
export function wasmFmaSupported(): boolean {
  return runtimeAccepts('fma');
}

function pickVariant(opts: WasmBackendOptions): Variant {
  const fma = useFma(opts);
  if (opts.spawnHelper) return fma ? 'fmaShared' : 'plainShared';
  return fma ? 'fma' : 'plain';
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

function newMemory(opts: WasmBackendOptions): WasmMemory {
  const bytes = opts.initialBytes ?? DEFAULT_BYTES;
  if (!(bytes > 0) || bytes > 2 ** 31) {
    throw new Error(`WASM backend: initialBytes must be between 1 and 2 GiB, got ${bytes}`);
  }
  const pages = Math.ceil(bytes / PAGE);
  // Shared (for two threads): a shared memory needs a maximum; it never grows anyway (arena.ts).
  return new (wasmApi().Memory)(opts.spawnHelper ? { initial: pages, maximum: pages, shared: true } : { initial: pages });
}

class WasmKernelsBackend implements WasmBackend {
  readonly name = 'wasm-simd';
  readonly dtype = 'float32' as const;
  readonly fma: boolean;
  readonly threads: number;
  private readonly ctx: ew.WasmContext;
  private readonly team: GemmTeam | null;

  constructor(memory: WasmMemory, kernels: KernelExports, module: WasmModule, variant: Variant, spawnHelper?: SpawnHelper) {
    this.ctx = { arena: new Arena(memory), k: kernels };
    this.fma = variant === 'fma' || variant === 'fmaShared';
    this.team = spawnHelper
      ? new GemmTeam(memory, kernels, spawnHelper(HELPER_SOURCE, { module, memory, control: CONTROL_OFFSET }))
      : null;
    this.threads = this.team ? 2 : 1;
  }

  close(): void {
    this.team?.close();
  }

  get splitProducts(): number {
    return this.team?.split ?? 0;
  }

  async helperStarted(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.team && !this.team.ready && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    return this.team?.ready ?? false;
  }

  memoryInfo(): WasmMemoryInfo {
    return this.ctx.arena.memoryInfo();
  }

  alloc(length: number): Float32Array {
    return this.ctx.arena.alloc(length);
  }

  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: FloatArray,
    b: FloatArray,
    beta: number,
    c: FloatArray,
  ): void {
    wasmGemm(this.ctx.arena, this.ctx.k, this.team, transA, transB, m, n, k, alpha, a, b, beta, c);
  }

  biasActivation(m: number, n: number, activation: Activation, x: FloatArray, bias: FloatArray | null, out: FloatArray): void {
    ew.biasActivation(this.ctx, m, n, activation, x, bias, out);
  }

  activationBackward(
    size: number,
    activation: Activation,
    z: FloatArray,
    y: FloatArray,
    gradOut: FloatArray,
    gradIn: FloatArray,
  ): void {
    ew.activationBackward(this.ctx, size, activation, z, y, gradOut, gradIn);
  }

  columnSums(m: number, n: number, alpha: number, beta: number, x: FloatArray, out: FloatArray): void {
    ew.columnSums(this.ctx, m, n, alpha, beta, x, out);
  }

  rowSums(m: number, n: number, alpha: number, x: FloatArray, out: FloatArray): void {
    ew.rowSums(this.ctx, m, n, alpha, x, out);
  }

  rowSumSquares(m: number, n: number, x: FloatArray, out: FloatArray): void {
    ew.rowSumSquares(this.ctx, m, n, x, out);
  }

  allFinite(n: number, x: FloatArray): boolean {
    return ew.allFinite(this.ctx, n, x);
  }

  sgdStep(
    n: number,
    lr: number,
    weightDecay: number,
    momentum: number,
    nesterov: boolean,
    grad: FloatArray,
    value: FloatArray,
    velocity: FloatArray | null,
    update: FloatArray,
  ): void {
    ew.sgdStep(this.ctx, n, lr, weightDecay, momentum, nesterov, grad, value, velocity, update);
  }

  denseNormsSquared(m: number, p: number, q: number, withBias: boolean, a: FloatArray, delta: FloatArray, out: FloatArray): void {
    ew.denseNormsSquared(this.ctx, m, p, q, withBias, a, delta, out);
  }

  outerBatch(m: number, p: number, q: number, alpha: number, a: FloatArray, delta: FloatArray, out: FloatArray): void {
    ew.outerBatch(this.ctx, m, p, q, alpha, a, delta, out);
  }

  im2col(batch: number, g: WindowGeometry, image: FloatArray, cols: FloatArray): void {
    win.im2col(this.ctx, batch, g, image, cols);
  }

  col2im(batch: number, g: WindowGeometry, cols: FloatArray, image: FloatArray): void {
    win.col2im(this.ctx, batch, g, cols, image);
  }

  maxPool(batch: number, g: WindowGeometry, input: FloatArray, output: FloatArray): void {
    win.maxPool(this.ctx, batch, g, input, output);
  }

  maxPoolBackward(
    batch: number,
    g: WindowGeometry,
    input: FloatArray,
    output: FloatArray,
    gradOut: FloatArray,
    gradIn: FloatArray,
  ): void {
    win.maxPoolBackward(this.ctx, batch, g, input, output, gradOut, gradIn);
  }
}
