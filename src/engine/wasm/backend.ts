// The fast float32 backend: WebAssembly SIMD kernels (kernels.wat) over ONE WebAssembly.Memory.
//
// Memory policy (why views never go stale): growing a WebAssembly.Memory detaches its ArrayBuffer,
// and every Float32Array handed out before would silently become length 0. So this backend never
// grows memory once it exists. It reserves `initialBytes` up front (default 128 MiB: pages are
// committed by the OS only when touched, so unused reservation costs address space, not RAM), and
// `alloc` bump-allocates 16-byte-aligned views inside it. When the arena is full, `alloc` returns an
// ordinary Float32Array instead: still correct, because every kernel accepts arrays outside the
// memory through a copy-in/copy-out path (slower). `memoryInfo()` reports when that happened.
//
// Pure: no node:* imports; the module bytes come from the generated base64 module, so this runs in
// Node, a worker_thread and a browser worker alike.

import type { Backend, Im2colGeometry, PoolGeometry } from '../backend';
import type { FloatArray } from '../types';
import type { Activation } from '../../model/spec';
import { KERNELS_WASM_BASE64 } from './kernels.generated';
import { decodeBase64 } from './base64';
import type { KernelExports } from './exports';
import { jsGemm } from './jsGemm';
import { wasmApi, type WasmMemory, type WasmModule } from './wasmApi';

export interface WasmBackendOptions {
  /** Bytes of WASM memory reserved at creation (rounded up to 64 KiB pages). Default 128 MiB. */
  initialBytes?: number;
}

export interface WasmMemoryInfo {
  /** Bytes reserved (the whole memory). */
  reservedBytes: number;
  /** Bytes handed out by alloc so far. */
  allocatedBytes: number;
  /** alloc calls that did not fit and got an array outside the memory (copy path). */
  outsideAllocs: number;
  /** Kernel calls that had to copy an operand in or out. */
  copyCalls: number;
}

export interface WasmBackend extends Backend {
  readonly dtype: 'float32';
  memoryInfo(): WasmMemoryInfo;
}

const PAGE = 65536;
const DEFAULT_BYTES = 128 * 1024 * 1024;
const LEAKY_SLOPE = 0.01;
/**
 * A·Bᵀ transposes B and uses the A·B kernel when C has at least this many rows and k is at most
 * NT_PACK_MAX_K. Measured on 2-core EPYC: 32×128×64 52 µs packed vs 78 µs dot products, 32×64×26
 * 10 vs 28 µs; but 8×9×784 (a conv weight gradient: few long dot products) 22 vs 8 µs.
 */
const NT_PACK_MIN_ROWS = 8;
const NT_PACK_MAX_K = 256;

let cachedModule: WasmModule | null = null;

/** Compiles asynchronously (allowed everywhere, including browser main threads). */
export async function createWasmBackend(opts: WasmBackendOptions = {}): Promise<WasmBackend> {
  const api = wasmApi();
  if (!cachedModule) cachedModule = await api.compile(decodeBase64(KERNELS_WASM_BASE64));
  const memory = newMemory(opts);
  const instance = await api.instantiate(cachedModule, { env: { memory } });
  return new WasmKernelsBackend(memory, instance.exports as unknown as KernelExports);
}

