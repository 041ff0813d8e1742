// The two-thread team (src/engine/wasm/team.ts) driven directly over its own shared memory, with
// schedules made deterministic: a "helper" that only says it started (so this thread runs every
// chunk, and its kernel calls show how a product is cut), the real helper (HELPER_SOURCE) with this
// thread's first chunk held until the helper has claimed all the others, the real helper slowed
// down (each of its kernel calls sleeps first: the caller must wait for it), and this thread
// claiming a chunk in the helper's place and never finishing it (the 30 s timeout, with Date.now
// moved on). Every result is checked against the one-thread kernel on a copy of the operands (the
// same bits, which the team promises) and against the float64 product or SGD rule written here;
// how a product is cut against the rule in team.ts's comments worked out by hand (4-row chunks but
// the last, at most 32 of them).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { KERNEL_MODULES_BASE64 } from '../../../src/engine/wasm/kernels.generated';
import { decodeBase64 } from '../../../src/engine/wasm/base64';
import { wasmApi } from '../../../src/engine/wasm/wasmApi';
import type { KernelExports } from '../../../src/engine/wasm/exports';
import {
  CONTROL_OFFSET,
  GemmTeam,
  HELPER_SOURCE,
  LISTED_KERNELS,
  SPLIT_MIN_MACS,
  SPLIT_MIN_VALUES,
} from '../../../src/engine/wasm/team';
import { nodeSpawnHelper } from '../../../src/engine-host/spawnHelper';
import { Rng } from '../../../src/engine/random';
import { countingContext, type CountingContext } from './wasmCounting';
import { textbookGemm } from './reference';

const module = new (wasmApi().Module)(decodeBase64(KERNEL_MODULES_BASE64.plainShared));
const rng = new Rng(20261204);
const closing: GemmTeam[] = [];
after(() => closing.forEach((t) => t.close()));

type Hook = (name: string, args: number[]) => void;

interface Rig {
  ctx: CountingContext;
  team: GemmTeam;
  /** The control block, read independently of the team (team.ts's comment gives its words). */
  control: Int32Array;
  /** The caller's calls of gemm_bn, gemm_sparse_a and sgd_step with their arguments. */
  mine: [string, number[]][];
  /** Runs before each of those calls (this thread only). */
  hook: { fn: Hook | null };
  starts: number;
}

/** A helper that only says it has started (this thread then runs every chunk): no thread at all. */
const idle = (control: Int32Array) => () => {
  Atomics.store(control, 1, 1);
  return { terminate() {} };
};

/** The real helper, each of its gemm_bn and gemm_sparse_a calls (also those of a call list) sleeping `ms` first. */
function slowHelper(ms: number): string {
  return `function (init) {
    const Real = WebAssembly.Instance;
    WebAssembly.Instance = function (m, imports) {
      const exports = { ...new Real(m, imports).exports };
      const nap = new Int32Array(new SharedArrayBuffer(4));
      for (const name of ['gemm_bn', 'gemm_sparse_a']) {
        const f = exports[name];
        exports[name] = (...a) => (Atomics.wait(nap, 0, 0, ${ms}), f(...a));
      }
      return { exports };
    };
    (${HELPER_SOURCE})(init);
  }`;
}

