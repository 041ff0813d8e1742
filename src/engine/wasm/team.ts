// Two threads over one shared WebAssembly.Memory: the calling thread and one helper split a large
// gemm_bn or gemm_sparse_a by rows of C (at a multiple of 4, so every element is computed by the
// same tile code in the same order as on one thread: the result is bit-identical). Small products stay on one thread:
// waking the helper costs microseconds, and on a busy machine the helper may not run at once.
//
// Pure: the helper is plain JavaScript (HELPER_SOURCE) started by a function the caller passes in
// (Node: an eval'd worker_thread; a browser: a Worker from a Blob), so the engine stays free of
// node:* imports. Control block, int32 slots at byte CONTROL_OFFSET of the memory:
//   0 job number (the caller bumps it; −1 = exit)
//   1 job done (the helper writes the number; −1 until the helper has started: until then, and
//     when it never does, every product runs on the calling thread)
//   2..9 m, n, k, a, rsA, csA, b, c   10, 11 alpha, beta (as float32)   12 kernel (0 gemm_bn,
//   1 gemm_sparse_a, 2 a list of kernel calls: split.ts)   13 the helper's list scratch for
//   gemm_sparse_a, or the byte offset of the call list
// After a job the helper spins on the job slot for a while before it sleeps: the next product of a
// training step follows within microseconds, and waking a sleeping thread costs tens of them.

import type { KernelExports } from './exports';
import type { WasmMemory, WasmModule } from './wasmApi';

export const CONTROL_OFFSET = 16;
export const CONTROL_BYTES = 64;

/** What the helper thread needs: the compiled shared-memory module, the memory, the control block. */
export interface HelperInit {
  module: WasmModule;
  memory: WasmMemory;
  control: number;
}
/** Starts HELPER_SOURCE's function on another thread with init; returns a way to stop it. */
export type SpawnHelper = (source: string, init: HelperInit) => { terminate(): void };

/**
 * Checks of the job slot before the helper sleeps (~0.2–0.5 ms): the gap between two large products
 * of a training step (the rest of the forward pass and most of the backward pass) fits in it.
 */
const HELPER_SPINS = 200_000;

/** The kernels a call list (split.ts) may name, by their index in this list: only kernels that return nothing. */
export const LISTED_KERNELS = [
  'gemm_bn',
  'gemm_nt',
  'gemm_scalar',
  'transpose',
  'im2col',
  'col2im',
  'row_sums',
  'col_sums',
  'bias_act',
  'act_backward',
  'maxpool_forward',
  'maxpool_backward',
  'maxpool2_forward',
  'maxpool2_backward',
  'gram_upper',
  'gram_upper_sparse',
  'gram_combine',
] as const;

/**
 * The helper's whole program: one function expression, called with a HelperInit. It waits on the
 * job slot, runs gemm_bn on its half, publishes the job number and waits again.
 */
export const HELPER_SOURCE = `function gradientLensGemmHelper(init) {
  const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory } });
  const gemm = instance.exports.gemm_bn;
  const sparse = instance.exports.gemm_sparse_a;
  // A call list (split.ts): float64 words [count, then per call: kernel, argument count, arguments].
  const listed = ${JSON.stringify(LISTED_KERNELS)}.map((name) => instance.exports[name]);
  const runList = (at) => {
    const words = new Float64Array(init.memory.buffer, at);
    for (let c = 0, p = 1; c < words[0]; c++, p += 2 + words[p + 1]) listed[words[p]](...words.subarray(p + 2, p + 2 + words[p + 1]));
  };
  const i32 = new Int32Array(init.memory.buffer, init.control, 16);
  const f32 = new Float32Array(init.memory.buffer, init.control, 16);
  let seen = Atomics.load(i32, 0);
  Atomics.store(i32, 1, seen);
  for (;;) {
    for (let spin = 0; spin < ${HELPER_SPINS} && Atomics.load(i32, 0) === seen; spin++);
    Atomics.wait(i32, 0, seen);
    const job = Atomics.load(i32, 0);
    if (job < 0) return;
    if (job === seen) continue;
    seen = job;
    if (i32[12] === 2) runList(i32[13]);
    else if (i32[12] === 1) sparse(i32[2], i32[3], i32[4], f32[10], i32[5], i32[6], i32[7], i32[8], i32[9], i32[13]);
    else gemm(i32[2], i32[3], i32[4], f32[10], i32[5], i32[6], i32[7], i32[8], f32[11], i32[9]);
    Atomics.store(i32, 1, job);
    Atomics.notify(i32, 1);
  }
}`;

/** Multiply-adds from which a product is split across the two threads (measured: see the bench). */
export const SPLIT_MIN_MACS = 1 << 20;
/** How long the caller waits for the helper (alive but starved for this long means something broke). */
const HELPER_TIMEOUT_MS = 30_000;

/** The helper's share of a product: its rows of C and the operands (pointers and strides as gemm_bn's). */
type HelperRows = [m: number, n: number, k: number, alpha: number, a: number, rsA: number, csA: number, b: number, c: number];

export class GemmTeam {
  private readonly i32: Int32Array;
  private readonly f32: Float32Array;
  private job = 0;
  /** The job of startList not yet waited for (0: none). */
  private started = 0;
  private alive = true;
  /** Products split across the two threads so far. */
  split = 0;