/** Synchronous variant: fine in Node and in workers (the module is a few KB). */
export function createWasmBackendSync(opts: WasmBackendOptions = {}): WasmBackend {
  const api = wasmApi();
  if (!cachedModule) cachedModule = new api.Module(decodeBase64(KERNELS_WASM_BASE64));
  const memory = newMemory(opts);
  const instance = new api.Instance(cachedModule, { env: { memory } });
  return new WasmKernelsBackend(memory, instance.exports as unknown as KernelExports);
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

/** A pointer to an operand inside the memory, plus what to copy back afterwards. */
interface Operand { ptr: number; copyBack: FloatArray | null; length: number }

class WasmKernelsBackend implements WasmBackend {
  readonly name = 'wasm-simd';
  readonly dtype = 'float32' as const;
  private readonly buffer: ArrayBuffer;
  private readonly f32: Float32Array;
  /** First free byte of the arena; below it, alloc'd views; above it, per-call scratch. */
  private top = 16; // keep 0 free: the kernels use pointer 0 as "absent" (bias)
  private scratch = 0;
  private outsideAllocs = 0;
  private copyCalls = 0;

  constructor(memory: WasmMemory, private readonly k: KernelExports) {
    this.buffer = memory.buffer;
    this.f32 = new Float32Array(this.buffer);
  }

  memoryInfo(): WasmMemoryInfo {
    return {
      reservedBytes: this.buffer.byteLength,
      allocatedBytes: this.top,
      outsideAllocs: this.outsideAllocs,
      copyCalls: this.copyCalls,
    };
  }

  alloc(length: number): Float32Array {
    if (!Number.isInteger(length) || length < 0) throw new Error(`alloc: length must be a non-negative integer, got ${length}`);
    const bytes = align16(length * 4);
    if (this.top + bytes > this.buffer.byteLength) {
      this.outsideAllocs++;
      return new Float32Array(length);
    }
    const view = new Float32Array(this.buffer, this.top, length);
    this.top += bytes;
    return view; // fresh WASM pages are zero and the arena never reuses space, so it is zeroed
  }

  gemm(
    transA: boolean, transB: boolean,
    m: number, n: number, k: number,
    alpha: number, a: FloatArray, b: FloatArray,
    beta: number, c: FloatArray,
  ): void {
    checkLength('gemm A', a, m * k);
    checkLength('gemm B', b, k * n);
    checkLength('gemm C', c, m * n);
    if (m === 0 || n === 0) return;
    this.scratch = this.top;
    const pa = this.input(a, m * k);
    const pb = this.input(b, k * n);
    const pc = beta === 0 ? this.output(c, m * n) : this.inout(c, m * n);
    if (!pa || !pb || !pc) {
      // The operands do not fit next to the arena: do it in plain JS rather than fail.
      jsGemm(transA, transB, m, n, k, alpha, a, b, beta, c);
      return;
    }
    if (!transB) {
      // Â(i,p): A·B reads A[i·k + p]; Aᵀ·B reads A[p·m + i].
      this.k.gemm_bn(m, n, k, alpha, pa.ptr, transA ? 1 : k, transA ? m : 1, pb.ptr, beta, pc.ptr);
    } else if (!transA) {
      // A·Bᵀ: with enough rows, transposing B once (n·k moves) and running the 4×8 tile beats
      // m·n short dot products that each end in a horizontal sum.
      // Which side to transpose: B (n·k moves), or, when beta = 0, A (m·k) plus the result (m·n)
      // computing Cᵀ = B·Aᵀ; e.g. a conv weight gradient δ·colsᵀ (16×72×196) moves 4 288 floats
      // instead of 14 112.
      const viaAT = beta === 0 && m * k + m * n < n * k;
      const packed = m >= NT_PACK_MIN_ROWS && k <= NT_PACK_MAX_K ? this.reserve(viaAT ? m * k : n * k) : null;
      const ct = packed !== null && viaAT ? this.reserve(m * n) : null;
      if (packed !== null && ct !== null) {
        this.k.transpose(m, k, pa.ptr, packed);
        this.k.gemm_bn(n, m, k, alpha, pb.ptr, k, 1, packed, 0, ct);
        this.k.transpose(n, m, ct, pc.ptr);
      } else if (packed !== null && !viaAT) {
        this.k.transpose(n, k, pb.ptr, packed);
        this.k.gemm_bn(m, n, k, alpha, pa.ptr, k, 1, packed, beta, pc.ptr);
      } else {
        this.k.gemm_nt(m, n, k, alpha, pa.ptr, pb.ptr, beta, pc.ptr);
      }
    } else {
      // Aᵀ·Bᵀ: A stored k×m, B stored n×k.
      this.k.gemm_scalar(m, n, k, alpha, pa.ptr, 1, m, pb.ptr, 1, k, beta, pc.ptr, n);
    }
    this.finish(pc);
  }

  biasActivation(m: number, n: number, x: FloatArray, bias: FloatArray | null, activation: Activation, out: FloatArray): void {
    const size = m * n;
    checkLength('biasActivation x', x, size);
    checkLength('biasActivation out', out, size);
    if (bias) checkLength('biasActivation bias', bias, n);
    if (size === 0) return;
    this.scratch = this.top;
    // in place (x === out): one read-write operand, so an array outside memory is copied back
    const px = this.need(x === out ? this.inout(x, size) : this.input(x, size));
    const pb = bias ? this.need(this.input(bias, n)).ptr : 0;
    const po = x === out ? px : this.need(this.output(out, size));
    const kind = activationCode(activation);
    this.k.bias_act(m, n, px.ptr, pb, po.ptr, kind ?? 0, LEAKY_SLOPE);
    if (kind === null) {
      // tanh/sigmoid: WASM has no vector exp; Math.tanh/exp keep results equal to the reference.
      const v = this.f32;
      const end = po.ptr / 4 + size;
      if (activation === 'tanh') for (let t = po.ptr / 4; t < end; t++) v[t] = Math.tanh(v[t]);
      else for (let t = po.ptr / 4; t < end; t++) v[t] = 1 / (1 + Math.exp(-v[t]));
    }
    this.finish(po);
  }

  activationBackward(size: number, activation: Activation, y: FloatArray, gradOut: FloatArray, gradIn: FloatArray): void {
    checkLength('activationBackward y', y, size);
    checkLength('activationBackward gradOut', gradOut, size);
    checkLength('activationBackward gradIn', gradIn, size);
    if (size === 0) return;
    const kind = activationCode(activation);
    if (kind === null) {
      // tanh' = 1 − y², sigmoid' = y(1 − y): cheap in JS, no transcendental needed.
      if (activation === 'tanh') for (let t = 0; t < size; t++) gradIn[t] = gradOut[t] * (1 - y[t] * y[t]);
      else for (let t = 0; t < size; t++) gradIn[t] = gradOut[t] * y[t] * (1 - y[t]);
      return;
    }
    this.scratch = this.top;
    const py = this.need(this.input(y, size));
    const pg = this.need(gradIn === gradOut ? this.inout(gradOut, size) : this.input(gradOut, size));
    const pi = gradIn === gradOut ? pg : this.need(this.output(gradIn, size));
    this.k.act_backward(size, py.ptr, pg.ptr, pi.ptr, kind, LEAKY_SLOPE);
    this.finish(pi);
  }

  columnSums(m: number, n: number, alpha: number, x: FloatArray, beta: number, out: FloatArray): void {
    checkLength('columnSums x', x, m * n);
    checkLength('columnSums out', out, n);
    if (n === 0) return;
    this.scratch = this.top;
    const px = this.need(this.input(x, m * n));
    const po = this.need(beta === 0 ? this.output(out, n) : this.inout(out, n));
    this.k.col_sums(m, n, alpha, px.ptr, beta, po.ptr);
    this.finish(po);
  }

  rowSums(m: number, n: number, alpha: number, x: FloatArray, out: FloatArray): void {
    checkLength('rowSums x', x, m * n);
    checkLength('rowSums out', out, m);
    if (m === 0) return;
    this.scratch = this.top;
    const px = this.need(this.input(x, m * n));
    const po = this.need(this.output(out, m));
    this.k.row_sums(m, n, alpha, px.ptr, po.ptr);
    this.finish(po);
  }

  allFinite(n: number, x: FloatArray): boolean {
    checkLength('allFinite x', x, n);
    if (n === 0) return true;
    this.scratch = this.top;
    return this.k.all_finite(n, this.need(this.input(x, n)).ptr) === 1;
  }

  sgdStep(
    n: number, lr: number, weightDecay: number, momentum: number, nesterov: boolean,
    value: FloatArray, grad: FloatArray, velocity: FloatArray | null, update: FloatArray,
  ): void {
    checkLength('sgdStep value', value, n);
    checkLength('sgdStep grad', grad, n);
    checkLength('sgdStep update', update, n);
    if (momentum !== 0) {
      if (!velocity) throw new Error('sgdStep: momentum needs a velocity buffer');
      checkLength('sgdStep velocity', velocity, n);
    }
    if (n === 0) return;
    this.scratch = this.top;
    const pv = this.need(this.inout(value, n));
    const pg = this.need(this.input(grad, n));
    const pm = momentum !== 0 ? this.need(this.inout(velocity!, n)) : null;
    const pu = this.need(this.output(update, n));
    this.k.sgd_step(n, lr, weightDecay, momentum, nesterov ? 1 : 0, pv.ptr, pg.ptr, pm ? pm.ptr : 0, pu.ptr);
    this.finish(pv);
    if (pm) this.finish(pm);
    this.finish(pu);
  }

  rowSumSquares(m: number, n: number, x: FloatArray, out: FloatArray): void {
    checkLength('rowSumSquares x', x, m * n);
    checkLength('rowSumSquares out', out, m);
    if (m === 0) return;
    this.scratch = this.top;
    const px = this.need(this.input(x, m * n));
    const po = this.need(this.output(out, m));
    this.k.row_sumsq(m, n, px.ptr, po.ptr);
    this.finish(po);
  }

  denseNormsSquared(m: number, p: number, q: number, a: FloatArray, delta: FloatArray, withBias: boolean, out: FloatArray): void {
    checkLength('denseNormsSquared a', a, m * p);
    checkLength('denseNormsSquared delta', delta, m * q);
    checkLength('denseNormsSquared out', out, m);
    if (m === 0) return;
    this.scratch = this.top;
    const pa = this.need(this.input(a, m * p));
    const pd = this.need(this.input(delta, m * q));
    const po = this.need(this.output(out, m));
    this.k.dense_norms_sq(m, p, q, pa.ptr, pd.ptr, po.ptr, withBias ? 1 : 0);
    this.finish(po);
  }

  outerBatch(m: number, p: number, q: number, alpha: number, a: FloatArray, delta: FloatArray, out: FloatArray): void {
    checkLength('outerBatch a', a, m * p);
    checkLength('outerBatch delta', delta, m * q);
    checkLength('outerBatch out', out, m * p * q);
    if (m * p * q === 0) return;
    this.scratch = this.top;
    const pa = this.need(this.input(a, m * p));
    const pd = this.need(this.input(delta, m * q));
    if (!this.inside(out)) {
      // One example at a time through a cache-sized scratch: the output (often tens of MB) is then
      // written once, instead of once to scratch and again by a large copy.
      const po = this.need(this.output(out, p * q));
      const view = this.f32.subarray(po.ptr / 4, po.ptr / 4 + p * q);
      for (let i = 0; i < m; i++) {
        this.k.outer_batch(1, p, q, alpha, pa.ptr + i * p * 4, pd.ptr + i * q * 4, po.ptr);
        out.set(view, i * p * q);
      }
      return;
    }
    const po = this.need(this.output(out, m * p * q));
    this.k.outer_batch(m, p, q, alpha, pa.ptr, pd.ptr, po.ptr);
    this.finish(po);
  }

  im2col(g: Im2colGeometry, batch: number, image: FloatArray, cols: FloatArray): void {
    const imageSize = batch * g.channels * g.height * g.width;
    const colsSize = batch * g.channels * g.kernel * g.kernel * g.outH * g.outW;
    checkLength('im2col image', image, imageSize);
    checkLength('im2col cols', cols, colsSize);
    if (colsSize === 0) return;
    this.scratch = this.top;
    const pi = this.need(this.input(image, imageSize));
    const pc = this.need(this.output(cols, colsSize));
    this.k.im2col(batch, g.channels, g.height, g.width, g.kernel, g.stride, g.padTop, g.padLeft, g.outH, g.outW, pi.ptr, pc.ptr);
    this.finish(pc);
  }

  col2im(g: Im2colGeometry, batch: number, cols: FloatArray, image: FloatArray): void {
    const imageSize = batch * g.channels * g.height * g.width;
    const colsSize = batch * g.channels * g.kernel * g.kernel * g.outH * g.outW;
    checkLength('col2im cols', cols, colsSize);
    checkLength('col2im image', image, imageSize);
    if (imageSize === 0) return;
    this.scratch = this.top;
    const pc = this.need(this.input(cols, colsSize));
    const pi = this.need(this.output(image, imageSize));
    this.k.col2im(batch, g.channels, g.height, g.width, g.kernel, g.stride, g.padTop, g.padLeft, g.outH, g.outW, pc.ptr, pi.ptr);
    this.finish(pi);
  }

  maxPool(g: PoolGeometry, planes: number, input: FloatArray, output: FloatArray): void {
    const inSize = planes * g.height * g.width, outSize = planes * g.outH * g.outW;
    checkLength('maxPool input', input, inSize);
    checkLength('maxPool output', output, outSize);
    if (outSize === 0) return;
    this.scratch = this.top;
    const pi = this.need(this.input(input, inSize));
    const po = this.need(this.output(output, outSize));
    this.k.maxpool_forward(planes, g.height, g.width, g.pool, g.stride, g.outH, g.outW, pi.ptr, po.ptr);
    this.finish(po);
  }

  maxPoolBackward(g: PoolGeometry, planes: number, input: FloatArray, output: FloatArray, gradOut: FloatArray, gradIn: FloatArray): void {
    const inSize = planes * g.height * g.width, outSize = planes * g.outH * g.outW;
    checkLength('maxPoolBackward input', input, inSize);
    checkLength('maxPoolBackward output', output, outSize);
    checkLength('maxPoolBackward gradOut', gradOut, outSize);
    checkLength('maxPoolBackward gradIn', gradIn, inSize);
    if (inSize === 0) return;
    this.scratch = this.top;
    const pi = this.need(this.input(input, inSize));
    const po = this.need(this.input(output, outSize));
    const pg = this.need(this.input(gradOut, outSize));
    const pr = this.need(this.output(gradIn, inSize));
    this.k.maxpool_backward(planes, g.height, g.width, g.pool, g.stride, g.outH, g.outW, pi.ptr, po.ptr, pg.ptr, pr.ptr);
    this.finish(pr);
  }

  // ---- operand placement

  private inside(x: FloatArray): boolean {
    return x instanceof Float32Array && x.buffer === this.buffer;
  }

  /** Read-only operand: in place when it lives in the memory, else copied into scratch. */
  private input(x: FloatArray, length: number): Operand | null {
    if (this.inside(x)) return { ptr: x.byteOffset, copyBack: null, length };
    const ptr = this.reserve(length);
    if (ptr === null) return null;
    this.copyCalls++;
    this.f32.set(length === x.length ? x : x.subarray(0, length), ptr / 4);
    return { ptr, copyBack: null, length };
  }

  /** Write-only operand: scratch is copied back to x by finish(). */
  private output(x: FloatArray, length: number): Operand | null {
    if (this.inside(x)) return { ptr: x.byteOffset, copyBack: null, length };
    const ptr = this.reserve(length);
    if (ptr === null) return null;
    this.copyCalls++;
    return { ptr, copyBack: x, length };
  }

  /** Read-write operand (beta ≠ 0). */
  private inout(x: FloatArray, length: number): Operand | null {
    const op = this.input(x, length);
    if (op && !this.inside(x)) op.copyBack = x;
    return op;
  }

  private need(op: Operand | null): Operand {
    if (!op) {
      throw new Error(
        'WASM backend: an operand outside WASM memory does not fit in the remaining scratch space; ' +
        'allocate buffers with backend.alloc or create the backend with a larger initialBytes',
      );
    }
    return op;
  }

  private finish(op: Operand): void {
    if (!op.copyBack) return;
    const src = this.f32.subarray(op.ptr / 4, op.ptr / 4 + op.length);
    op.copyBack.set(src);
  }

  private reserve(length: number): number | null {
    const ptr = this.scratch;
    const end = ptr + align16(length * 4);
    if (end > this.buffer.byteLength) return null;
    this.scratch = end;
    return ptr;
  }
}

function align16(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

function checkLength(what: string, x: FloatArray, needed: number): void {
  if (x.length < needed) throw new Error(`${what}: needs ${needed} elements, the array has ${x.length}`);
}

/** Kernel activation code, or null for the ones done in JS. */
function activationCode(a: Activation): number | null {
  switch (a) {
    case 'linear': return 0;
    case 'relu': return 1;
    case 'leaky-relu': return 2;
    default: return null;
  }
}