function rig(
  start: 'idle' | 'real' | 'slow' | ((control: Int32Array, memory: CountingContext['memory']) => { terminate(): void }),
  startAfterMs = 0,
): Rig {
  const ctx = countingContext(256, 256);
  const control = new Int32Array(ctx.memory.buffer, CONTROL_OFFSET, 20);
  const mine: [string, number[]][] = [];
  const hook: { fn: Hook | null } = { fn: null };
  const wrapped = { ...ctx.k } as unknown as Record<string, (...a: number[]) => number>;
  for (const name of ['gemm_bn', 'gemm_sparse_a', 'sgd_step']) {
    const f = wrapped[name];
    wrapped[name] = (...args: number[]) => {
      mine.push([name, args]);
      hook.fn?.(name, args);
      return f(...args);
    };
  }
  const init = { module, memory: ctx.memory, control: CONTROL_OFFSET };
  const r: Rig = { ctx, team: null as unknown as GemmTeam, control, mine, hook, starts: 0 };
  const spawn = () => {
    r.starts++;
    if (start === 'idle') return idle(control)();
    if (start === 'real') return nodeSpawnHelper(HELPER_SOURCE, init);
    if (start === 'slow') return nodeSpawnHelper(slowHelper(150), init);
    return start(control, ctx.memory);
  };
  r.team = new GemmTeam(ctx.memory, wrapped as unknown as KernelExports, spawn, startAfterMs);
  closing.push(r.team);
  return r;
}

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) assert.fail(`waited ${ms} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function started(r: Rig): Promise<Rig> {
  await until('the helper to start', () => r.team.ready);
  return r;
}

/** Blocks this thread until every chunk of the current job is claimed (the helper took all it could). */
function awaitClaims(control: Int32Array): void {
  const t0 = Date.now();
  for (;;) {
    const claim = Atomics.load(control, 16);
    if (((claim >> 8) & 255) <= (claim & 255) || Date.now() - t0 > 60_000) return;
    Atomics.wait(control, 16, claim, 1);
  }
}

/** Claims the last chunk left as the helper would (from the back), and never reports it done. */
function claimAsHelper(control: Int32Array): void {
  for (;;) {
    const claim = Atomics.load(control, 16);
    assert.ok(((claim >> 8) & 255) > (claim & 255), 'a chunk is left to claim');
    if (Atomics.compareExchange(control, 16, claim, claim - 256) === claim) return;
  }
}

/** The caller's first kernel call of the next job waits until the helper has claimed the rest. */
function holdFirstChunk(r: Rig): void {
  r.hook.fn = () => {
    r.hook.fn = null;
    awaitClaims(r.control);
  };
}

function fill(x: Float32Array, density = 1): Float32Array {
  for (let i = 0; i < x.length; i++) x[i] = rng.next() < density ? rng.next() * 2 - 1 : 0;
  return x;
}

const ptr = (x: Float32Array) => x.byteOffset;

interface Product {
  m: number;
  n: number;
  k: number;
  alpha: number;
  beta: number;
  /** A stored k×m (Â = Aᵀ through rsA 1, csA m) instead of m×k. */
  tA: boolean;
  a: Float32Array;
  b: Float32Array;
  c: Float32Array;
  /** C and the floats after it (a guard: NaN, must stay NaN). */
  cAndGuard: Float32Array;
  /** C as one gemm_bn call on this thread gives it (from a copy of C). */
  one: Float32Array;
}

const GUARD = 64;

function product(r: Rig, m: number, n: number, k: number, opts: { tA?: boolean; beta?: number; density?: number } = {}): Product {
  const { tA = false, beta = 0, density = 1 } = opts;
  const a = fill(r.ctx.arena.alloc(m * k), density),
    b = fill(r.ctx.arena.alloc(k * n));
  const cAndGuard = r.ctx.arena.alloc(m * n + GUARD).fill(NaN);
  const c = fill(cAndGuard.subarray(0, m * n));
  const one = r.ctx.arena.alloc(m * n);
  one.set(c);
  const [rsA, csA] = tA ? [1, m] : [k, 1];
  r.ctx.k.gemm_bn(m, n, k, 0.75, ptr(a), rsA, csA, ptr(b), beta, ptr(one));
  return { m, n, k, alpha: 0.75, beta, tA, a, b, c, cAndGuard, one };
}

function runProduct(r: Rig, p: Product): void {
  const [rsA, csA] = p.tA ? [1, p.m] : [p.k, 1];
  r.team.gemmBn(p.m, p.n, p.k, p.alpha, ptr(p.a), rsA, csA, ptr(p.b), p.beta, ptr(p.c));
}

/** C against the one-thread kernel (bit for bit) and the float64 product; the guard untouched. */
function check(p: Product, what: string, c0: Float32Array | null = null): void {
  for (let i = 0; i < p.c.length; i++)
    if (!Object.is(p.c[i], p.one[i])) assert.fail(`${what}: C[${i}] is ${p.c[i]} on the team, ${p.one[i]} on one thread`);
  for (let i = 0; i < GUARD; i++) if (!Number.isNaN(p.cAndGuard[p.c.length + i])) assert.fail(`${what}: written past C at +${i}`);
  if (c0 === null) return;
  const ref = textbookGemm(p.tA, false, p.m, p.n, p.k, p.alpha, p.a, p.b, p.beta, c0);
  for (let i = 0; i < p.c.length; i++)
    if (!(Math.abs(p.c[i] - ref.value[i]) <= 2e-6 * ref.mag[i] + 1e-30))
      assert.fail(`${what}: C[${i}] is ${p.c[i]}, the float64 product ${ref.value[i]}`);
}

/** The caller's gemm_bn row counts (argument m) since `from`. */
function rowsCalled(r: Rig, from: number, name = 'gemm_bn'): number[] {
  return r.mine.slice(from).flatMap(([n, args]) => (n === name ? [args[0]] : []));
}

/** A product worth splitting, run by a team that no longer hands out work: one call on this thread, right. */
function runsHereAlone(r: Rig, what: string): void {
  const p = product(r, 8, 256, 256);
  const [from, split] = [r.mine.length, r.team.split];
  runProduct(r, p);
  assert.equal(r.team.split, split, `${what}: not handed out`);
  assert.deepEqual(rowsCalled(r, from), [8], `${what}: all 8 rows in one call here`);
  check(p, what);
}

test('a product is cut into chunks of 4·⌈⌊m/4⌋/32⌉ rows (the last the rest), at most 32; with an idle helper this thread runs them all, A either way round', async () => {
  const r = await started(rig('idle'));
  // [m, n, k, rows per chunk as the comment's rule gives them, chunks]
  const cases: [number, number, number, number, number][] = [
    [8, 256, 256, 4, 2],
    [32, 128, 128, 4, 8],
    [37, 64, 224, 4, 10],
    [784, 8, 84, 28, 28],
    [1000, 4, 132, 32, 32],
    [1100, 4, 120, 36, 31],
  ];
  for (const [m, n, k, rows, chunks] of cases)
    for (const tA of [false, true]) {
      const p = product(r, m, n, k, { tA, beta: tA ? 0.5 : 0 });
      const c0 = Float32Array.from(p.c);
      const [from, split] = [r.mine.length, r.team.split];
      runProduct(r, p);
      const expected = Array.from({ length: chunks }, (_, i) => Math.min(rows, m - i * rows));
      assert.deepEqual(rowsCalled(r, from), expected, `${m}×${n}×${k}: the chunks`);
      assert.equal(r.team.split, split + 1, 'one product handed out');
      check(p, `${m}×${n}×${k}${tA ? ' Aᵀ' : ''}`, c0);
    }
  assert.equal(r.team.helperChunks, 0, 'the idle helper computed nothing');
});

test('split from 8 rows and 2¹⁹ multiply-adds (7 rows or one multiply-add fewer: one call here); sgd from 2¹⁵ values', async () => {
  const r = await started(rig('idle'));
  assert.equal(SPLIT_MIN_MACS, 1 << 19);
  assert.equal(SPLIT_MIN_VALUES, 1 << 15);
  for (const [m, n, k, split] of [
    [8, 256, 256, true],
    [16, 128, 256, true],
    [7, 256, 300, false],
    [8, 256, 255, false],
    [64, 64, 127, false],
  ] as const) {
    const p = product(r, m, n, k);
    const [from, before] = [r.mine.length, r.team.split];
    runProduct(r, p);
    assert.equal(r.team.split - before, split ? 1 : 0, `${m}×${n}×${k} split`);
    if (!split) assert.deepEqual(rowsCalled(r, from), [m], `${m}×${n}×${k}: one call`);
    check(p, `${m}×${n}×${k}`);
    // the zero-skipping product: the same rule
    const q = product(r, m, n, k, { density: 0.2 });
    const list = r.ctx.arena.alloc(5 * k + 5),
      list2 = r.ctx.arena.alloc(5 * k + 5);
    r.ctx.k.gemm_sparse_a(m, n, k, q.alpha, ptr(q.a), k, 1, ptr(q.b), ptr(q.one), ptr(list));
    const [from2, before2] = [r.mine.length, r.team.split];
    r.team.sparse(ptr(list2), m, n, k, q.alpha, ptr(q.a), k, 1, ptr(q.b), ptr(q.c), ptr(list));
    assert.equal(r.team.split - before2, split ? 1 : 0, `sparse ${m}×${n}×${k} split`);
    const rows = rowsCalled(r, from2, 'gemm_sparse_a');
    assert.deepEqual(rows, split ? Array.from({ length: Math.ceil(m / 4) }, (_, i) => Math.min(4, m - 4 * i)) : [m]);
    check(q, `sparse ${m}×${n}×${k}`);
  }
  for (const [n, split] of [
    [SPLIT_MIN_VALUES, true],
    [SPLIT_MIN_VALUES - 1, false],
  ] as const) {
    const s = sgdOperands(r, n, 0.9);
    const [from, before] = [r.mine.length, r.team.split];
    assert.equal(r.team.sgdStep(n, 0.05, 1e-3, 0.9, 1, ptr(s.value), ptr(s.grad), ptr(s.vel), ptr(s.update)), 1);
    assert.equal(r.team.split - before, split ? 1 : 0, `sgd over ${n} split`);
    // 2¹⁵ values: 32 chunks of 1024 (a multiple of 16)
    assert.deepEqual(rowsCalled(r, from, 'sgd_step'), split ? new Array<number>(32).fill(1024) : [n]);
    s.check(`sgd over ${n}`);
  }
});

interface SgdOperands {
  value: Float32Array;
  grad: Float32Array;
  vel: Float32Array;
  update: Float32Array;
  check(what: string): void;
}

/** SGD operands, with the expected results from one sgd_step call on copies and from the float64 rule. */
function sgdOperands(r: Rig, n: number, mu: number, nesterov = 1, lr = 0.05, wd = 1e-3, poison: number[] = []): SgdOperands {
  const alloc = () =>
    fill(
      r.ctx.arena
        .alloc(n + GUARD)
        .fill(NaN)
        .subarray(0, n),
    );
  const [value, grad, vel, update] = [alloc(), alloc(), alloc(), alloc()];
  for (const i of poison) grad[i] = Infinity;
  const copies = [value, grad, vel, update].map((x) => {
    const y = r.ctx.arena.alloc(n);
    y.set(x);
    return y;
  });
  const ref = { value: new Float64Array(n), vel: new Float64Array(n), update: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    let g = grad[i] + wd * value[i];
    if (mu !== 0) {
      ref.vel[i] = mu * vel[i] + g;
      g = nesterov ? g + mu * ref.vel[i] : ref.vel[i];
    } else ref.vel[i] = vel[i];
    ref.value[i] = value[i] - lr * g;
    ref.update[i] = ref.value[i] - value[i];
  }
  const finiteOne = r.ctx.k.sgd_step(
    n,
    lr,
    wd,
    mu,
    nesterov,
    ptr(copies[0]),
    ptr(copies[1]),
    mu ? ptr(copies[2]) : 0,
    ptr(copies[3]),
  );
  assert.equal(finiteOne, poison.length === 0 ? 1 : 0);
  return {
    value,
    grad,
    vel,
    update,
    check(what) {
      const named = { value, vel, update } as const;
      for (const [key, x, one] of [
        ['value', value, copies[0]],
        ['vel', vel, copies[2]],
        ['update', update, copies[3]],
      ] as const) {
        for (let i = 0; i < n; i++) {
          if (!Object.is(x[i], one[i])) assert.fail(`${what}: ${key}[${i}] is ${x[i]} on the team, ${one[i]} on one thread`);
          const e = ref[key][i];
          if (Number.isFinite(e) && !(Math.abs(x[i] - e) <= 1e-6 * (1 + Math.abs(e))))
            assert.fail(`${what}: ${key}[${i}] is ${x[i]}, the float64 rule ${e}`);
        }
        const guard = new Float32Array(named[key].buffer, named[key].byteOffset + 4 * n, GUARD);
        if (!guard.every(Number.isNaN)) assert.fail(`${what}: written past ${key}`);
      }
    },
  };
}

test('the real helper takes every chunk but this thread’s first: the same bits as one thread, job after job, awake or asleep', async () => {
  const r = await started(rig('real'));
  for (const [m, n, k, chunks] of [
    [8, 256, 256, 2],
    [37, 64, 224, 10],
    [8, 256, 256, 2],
  ] as const)
    for (const asleep of [false, true]) {
      if (asleep) await until('the helper to sleep', () => Atomics.load(r.control, 19) === 1);
      const p = product(r, m, n, k, { beta: 0.25 });
      const c0 = Float32Array.from(p.c);
      const [from, took] = [r.mine.length, r.team.helperChunks];
      holdFirstChunk(r);
      runProduct(r, p);
      // (the helper may even have taken all of them, had this thread not claimed its first yet)
      const here = rowsCalled(r, from);
      assert.ok(here.length <= 1 && here.every((h) => h === 4), `${m}×${n}×${k}: this thread ran the first chunk at most`);
      assert.equal(r.team.helperChunks - took, chunks - here.length, 'the helper ran the rest');
      check(p, `${m}×${n}×${k}${asleep ? ', the helper woken' : ''}`, c0);
    }
  // the zero-skipping product: the helper's own list scratch (list2)
  const [m, n, k] = [32, 128, 128];
  const q = product(r, m, n, k, { density: 0.2 });
  const list = r.ctx.arena.alloc(5 * k + 5),
    list2 = r.ctx.arena.alloc(5 * k + 5);
  r.ctx.k.gemm_sparse_a(m, n, k, q.alpha, ptr(q.a), k, 1, ptr(q.b), ptr(q.one), ptr(list));
  const [from, took] = [r.mine.length, r.team.helperChunks];
  holdFirstChunk(r);
  r.team.sparse(ptr(list2), m, n, k, q.alpha, ptr(q.a), k, 1, ptr(q.b), ptr(q.c), ptr(list));
  const here = rowsCalled(r, from, 'gemm_sparse_a');
  assert.ok(here.length <= 1);
  assert.equal(r.team.helperChunks - took, 8 - here.length);
  check(q, 'sparse 32×128×128');
});

test('an SGD step split with the real helper: the same bits, and a non-finite value in either thread’s part is reported', async () => {
  const r = await started(rig('real'));
  const n = SPLIT_MIN_VALUES + 100; // 32 chunks of 1040, the last 628
  for (const [mu, nesterov] of [
    [0, 0],
    [0.9, 0],
    [0.9, 1],
  ] as const)
    for (const poison of [[], [0], [n - 1]]) {
      const s = sgdOperands(r, n, mu, nesterov, 0.05, 1e-3, poison);
      const [from, took] = [r.mine.length, r.team.helperChunks];
      holdFirstChunk(r);
      const finite = r.team.sgdStep(n, 0.05, 1e-3, mu, nesterov, ptr(s.value), ptr(s.grad), mu ? ptr(s.vel) : 0, ptr(s.update));
      const what = `μ ${mu} nesterov ${nesterov} ∞ at [${poison.join()}]`;
      assert.equal(finite, poison.length === 0 ? 1 : 0, `${what}: finite`);
      const here = rowsCalled(r, from, 'sgd_step');
      assert.ok(here.length <= 1 && here.every((h) => h === 1040), `${what}: this thread ran the first chunk at most`);
      assert.equal(r.team.helperChunks - took, 32 - here.length, `${what}: the helper ran the rest`);
      s.check(what);
    }
});

/** A call list (split.ts's format): float64 [count, then per call: kernel index, argument count, arguments]. */
function callList(r: Rig, calls: [string, number[]][]): Float64Array {
  const words = [calls.length];
  for (const [name, args] of calls)
    words.push(LISTED_KERNELS.indexOf(name as (typeof LISTED_KERNELS)[number]), args.length, ...args);
  const raw = r.ctx.arena.alloc(2 * words.length + 2);
  const at = (raw.byteOffset + 7) & ~7;
  const list = new Float64Array(r.ctx.memory.buffer, at, words.length);
  list.set(words);
  return list;
}

/** Two accumulating products in a call list (C += A·B twice over): run twice, they would show it. */
function accumulatingList(r: Rig) {
  const [m, n, k] = [8, 16, 24];
  const a = fill(r.ctx.arena.alloc(m * k)),
    b = fill(r.ctx.arena.alloc(k * n)),
    c = fill(r.ctx.arena.alloc(m * n));
  const expected = r.ctx.arena.alloc(m * n);
  expected.set(c);
  const sum = r.ctx.arena.alloc(1).fill(NaN);
  const call: [string, number[]] = ['gemm_bn', [m, n, k, 0.5, ptr(a), k, 1, ptr(b), 1, ptr(c)]];
  r.ctx.k.gemm_bn(m, n, k, 0.5, ptr(a), k, 1, ptr(b), 1, ptr(expected));
  r.ctx.k.gemm_bn(m, n, k, 0.5, ptr(a), k, 1, ptr(b), 1, ptr(expected));
  const c0 = Float32Array.from(c);
  const ref = textbookGemm(false, false, m, n, k, 1, a, b, 1, c0); // C + 2·(0.5·A·B)
  return {
    list: callList(r, [call, ['row_sums', [1, 3, 2, ptr(a), ptr(sum)]], call]).byteOffset,
    check(what: string) {
      const s = 2 * (a[0] + a[1] + a[2]);
      assert.ok(Math.abs(sum[0] - s) <= 1e-6, `${what}: the list's row sum ${sum[0]}, float64 ${s}`);
      for (let i = 0; i < m * n; i++) {
        if (!Object.is(c[i], expected[i])) assert.fail(`${what}: C[${i}] is ${c[i]}, ${expected[i]} from the list run once`);
        if (!(Math.abs(c[i] - ref.value[i]) <= 4e-6 * ref.mag[i]))
          assert.fail(`${what}: C[${i}] is ${c[i]}, float64 ${ref.value[i]}`);
      }
    },
  };
}

