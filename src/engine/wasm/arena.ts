// The WASM backend's memory: ONE WebAssembly.Memory that holds every buffer, and the placement of
// kernel operands in it.
//
// Memory policy (why views never go stale): growing an ordinary WebAssembly.Memory detaches its
// ArrayBuffer, and every Float32Array handed out before would silently become length 0. Growing a
// SHARED memory does not: the bytes stay where they are, earlier views keep working, and only
// `memory.buffer` becomes a new, longer SharedArrayBuffer object. So the memory is shared wherever
// the runtime allows it (Node and its workers; browsers when cross-origin isolated), starts small
// and grows as the model's buffers and each call's scratch need it, up to its maximum (2 GiB, the
// kernels' import). An ordinary memory grows only before the first view is handed out; after that
// a full arena makes `alloc` return an ordinary Float32Array: still correct, because every kernel
// accepts arrays outside the memory through a copy-in/copy-out path (slower). `memoryInfo()`
// reports when that happened.

import type { FloatArray } from '../types';
import type { WasmMemory } from './wasmApi';

export const PAGE_BYTES = 65536;

export interface WasmMemoryInfo {
  /** Bytes the memory has now (it grows on a shared memory). */
  reservedBytes: number;
  /** Bytes handed out by alloc so far. */
  allocatedBytes: number;
  /** alloc calls that did not fit and got an array outside the memory (copy path). */
  outsideAllocs: number;
  /** Kernel calls that had to copy an operand in or out. */
  copyCalls: number;
  /** Times the memory grew. */
  grows: number;
  /** Whether the memory is shared (it can then grow at any time without detaching views). */
  shared: boolean;
}

/** A pointer to an operand inside the memory, plus what to copy back afterwards. */
export interface Operand {
  ptr: number;
  copyBack: FloatArray | null;
  length: number;
}

/** First byte alloc hands out: 0 stays free (the kernels read pointer 0 as "absent", e.g. no bias), 16..96 is the two-thread control block (team.ts). */
const FIRST_FREE = 128;

export class Arena {
  /** The float view of the whole memory, re-derived whenever it grows. */
  f32: Float32Array;
  /** Every buffer object the memory has had: views made before a growth still point at an older one. */
  private readonly buffers: ArrayBufferLike[];
  /** First free byte of the arena; below it, alloc'd views; above it, per-call scratch. */
  private top = FIRST_FREE;
  private scratch = 0;
  private outsideAllocs = 0;
  private copyCalls = 0;
  private grows = 0;

  /** maxBytes: the memory's maximum (growth stops there). */
  constructor(
    private readonly memory: WasmMemory,
    readonly shared: boolean,
    private readonly maxBytes: number,
  ) {
    this.buffers = [memory.buffer];
    this.f32 = new Float32Array(memory.buffer);
  }

  get buffer(): ArrayBuffer {
    return this.memory.buffer;
  }

  memoryInfo(): WasmMemoryInfo {
    return {
      reservedBytes: this.memory.buffer.byteLength,
      allocatedBytes: this.top,
      outsideAllocs: this.outsideAllocs,
      copyCalls: this.copyCalls,
      grows: this.grows,
      shared: this.shared,
    };
  }

  alloc(length: number): Float32Array {
    if (!Number.isInteger(length) || length < 0) throw new Error(`alloc: length must be a non-negative integer, got ${length}`);
    const bytes = align16(length * 4);
    if (!this.fits(this.top + bytes)) {
      this.outsideAllocs++;
      return new Float32Array(length);
    }
    // A shared memory's `buffer` may come back as a new object without growing (V8, once the memory
    // has been posted to a worker): remember it, or views made on it would not count as inside and
    // every kernel call would copy them in and out.
    const buffer = this.memory.buffer;
    if (buffer !== this.buffers[this.buffers.length - 1]) this.buffers.push(buffer);
    const view = new Float32Array(buffer, this.top, length);
    this.top += bytes;
    // zeroed here: the space above `top` is every kernel call's scratch, so it may hold an earlier
    // call's values (an optimizer's velocity allocated after a kernel ran started with them)
    view.fill(0);
    return view;
  }

  /** Starts a kernel call: its scratch space begins right above the allocations. */
  begin(): void {
    this.scratch = this.top;
  }

  inside(x: FloatArray): boolean {
    return x instanceof Float32Array && this.buffers.includes(x.buffer);
  }

  /** Read-only operand: in place when it lives in the memory, else copied into scratch. */
  input(x: FloatArray, length: number): Operand | null {
    if (this.inside(x)) return { ptr: x.byteOffset, copyBack: null, length };
    const ptr = this.reserve(length);
    if (ptr === null) return null;
    this.copyCalls++;
    this.f32.set(length === x.length ? x : x.subarray(0, length), ptr / 4);
    return { ptr, copyBack: null, length };
  }

  /** Write-only operand: scratch is copied back to x by finish(). */
  output(x: FloatArray, length: number): Operand | null {
    if (this.inside(x)) return { ptr: x.byteOffset, copyBack: null, length };
    const ptr = this.reserve(length);
    if (ptr === null) return null;
    this.copyCalls++;
    return { ptr, copyBack: x, length };
  }

  /** Read-write operand (beta ≠ 0, in-place updates). */
  inout(x: FloatArray, length: number): Operand | null {
    const op = this.input(x, length);
    if (op && !this.inside(x)) op.copyBack = x;
    return op;
  }

  /** The pointer of a read-only operand (copied into scratch when outside), or the clear error. */
  in(x: FloatArray, length: number): number {
    return this.need(this.input(x, length)).ptr;
  }

  need(op: Operand | null): Operand {
    if (!op) {
      throw new Error(
        `WASM backend: an operand outside WASM memory does not fit in the remaining scratch space (the memory is at its ` +
          `${this.shared ? `maximum of ${this.maxBytes / 2 ** 20} MiB` : 'size, and an unshared memory cannot grow once in use'}); ` +
          'allocate buffers with backend.alloc or create the backend with a larger initialBytes',
      );
    }
    return op;
  }

  finish(op: Operand): void {
    if (!op.copyBack) return;
    op.copyBack.set(this.f32.subarray(op.ptr / 4, op.ptr / 4 + op.length));
  }

  /** A scratch block of `length` floats for this call, or null when the memory is full. */
  reserve(length: number): number | null {
    const ptr = this.scratch;
    const end = ptr + align16(length * 4);
    if (!this.fits(end)) return null;
    this.scratch = end;
    return ptr;
  }

  /**
   * Whether bytes [0, end) are in the memory, growing it when it may: by at least half its size, so
   * a model's many allocations cost a few growths, not one each.
   */
  private fits(end: number): boolean {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return true;
    if (end > this.maxBytes || (!this.shared && this.top > FIRST_FREE)) return false;
    const target = Math.min(this.maxBytes, Math.max(end, have + (have >> 1)));
    try {
      this.memory.grow(Math.ceil((target - have) / PAGE_BYTES));
    } catch {
      return false; // the runtime refused (out of address space): the copy path or the error takes over
    }
    this.grows++;
    this.buffers.push(this.memory.buffer);
    this.f32 = new Float32Array(this.memory.buffer);
    return true;
  }
}

function align16(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

export function checkLength(what: string, x: FloatArray, needed: number): void {
  if (x.length < needed) throw new Error(`${what}: needs ${needed} elements, the array has ${x.length}`);
}
