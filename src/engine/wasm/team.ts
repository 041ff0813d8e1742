// Two threads over one shared WebAssembly.Memory: the calling thread and one helper share a large
// gemm_bn or gemm_sparse_a by chunks of rows of C (each a multiple of 4 rows but the last, so every
// element is computed by the same tile code in the same order as on one thread: the result is
// bit-identical). Small products stay on one thread: handing out work costs microseconds.
//
// The chunks are claimed, not assigned: the caller takes them from the front, the helper from the
// back, each with a compare-exchange on one claim word, until they meet; the caller then waits only
// for the chunks the helper actually took. A helper that is asleep, still starting, or descheduled
// by a busy machine (with a fixed half the caller sat waiting for a thread that had no core:
// 2–4× slower steps under load) costs the caller at most the chunk it holds. From the back: on a
// quiet machine each thread takes about the same rows every step, so a weight gradient's rows and
// the SGD step over them (also split here, kind 3) stay in one core's cache.
//
// Pure: the helper is plain JavaScript (HELPER_SOURCE) started by a function the caller passes in
// (Node: an eval'd worker_thread; a browser: a Worker from a Blob), so the engine stays free of
// node:* imports. Control block, int32 slots at byte CONTROL_OFFSET of the memory:
//   0 job number (the caller bumps it; −1 = exit)
//   1 −1 until the helper has started (until then, and when it never does, every product runs on
//     the calling thread), then 1
//   2..9 m, n, k, a, rsA, csA, b, c   10, 11 alpha, beta (as float32)   12 kernel (0 gemm_bn,
//   1 gemm_sparse_a, 2 a list of kernel calls: split.ts, 3 sgd_step)   13 the helper's list scratch
//   for gemm_sparse_a, or the byte offset of the call list   14 rows (sgd_step: values) per chunk
//   15 chunks   16 claim word: (job & JOB_MASK) << 16 | end of the chunks left << 8 | their start;
//   a thread claims with compare-exchange, so the helper never takes a chunk of a job other than
//   the one whose operands it read   17 the helper's done word: (job & JOB_MASK) << 8 | chunks it
//   has finished of that job   18 sgd_step: 1, or 0 once the helper saw a non-finite value
//   sgd_step's operands: 2 n, 3 mu (float32), 4 nesterov, 5 value, 6 grad, 7 velocity, 8 update,
//   10 lr, 11 weight decay   19 1 while the helper sleeps on the job slot
// The helper can be started late (startAfterMs): only once work worth sharing has kept coming for
// that long, so a short run (the 200-step digits example trains in ~0.2 s) never pays its start.
// After a job the helper spins on the job slot for a while before it sleeps (HELPER_SPIN_US): the
// next job of a training step follows within tens of microseconds, and a notify costs the caller
// ~5 µs and the helper ~4–7 µs to wake (measured at load 23).

import type { KernelExports } from './exports';
import type { WasmMemory, WasmModule } from './wasmApi';

export const CONTROL_OFFSET = 16;
export const CONTROL_BYTES = 80;
/** Job numbers in the claim and done words keep these bits (above them: two 8-bit chunk indices). */
const JOB_MASK = 0x7fff;
/** At most this many chunks per product (the index has 8 bits; more chunks cost more handoffs). */
const MAX_CHUNKS = 32;

/** What the helper thread needs: the compiled shared-memory module, the memory, the control block. */
export interface HelperInit {
  module: WasmModule;
  memory: WasmMemory;
  control: number;
}
/** Starts HELPER_SOURCE's function on another thread with init; returns a way to stop it. */
export type SpawnHelper = (source: string, init: HelperInit) => { terminate(): void };

/**
 * Microseconds the helper spins on the job slot after a job before it sleeps. The bench MLP's gaps
 * between shared jobs (one thread, p10 under load ≈ quiet: a step of 246 µs) are 71 µs (the rest
 * of the forward and backward pass), 2 µs and 32 µs, so 100 µs keeps the helper awake through a
 * step on a quiet machine. Longer is worse on a busy one: a spinning helper takes the CPU share
 * the caller's own thread would get (Linux groups a session's threads), and a thread woken from
 * sleep is run sooner than one that spun. Measured interleaved in one process at load 21–23, two
 * threads over one: spinning 200 000 checks (~1.2 ms) 0.72× (MLP) and 0.40× (CNN); 8 000 (~50 µs)
 * 1.48× and 1.26×; 20 000 (~120 µs) 0.95–1.20× (MLP).
 */