test('runList: an idle helper leaves the list to this thread (run once, after `here`); the real one runs it once and is waited for', async () => {
  const idleRig = await started(rig('idle'));
  const l = accumulatingList(idleRig);
  let ranHere = false;
  idleRig.team.runList(l.list, () => {
    ranHere = true;
  });
  assert.ok(ranHere);
  l.check('idle helper');
  assert.equal(idleRig.team.split, 1);
  assert.equal(idleRig.team.helperChunks, 0);
  for (const kind of ['real', 'slow'] as const) {
    const r = await started(rig(kind));
    const l2 = accumulatingList(r);
    r.team.runList(l2.list, () => awaitClaims(r.control));
    assert.equal(r.team.helperChunks, 1, `${kind}: the helper took the list`);
    l2.check(`${kind} helper`);
  }
});

test('startList / finishList: the list runs once, on the helper or (not taken yet) here; anything handed out first finishes it', async () => {
  // idle helper: finishList runs it here
  const a = await started(rig('idle'));
  const l1 = accumulatingList(a);
  const t1 = a.team.startList(l1.list);
  a.team.finishList(t1);
  l1.check('finishList, list not taken');
  a.team.finishList(t1); // a second finish: nothing more
  l1.check('finishList twice');
  // a product handed out before finishList finishes the list first; finishList is then a no-op
  const l2 = accumulatingList(a);
  const t2 = a.team.startList(l2.list);
  const p = product(a, 8, 256, 256);
  runProduct(a, p);
  l2.check('list finished by the next product');
  a.team.finishList(t2);
  l2.check('then finishList');
  check(p, 'the product after the list');
  // an SGD step and another list finish it too
  for (const next of ['sgd', 'list'] as const) {
    const l3 = accumulatingList(a);
    const t3 = a.team.startList(l3.list);
    if (next === 'sgd') {
      const s = sgdOperands(a, SPLIT_MIN_VALUES, 0);
      a.team.sgdStep(SPLIT_MIN_VALUES, 0.05, 1e-3, 0, 0, ptr(s.value), ptr(s.grad), 0, ptr(s.update));
      s.check('sgd after a list');
    } else {
      const l4 = accumulatingList(a);
      const t4 = a.team.startList(l4.list);
      a.team.finishList(t4);
      l4.check('the second list');
    }
    l3.check(`list finished by the next ${next}`);
    a.team.finishList(t3);
    l3.check(`list, then finishList (${next})`);
  }
  // the real helper: it takes the list, finishList waits for it
  for (const kind of ['real', 'slow'] as const) {
    const r = await started(rig(kind));
    const l = accumulatingList(r);
    const t = r.team.startList(l.list);
    awaitClaims(r.control);
    r.team.finishList(t);
    assert.equal(r.team.helperChunks, 1, `${kind}: the helper ran the list`);
    l.check(`finishList, ${kind} helper`);
  }
});

