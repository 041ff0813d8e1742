// The fast float32 backend: WebAssembly SIMD kernels (kernels/*.wat, assembled into one module) over
// ONE WebAssembly.Memory (arena.ts says why it never grows). This file creates instances and wires
// Backend's methods to the kernel wrappers: gemm.ts, elementwise.ts, windows.ts.
//
// Pure: no node:* imports; the module bytes come from the generated base64 module, so this runs in
// Node, a worker_thread and a browser worker alike.

import type { Backend, WindowGeometry } from '../backend';
import type { FloatArray } from '../types';
import type { Activation } from '../../model/spec';
import { KERNELS_FMA_WASM_BASE64, KERNELS_WASM_BASE64 } from './kernels.generated';
import { decodeBase64 } from './base64';
import type { KernelExports } from './exports';
import { Arena, type WasmMemoryInfo } from './arena';
import { wasmGemm } from './gemm';
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
}

export interface WasmBackend extends Backend {
  readonly dtype: 'float32';
  /** Whether the relaxed-SIMD fused multiply-add kernels run (the name stays 'wasm-simd'). */
  readonly fma: boolean;
  memoryInfo(): WasmMemoryInfo;
}

const PAGE = 65536;
const DEFAULT_BYTES = 128 * 1024 * 1024;

const cachedModules = new Map<boolean, WasmModule>();

/** Compiles asynchronously (allowed everywhere, including browser main threads). */
export async function createWasmBackend(opts: WasmBackendOptions = {}): Promise<WasmBackend> {
  const api = wasmApi();
  const fma = useFma(opts);
  let module = cachedModules.get(fma);
  if (!module) cachedModules.set(fma, (module = await api.compile(moduleBytes(fma))));
  const memory = newMemory(opts);
  const instance = await api.instantiate(module, { env: { memory } });
  return new WasmKernelsBackend(memory, instance.exports as unknown as KernelExports, fma);
}

/** Synchronous variant: fine in Node and in workers (the module is a few KB). */
export function createWasmBackendSync(opts: WasmBackendOptions = {}): WasmBackend {
  const api = wasmApi();
  const fma = useFma(opts);
  let module = cachedModules.get(fma);
  if (!module) cachedModules.set(fma, (module = new api.Module(moduleBytes(fma))));
  const memory = newMemory(opts);
  const instance = new api.Instance(module, { env: { memory } });
  return new WasmKernelsBackend(memory, instance.exports as unknown as KernelExports, fma);
}

/** Whether this runtime has relaxed SIMD (so the fused multiply-add kernels can run). */
export function wasmFmaSupported(): boolean {
  try {
    return wasmApi().validate(decodeBase64(KERNELS_FMA_WASM_BASE64));
  } catch {
    return false;
  }
}

function useFma(opts: WasmBackendOptions): boolean {
  if (opts.fma === true && !wasmFmaSupported()) throw new Error('WASM backend: this runtime has no relaxed SIMD, so no fused multiply-add kernels');
  return opts.fma ?? wasmFmaSupported();
}

function moduleBytes(fma: boolean): Uint8Array {
  return decodeBase64(fma ? KERNELS_FMA_WASM_BASE64 : KERNELS_WASM_BASE64);
}

/** Whether this runtime can run the kernels (WebAssembly with SIMD). */
export function wasmSimdSupported(): boolean {
  try {
    return wasmApi().validate(decodeBase64(KERNELS_WASM_BASE64));
  } catch {
    return false;
  }
}

function newMemory(opts: WasmBackendOptions): WasmMemory {
  const bytes = opts.initialBytes ?? DEFAULT_BYTES;
  if (!(bytes > 0) || bytes > 2 ** 31) {
    throw new Error(`WASM backend: initialBytes must be between 1 and 2 GiB, got ${bytes}`);
  }
  return new (wasmApi().Memory)({ initial: Math.ceil(bytes / PAGE) });
}

class WasmKernelsBackend implements WasmBackend {
  readonly name = 'wasm-simd';
  readonly dtype = 'float32' as const;
  private readonly ctx: ew.WasmContext;

  constructor(memory: WasmMemory, kernels: KernelExports, readonly fma: boolean) {
    this.ctx = { arena: new Arena(memory), k: kernels };
  }

  memoryInfo(): WasmMemoryInfo { return this.ctx.arena.memoryInfo(); }

  alloc(length: number): Float32Array { return this.ctx.arena.alloc(length); }

  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, a: FloatArray, b: FloatArray, beta: number, c: FloatArray): void {
    wasmGemm(this.ctx.arena, this.ctx.k, transA, transB, m, n, k, alpha, a, b, beta, c);
  }

  biasActivation(m: number, n: number, activation: Activation, x: FloatArray, bias: FloatArray | null, out: FloatArray): void {
    ew.biasActivation(this.ctx, m, n, activation, x, bias, out);
  }

  activationBackward(size: number, activation: Activation, z: FloatArray, y: FloatArray, gradOut: FloatArray, gradIn: FloatArray): void {
    ew.activationBackward(this.ctx, size, activation, z, y, gradOut, gradIn);
  }

  columnSums(m: number, n: number, alpha: number, beta: number, x: FloatArray, out: FloatArray): void {
    ew.columnSums(this.ctx, m, n, alpha, beta, x, out);
  }

  rowSums(m: number, n: number, alpha: number, x: FloatArray, out: FloatArray): void { ew.rowSums(this.ctx, m, n, alpha, x, out); }

  rowSumSquares(m: number, n: number, x: FloatArray, out: FloatArray): void { ew.rowSumSquares(this.ctx, m, n, x, out); }

  allFinite(n: number, x: FloatArray): boolean { return ew.allFinite(this.ctx, n, x); }

  sgdStep(
    n: number, lr: number, weightDecay: number, momentum: number, nesterov: boolean,
    grad: FloatArray, value: FloatArray, velocity: FloatArray | null, update: FloatArray,
  ): void {
    ew.sgdStep(this.ctx, n, lr, weightDecay, momentum, nesterov, grad, value, velocity, update);
  }

  denseNormsSquared(m: number, p: number, q: number, withBias: boolean, a: FloatArray, delta: FloatArray, out: FloatArray): void {
    ew.denseNormsSquared(this.ctx, m, p, q, withBias, a, delta, out);
  }

  outerBatch(m: number, p: number, q: number, alpha: number, a: FloatArray, delta: FloatArray, out: FloatArray): void {
    ew.outerBatch(this.ctx, m, p, q, alpha, a, delta, out);
  }

  im2col(batch: number, g: WindowGeometry, image: FloatArray, cols: FloatArray): void { win.im2col(this.ctx, batch, g, image, cols); }

  col2im(batch: number, g: WindowGeometry, cols: FloatArray, image: FloatArray): void { win.col2im(this.ctx, batch, g, cols, image); }

  maxPool(batch: number, g: WindowGeometry, input: FloatArray, output: FloatArray): void { win.maxPool(this.ctx, batch, g, input, output); }

  maxPoolBackward(batch: number, g: WindowGeometry, input: FloatArray, output: FloatArray, gradOut: FloatArray, gradIn: FloatArray): void {
    win.maxPoolBackward(this.ctx, batch, g, input, output, gradOut, gradIn);
  }
}