const HELPER_SPIN_US = 100;

/** The kernels a call list (split.ts) may name, by their index in this list: only kernels that return nothing. */
export const LISTED_KERNELS = [
  'gemm_bn',
  'gemm_bn_each',
  'gemm_nt',
  'gemm_scalar',
  'transpose',
  'im2col',
  'col2im',
  'row_sums',
  'col_sums',
  'bias_act',
  'channel_bias_act',
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
 * job slot, claims chunks of the job until none are left, and waits again.
 */
export const HELPER_SOURCE = `function gradientLensGemmHelper(init) {
  const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory } });
  const gemm = instance.exports.gemm_bn;
  const sparse = instance.exports.gemm_sparse_a;
  const sgd = instance.exports.sgd_step;
  // A call list (split.ts): float64 words [count, then per call: kernel, argument count, arguments].
  const listed = ${JSON.stringify(LISTED_KERNELS)}.map((name) => instance.exports[name]);
  const runList = (at) => {
    const words = new Float64Array(init.memory.buffer, at);
    for (let c = 0, p = 1; c < words[0]; c++, p += 2 + words[p + 1]) listed[words[p]](...words.subarray(p + 2, p + 2 + words[p + 1]));
  };
  const i32 = new Int32Array(init.memory.buffer, init.control, ${CONTROL_BYTES / 4});
  const f32 = new Float32Array(init.memory.buffer, init.control, ${CONTROL_BYTES / 4});
  let seen = Atomics.load(i32, 0);
  Atomics.store(i32, 1, 1);
  for (;;) {
    const until = performance.now() + ${HELPER_SPIN_US / 1000};
    for (let spin = 1; Atomics.load(i32, 0) === seen && ((spin & 31) !== 0 || performance.now() < until); spin++);
    // asleep: the caller notifies only then (a notify costs it ~5 µs when someone waits)
    Atomics.store(i32, 19, 1);
    Atomics.wait(i32, 0, seen);
    Atomics.store(i32, 19, 0);
    const job = Atomics.load(i32, 0);
    if (job < 0) return;
    if (job === seen) continue;
    seen = job;
    // Operands read before any claim: they may belong to a later job by now, but then the claim
    // word no longer carries this job's tag and nothing is claimed with them.
    const kind = i32[12], m = i32[2], n = i32[3], k = i32[4], a = i32[5], rsA = i32[6], csA = i32[7];
    const b = i32[8], c = i32[9], alpha = f32[10], beta = f32[11], list = i32[13], rows = i32[14];
    const mu = f32[3], nesterov = i32[4], tag = job & ${JOB_MASK};
    for (let done = 0; ; ) {
      // the last chunk left, from the back
      const claim = Atomics.load(i32, 16), end = (claim >> 8) & 255;
      if (claim >>> 16 !== tag || end <= (claim & 255)) break;
      if (Atomics.compareExchange(i32, 16, claim, claim - 256) !== claim) continue;
      const r0 = (end - 1) * rows, h = Math.min(rows, m - r0);
      if (kind === 3) {
        if (sgd(h, alpha, beta, mu, nesterov, a + r0 * 4, rsA + r0 * 4, csA === 0 ? 0 : csA + r0 * 4, b + r0 * 4) !== 1) Atomics.store(i32, 18, 0);
      } else if (kind === 2) runList(list);
      else if (kind === 1) sparse(h, n, k, alpha, a + r0 * rsA * 4, rsA, csA, b, c + r0 * n * 4, list);
      else gemm(h, n, k, alpha, a + r0 * rsA * 4, rsA, csA, b, beta, c + r0 * n * 4);
      Atomics.store(i32, 17, (tag << 8) | ++done);
      Atomics.notify(i32, 17);
    }
  }
}`;

/**
 * Multiply-adds from which a product is split across the two threads. 2¹⁹ splits the bench CNN's
 * dense layer (784→26 at batch 32: 652k multiply-adds in each of its three products): its forward
 * plus backward went from 0.162 to 0.126 ms (best of ~580 steps each, interleaved, load 17); the
 * bench MLP's products are either above 2²⁰ or below 2¹⁹, so it is unchanged.
 */
export const SPLIT_MIN_MACS = 1 << 19;
/** Values from which an SGD step is split (the MLP's first layer, 100 352 weights; its second, 8 192, is not). */
export const SPLIT_MIN_VALUES = 1 << 15;
/** Microseconds the caller spins for the helper's last chunks before it sleeps (see join). */
const JOIN_SPIN_US = 20;
/** How long the caller waits for the helper (alive but starved for this long means something broke). */
const HELPER_TIMEOUT_MS = 30_000;

/** A job's operands as the helper reads them (pointers and strides as gemm_bn's; m: all rows of C). */
type JobOperands = [m: number, n: number, k: number, alpha: number, a: number, rsA: number, csA: number, b: number, c: number];

export class GemmTeam {
  private readonly i32: Int32Array;
  private readonly f32: Float32Array;
  private readonly listed: ((...args: number[]) => void)[];
  private readonly memory: WasmMemory;
  private job = 0;
  /** The tag of startList's job not waited for yet (−1: none), and its list. */
  private started = -1;
  private startedList = 0;
  private alive = true;
  private helper: { terminate(): void } | null = null;
  /** When work worth sharing first came (performance.now), while the helper is deferred; −1 before. */
  private firstWork = -1;
  /** Products and call lists handed to the two threads so far. */
  split = 0;
  /** Chunks of those the helper computed (the rest ran on the calling thread). */
  helperChunks = 0;

  constructor(
    memory: WasmMemory,
    private readonly k: KernelExports,
    private readonly start: () => { terminate(): void },
    private readonly startAfterMs = 0,
  ) {
    this.memory = memory;
    this.i32 = new Int32Array(memory.buffer, CONTROL_OFFSET, CONTROL_BYTES / 4);
    this.f32 = new Float32Array(memory.buffer, CONTROL_OFFSET, CONTROL_BYTES / 4);
    this.listed = LISTED_KERNELS.map((name) => k[name] as (...args: number[]) => void);
    Atomics.store(this.i32, 1, -1);
    if (!(startAfterMs > 0)) this.startHelper();
  }

  /** Whether the helper thread has been started (it may still be booting: see ready). */
  get spawned(): boolean {
    return this.helper !== null;
  }

  /** Whether to hand out work now: the helper runs (a deferred one is started here once it is due). */
  engaged(): boolean {
    if (this.helper === null && this.alive) {
      const now = typeof performance !== 'undefined' ? performance.now() : Date.now();
      if (this.firstWork < 0) this.firstWork = now;
      else if (now - this.firstWork >= this.startAfterMs) this.startHelper();
    }
    return this.ready;
  }

  private startHelper(): void {
    try {
      this.helper = this.start();
    } catch {
      // no second thread here (e.g. too many threads): this backend stays on one
      this.alive = false;
    }
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
    const [rows, chunks] = chunking(m);
    const tag = this.post(0, beta, 0, rows, chunks, m, n, k, alpha, a, rsA, csA, b, c);
    let mine = 0;
    for (let i = this.claim(); i >= 0; i = this.claim(), mine++) {
      const r0 = i * rows;
      this.k.gemm_bn(Math.min(rows, m - r0), n, k, alpha, a + r0 * rsA * 4, rsA, csA, b, beta, c + r0 * n * 4);
    }
    this.join(tag, chunks - mine, `a ${m}×${n}×${k} product`);
  };

  /** gemm_sparse_a (see exports.ts), on two threads when it is large enough; list2: the helper's scratch, as list. */
  sparse(list2: number, ...[m, n, k, alpha, a, rsA, csA, b, c, list]: Parameters<KernelExports['gemm_sparse_a']>): void {
    if (!this.splits(m, n, k)) {
      this.k.gemm_sparse_a(m, n, k, alpha, a, rsA, csA, b, c, list);
      return;
    }
    const [rows, chunks] = chunking(m);
    const tag = this.post(1, 0, list2, rows, chunks, m, n, k, alpha, a, rsA, csA, b, c);
    let mine = 0;
    for (let i = this.claim(); i >= 0; i = this.claim(), mine++) {
      const r0 = i * rows;
      this.k.gemm_sparse_a(Math.min(rows, m - r0), n, k, alpha, a + r0 * rsA * 4, rsA, csA, b, c + r0 * n * 4, list);
    }
    this.join(tag, chunks - mine, `a ${m}×${n}×${k} product`);
  }

  /** sgd_step (see exports.ts), on two threads from SPLIT_MIN_VALUES values; its result is the AND of both threads' finite flags. */
  readonly sgdStep: KernelExports['sgd_step'] = (n, lr, wd, mu, nesterov, value, grad, vel, update) => {
    if (n < SPLIT_MIN_VALUES || !this.engaged()) return this.k.sgd_step(n, lr, wd, mu, nesterov, value, grad, vel, update);
    this.finishStarted();
    const { i32, f32 } = this;
    const [per, chunks] = chunking(n, 16);
    i32.set([n, 0, nesterov, value, grad, vel, update], 2);
    f32[3] = mu;
    f32[10] = lr;
    f32[11] = wd;
    i32[12] = 3;
    i32[14] = per;
    Atomics.store(i32, 18, 1);
    const tag = this.publish(chunks);
    let finite = 1,
      mine = 0;
    for (let i = this.claim(); i >= 0; i = this.claim(), mine++) {
      const at = i * per * 4;
      finite &= this.k.sgd_step(
        Math.min(per, n - i * per),
        lr,
        wd,
        mu,
        nesterov,
        value + at,
        grad + at,
        vel === 0 ? 0 : vel + at,
        update + at,
      );
    }
    this.join(tag, chunks - mine, `its part of an SGD step over ${n} values`);
    return finite & Atomics.load(i32, 18);
  };

  /**
   * Runs the call list at byte offset `list` (split.ts) on the helper while `here` runs on this
   * thread; returns when both are done. When the helper has not taken the list by the time `here`
   * is over, this thread runs it (the same kernels on the same operands: the same bits). The list
   * and `here` must not write the same memory.
   */
  runList(list: number, here: () => void): void {
    const tag = this.post(2, 0, list, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    let mine = 0;
    try {
      here();
    } finally {
      // even when `here` throws, the helper's writes must be over before anything reuses the memory
      if (this.claim() === 0) mine = 1;
      this.join(tag, 1 - mine, 'its part of a layer');
    }
    if (mine === 1) this.runListHere(list);
  }

  private runListHere(at: number): void {
    const words = new Float64Array(this.memory.buffer, at);
    for (let c = 0, p = 1; c < words[0]; c++, p += 2 + words[p + 1])
      this.listed[words[p]](...words.subarray(p + 2, p + 2 + words[p + 1]));
  }

  /**
   * Starts the call list at byte offset `list` on the helper and returns at once (deferredStats.ts);
   * finishList(tag) waits for it. Anything handed out before that finishes it first (one job at a time).
   */
  startList(list: number): number {
    this.finishStarted();
    const tag = this.post(2, 0, list, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    this.started = tag;
    this.startedList = list;
    return tag;
  }

  /**
   * Waits for a job of startList (at once when something handed out since already finished it).
   * When the helper has not taken the list yet this thread runs it: the same kernels on the same
   * operands, the same bits, and no waiting for a helper the machine has not scheduled.
   */
  finishList(tag: number): void {
    if (this.started !== tag) return;
    this.started = -1;
    if (this.claim() === 0) this.runListHere(this.startedList);
    else this.join(tag, 1, 'the statistics of the dense layers');
  }

  private finishStarted(): void {
    if (this.started !== -1) this.finishList(this.started);
  }

  private splits(m: number, n: number, k: number): boolean {
    return m >= 8 && m * n * k >= SPLIT_MIN_MACS && this.engaged();
  }

  /** Publishes a job (kind: 0 gemm_bn, 1 gemm_sparse_a, 2 a call list; sgdStep writes its own) in `chunks` chunks of `rows` rows; returns its tag. */
  private post(
    kind: number,
    beta: number,
    list: number,
    rows: number,
    chunks: number,
    ...[m, n, k, alpha, a, rsA, csA, b, c]: JobOperands
  ): number {
    this.finishStarted();
    const { i32, f32 } = this;
    // Words 2..9 of the control block, in the order the helper reads them.
    i32.set([m, n, k, a, rsA, csA, b, c], 2);
    f32[10] = alpha;
    f32[11] = beta;
    i32[12] = kind;
    i32[13] = list;
    i32[14] = rows;
    return this.publish(chunks);
  }

  /** Publishes the job whose operands are in the control block, in `chunks` chunks; returns its tag. */
  private publish(chunks: number): number {
    const i32 = this.i32;
    i32[15] = chunks;
    const job = (this.job = (this.job + 1) & JOB_MASK);
    Atomics.store(i32, 16, (job << 16) | (chunks << 8));
    Atomics.store(i32, 0, job);
    // the helper sets word 19 before it sleeps: if it set it after this load, its wait sees the new job and returns at once
    if (Atomics.load(i32, 19) !== 0) Atomics.notify(i32, 0);
    this.split++;
    return job << 8;
  }

  /** Claims the current job's first chunk left for this thread: its index, or −1 when none is left. */
  private claim(): number {
    for (;;) {
      const claim = Atomics.load(this.i32, 16),
        start = claim & 255;
      if (start >= ((claim >> 8) & 255)) return -1;
      if (Atomics.compareExchange(this.i32, 16, claim, claim + 1) === claim) return start;
    }
  }

  /**
   * Waits until the helper has finished the `taken` chunks it claimed of the job: spinning for
   * JOIN_SPIN_US first (it is usually about done: a chunk takes microseconds), then asleep, which
   * gives the core to the helper when the machine is busy (spinning ~120 µs instead: two threads
   * over one 0.43–0.54× (MLP) and 0.86–1.83× (CNN) against 0.65–1.57× and 1.53–2.63×, interleaved
   * at load 27).
   */
  private join(tag: number, taken: number, what: string): void {
    if (taken === 0) return;
    this.helperChunks += taken;
    const i32 = this.i32;
    const want = tag | taken;
    const until = performance.now() + JOIN_SPIN_US / 1000;
    for (let spin = 1; Atomics.load(i32, 17) !== want; spin++) if ((spin & 31) === 0 && performance.now() > until) break;
    if (Atomics.load(i32, 17) === want) return;
    const deadline = Date.now() + HELPER_TIMEOUT_MS;
    for (let done = Atomics.load(i32, 17); done !== want; done = Atomics.load(i32, 17)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        // Redoing its chunks here could race with a late write of the helper: fail loudly instead.
        this.alive = false;
        throw new Error(`WASM backend: the second thread did not finish ${what} within ${HELPER_TIMEOUT_MS / 1000} s`);
      }
      Atomics.wait(i32, 17, done, left);
    }
  }

  /** Stops the helper thread. */
  close(): void {
    this.alive = false;
    Atomics.store(this.i32, 0, -1);
    Atomics.notify(this.i32, 0);
    this.helper?.terminate();
  }
}

/**
 * Rows per chunk (a multiple of unit: 4, the tiles' height, or 16 values for sgd_step; only the
 * last chunk holds a remainder) and the chunk count for m rows: at most MAX_CHUNKS, so a 32-row
 * batch goes in 8 chunks of 4 rows.
 */
function chunking(m: number, unit = 4): [rows: number, chunks: number] {
  const rows = unit * Math.max(1, Math.ceil(Math.floor(m / unit) / MAX_CHUNKS));
  return [rows, Math.ceil(m / rows)];
}