test('a slowed helper is waited for: its chunks are in C when the product returns', async () => {
  const r = await started(rig('slow'));
  for (const [m, chunks] of [
    [8, 2],
    [16, 4],
  ] as const) {
    const p = product(r, m, 256, 256);
    const c0 = Float32Array.from(p.c);
    holdFirstChunk(r);
    const took = r.team.helperChunks;
    runProduct(r, p);
    assert.equal(r.team.helperChunks - took, chunks - 1);
    check(p, `${m} rows, slow helper`, c0);
  }
  const s = sgdOperands(r, SPLIT_MIN_VALUES, 0.9);
  holdFirstChunk(r);
  assert.equal(r.team.sgdStep(SPLIT_MIN_VALUES, 0.05, 1e-3, 0.9, 1, ptr(s.value), ptr(s.grad), ptr(s.vel), ptr(s.update)), 1);
  s.check('sgd, slow helper');
});

/** Runs f with Date.now 30 s later on each call (join's deadline is then over at its first look). */
function withClockJumps(f: () => void): void {
  const real = Date.now;
  let calls = 0;
  Date.now = () => real() + 30_000 * ++calls;
  try {
    f();
  } finally {
    Date.now = real;
  }
}

test('a helper that claimed a chunk and never finishes it: after 30 s an error naming the work, and the team stays on this thread', async () => {
  const jobs: [string, (r: Rig) => void][] = [
    [
      'WASM backend: the second thread did not finish a 8×256×256 product within 30 s',
      (r) => {
        r.hook.fn = () => {
          r.hook.fn = null;
          claimAsHelper(r.control);
        };
        runProduct(r, product(r, 8, 256, 256));
      },
    ],
    [
      'WASM backend: the second thread did not finish a 16×128×256 product within 30 s',
      (r) => {
        const [m, n, k] = [16, 128, 256];
        const q = product(r, m, n, k, { density: 0.2 });
        const list = r.ctx.arena.alloc(5 * k + 5);
        r.hook.fn = () => {
          r.hook.fn = null;
          claimAsHelper(r.control);
        };
        r.team.sparse(ptr(list), m, n, k, 1, ptr(q.a), k, 1, ptr(q.b), ptr(q.c), ptr(list));
      },
    ],
    [
      `WASM backend: the second thread did not finish its part of an SGD step over ${SPLIT_MIN_VALUES} values within 30 s`,
      (r) => {
        const s = sgdOperands(r, SPLIT_MIN_VALUES, 0);
        r.hook.fn = () => {
          r.hook.fn = null;
          claimAsHelper(r.control);
        };
        r.team.sgdStep(SPLIT_MIN_VALUES, 0.05, 0, 0, 0, ptr(s.value), ptr(s.grad), 0, ptr(s.update));
      },
    ],
    [
      'WASM backend: the second thread did not finish its part of a layer within 30 s',
      (r) => r.team.runList(accumulatingList(r).list, () => claimAsHelper(r.control)),
    ],
    [
      'WASM backend: the second thread did not finish the statistics of the dense layers within 30 s',
      (r) => {
        const tag = r.team.startList(accumulatingList(r).list);
        claimAsHelper(r.control);
        r.team.finishList(tag);
      },
    ],
  ];
  for (const [message, job] of jobs) {
    const r = await started(rig('idle'));
    assert.throws(() => withClockJumps(() => job(r)), { message });
    assert.equal(r.team.ready, false, `${message}: the team no longer hands out work`);
    assert.equal(r.team.engaged(), false);
    runsHereAlone(r, 'after the timeout');
  }
});

