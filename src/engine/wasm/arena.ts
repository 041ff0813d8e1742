// The WASM backend's memory: ONE WebAssembly.Memory that holds every buffer, and the placement of
// kernel operands in it.
//
// Memory policy (why views never go stale): growing a WebAssembly.Memory detaches its ArrayBuffer,
// and every Float32Array handed out before would silently become length 0. So the memory never
// grows once it exists. It reserves `initialBytes` up front (default 128 MiB: pages are committed by
// the OS only when touched, so unused reservation costs address space, not RAM), and `alloc`
// bump-allocates 16-byte-aligned views inside it. When the arena is full, `alloc` returns an
// ordinary Float32Array instead: still correct, because every kernel accepts arrays outside the
// memory through a copy-in/copy-out path (slower). `memoryInfo()` reports when that happened.

import type { FloatArray } from '../types';
import type { WasmMemory } from './wasmApi';

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

/** A pointer to an operand inside the memory, plus what to copy back afterwards. */
export interface Operand {
  ptr: number;
  copyBack: FloatArray | null;
  length: number;
}

export class Arena {
  readonly buffer: ArrayBuffer;
  readonly f32: Float32Array;
  /** First free byte of the arena; below it, alloc'd views; above it, per-call scratch. */
  // keep 0 free (the kernels use pointer 0 as "absent", e.g. no bias) and 16..64 for the control
  // block of the two-thread gemm (team.ts)
  private top = 64;
  private scratch = 0;
  private outsideAllocs = 0;
  private copyCalls = 0;

  constructor(memory: WasmMemory) {
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

  /** Starts a kernel call: its scratch space begins right above the allocations. */
  begin(): void {
    this.scratch = this.top;
  }

  inside(x: FloatArray): boolean {
    return x instanceof Float32Array && x.buffer === this.buffer;
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

  need(op: Operand | null): Operand {
    if (!op) {
      throw new Error(
        'WASM backend: an operand outside WASM memory does not fit in the remaining scratch space; ' +
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
    if (end > this.buffer.byteLength) return null;
    this.scratch = end;
    return ptr;
  }
}

function align16(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

export function checkLength(what: string, x: FloatArray, needed: number): void {
  if (x.length < needed) throw new Error(`${what}: needs ${needed} elements, the array has ${x.length}`);
}