  constructor(
    memory: WasmMemory,
    private readonly k: KernelExports,
    private readonly helper: { terminate(): void },
  ) {
    this.i32 = new Int32Array(memory.buffer, CONTROL_OFFSET, CONTROL_BYTES / 4);
    this.f32 = new Float32Array(memory.buffer, CONTROL_OFFSET, CONTROL_BYTES / 4);
    Atomics.store(this.i32, 1, -1);
  }

  /** Whether the helper thread has started (Node starts a worker only once the caller's event loop runs). */
  get ready(): boolean {
    return this.alive && Atomics.load(this.i32, 1) >= 0;
  }

  /** gemm_bn (see exports.ts), on two threads when it is large enough. */
  readonly gemmBn: KernelExports['gemm_bn'] = (m, n, k, alpha, a, rsA, csA, b, beta, c) => {
    if (!this.splits(m, n, k)) {
      this.k.gemm_bn(m, n, k, alpha, a, rsA, csA, b, beta, c);
      return;
    }
    const top = (m >> 1) & ~3; // rows [0, top) here, [top, m) on the helper
    const job = this.post(0, beta, 0, m - top, n, k, alpha, a + top * rsA * 4, rsA, csA, b, c + top * n * 4);
    this.k.gemm_bn(top, n, k, alpha, a, rsA, csA, b, beta, c);
    this.join(job, m, n, k);
  };

  /** gemm_sparse_a (see exports.ts), on two threads when it is large enough; list2: the helper's scratch, as list. */
  sparse(list2: number, ...[m, n, k, alpha, a, rsA, csA, b, c, list]: Parameters<KernelExports['gemm_sparse_a']>): void {
    if (!this.splits(m, n, k)) {
      this.k.gemm_sparse_a(m, n, k, alpha, a, rsA, csA, b, c, list);
      return;
    }
    const top = (m >> 1) & ~3;
    const job = this.post(1, 0, list2, m - top, n, k, alpha, a + top * rsA * 4, rsA, csA, b, c + top * n * 4);
    this.k.gemm_sparse_a(top, n, k, alpha, a, rsA, csA, b, c, list);
    this.join(job, m, n, k);
  }

  /**
   * Runs the call list at byte offset `list` (split.ts) on the helper while `here` runs on this
   * thread; returns when both are done. The list and `here` must not write the same memory.
   */
  runList(list: number, here: () => void): void {
    const job = this.post(2, 0, list, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    try {
      here();
    } finally {
      // even when `here` throws, the helper's writes must be over before anything reuses the memory
      this.join(job, 0, 0, 0);
    }
  }

  /**
   * Starts the call list at byte offset `list` on the helper and returns at once (deferredStats.ts);
   * finishList(job) waits for it. A product or list posted before that waits for it first.
   */
  startList(list: number): number {
    const job = this.post(2, 0, list, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    this.started = job;
    return job;
  }

  /** Waits for a job of startList (at once when something posted since already waited for it). */
  finishList(job: number): void {
    if (this.started !== job) return;
    this.started = 0;
    this.join(job, 0, 0, 0, false);
  }

  private splits(m: number, n: number, k: number): boolean {
    return m >= 8 && m * n * k >= SPLIT_MIN_MACS && this.ready;
  }

  /** Hands the helper its rows (kind: 0 gemm_bn, 1 gemm_sparse_a); returns the job number. */
  private post(kind: number, beta: number, list: number, ...[m, n, k, alpha, a, rsA, csA, b, c]: HelperRows): number {
    // one job at a time: a list still running from startList is waited for first
    if (this.started !== 0) this.finishList(this.started);
    const { i32, f32 } = this;
    // Words 2..9 of the control block, in the order the helper reads them.
    i32.set([m, n, k, a, rsA, csA, b, c], 2);
    f32[10] = alpha;
    f32[11] = beta;
    i32[12] = kind;
    i32[13] = list;
    const job = ++this.job;
    Atomics.store(i32, 0, job);
    Atomics.notify(i32, 0);
    return job;
  }

  /** Waits until the helper has done job (spinning first: it usually finishes about when this thread does). */
  private join(job: number, m: number, n: number, k: number, counted = true): void {
    const i32 = this.i32;
    if (counted) this.split++;
    for (let spin = 0; spin < 20_000; spin++) if (Atomics.load(i32, 1) === job) return;
    const deadline = Date.now() + HELPER_TIMEOUT_MS;
    for (let done = Atomics.load(i32, 1); done !== job; done = Atomics.load(i32, 1)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        // Redoing its half here could race with a late write of the helper: fail loudly instead.
        this.alive = false;
        throw new Error(
          `WASM backend: the second thread did not finish its half of a ${m}×${n}×${k} product within ${HELPER_TIMEOUT_MS / 1000} s`,
        );
      }
      Atomics.wait(i32, 1, done, left);
    }
  }

  /** Stops the helper thread. */
  close(): void {
    this.alive = false;
    Atomics.store(this.i32, 0, -1);
    Atomics.notify(this.i32, 0);
    this.helper.terminate();
  }
}