test('a deferred helper is started at the first engaged() from startAfterMs after the first; a failed start leaves one thread', async () => {
  // On a clock set by hand (performance.now), so no step depends on how fast the machine runs it.
  // startAfterMs counts from the first work, not from the process's start: the clock starts past it.
  const realNow = performance.now.bind(performance);
  let clock = 1000;
  performance.now = () => clock;
  try {
    const r = rig('idle', 300);
    assert.equal(r.starts, 0, 'not at construction');
    assert.equal(r.team.spawned, false);
    assert.equal(r.team.engaged(), false, 'first work: not yet');
    clock += 299;
    assert.equal(r.team.engaged(), false, 'still not due');
    assert.equal(r.starts, 0);
    // a large product before it is due: on this thread, not handed out
    const p = product(r, 8, 256, 256);
    runProduct(r, p);
    assert.equal(r.team.split, 0);
    check(p, 'before the helper');
    clock += 1;
    assert.equal(r.team.engaged(), true, 'due: started (the idle helper is ready at once)');
    assert.equal(r.starts, 1);
    assert.equal(r.team.spawned, true);
    assert.equal(r.team.engaged(), true);
    assert.equal(r.starts, 1, 'started once');
    const q = product(r, 8, 256, 256);
    runProduct(r, q);
    assert.equal(r.team.split, 1);
    check(q, 'after the helper started');
  } finally {
    performance.now = realNow;
  }

  for (const after of [0, NaN, -5]) {
    const now = rig('idle', after);
    assert.equal(now.starts, 1, `startAfterMs ${after}: started at construction`);
    assert.equal(now.team.ready, true);
  }

  // before the helper says it runs: nothing handed out
  const late = rig(() => ({ terminate() {} }));
  assert.equal(late.team.spawned, true);
  assert.equal(late.team.ready, false, 'spawned, not started');
  assert.equal(late.team.engaged(), false);
  assert.equal(Atomics.load(late.control, 1), -1);

  let throws = 0;
  const failed = rig(() => {
    throws++;
    throw new Error('no thread here');
  });
  for (let i = 0; i < 3; i++) assert.equal(failed.team.engaged(), false);
  await new Promise((res) => setImmediate(res)); // a turn of the event loop, where a worker would start
  assert.equal(failed.team.engaged(), false);
  assert.equal(throws, 1, 'a start that failed is not tried again');
  assert.equal(failed.team.spawned, false);
  const f = product(failed, 8, 256, 256);
  runProduct(failed, f);
  assert.equal(failed.team.split, 0);
  check(f, 'no helper');
  failed.team.close(); // nothing to terminate
});

test('startAfterMs on a clock set by hand (performance.now): due exactly startAfterMs after the first work, a first reading of 0 included', () => {
  const real = performance.now.bind(performance);
  let clock = 0;
  performance.now = () => clock;
  try {
    const r = rig('idle', 300);
    assert.equal(r.team.engaged(), false, 'first work at 0');
    clock = 299.5;
    assert.equal(r.team.engaged(), false, '299.5 ms after');
    assert.equal(r.starts, 0);
    clock = 300;
    assert.equal(r.team.engaged(), true, '300 ms after: due');
    assert.equal(r.starts, 1);
  } finally {
    performance.now = real;
  }
});

test('startAfterMs in a runtime without performance: Date.now instead', () => {
  const realNow = Date.now;
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'performance')!;
  let clock = 5000;
  Date.now = () => clock;
  Object.defineProperty(globalThis, 'performance', { value: undefined, configurable: true, writable: true });
  try {
    const r = rig('idle', 300);
    assert.equal(r.team.engaged(), false, 'first work');
    clock = 5299;
    assert.equal(r.team.engaged(), false, '299 ms after');
    clock = 5300;
    assert.equal(r.team.engaged(), true, '300 ms after: due');
  } finally {
    Object.defineProperty(globalThis, 'performance', saved);
    Date.now = realNow;
  }
});

test('close: the helper ends by itself (the job slot −1), and the team runs everything here after', async () => {
  let exited = false;
  const r = rig((_control, memory) => {
    const worker = new Worker(`const { workerData } = require('node:worker_threads');\n(${HELPER_SOURCE})(workerData);`, {
      eval: true,
      workerData: { module, memory, control: CONTROL_OFFSET },
    });
    worker.on('exit', () => (exited = true));
    worker.unref();
    return { terminate() {} }; // never terminated: it must return on its own
  });
  await started(r);
  await until('the helper to sleep', () => Atomics.load(r.control, 19) === 1);
  r.team.close();
  assert.equal(r.team.ready, false);
  await until('the helper to end', () => exited);
  runsHereAlone(r, 'after close');
  let terminated = 0;
  const t = rig(() => ({ terminate: () => void terminated++ }));
  t.team.close();
  assert.equal(terminated, 1, 'close terminates the helper');
});
