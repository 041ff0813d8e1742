// Splitting a layer's per-example work between the two threads (Backend.splitExamples): the part
// for the helper thread runs first against a *recording* backend, whose kernel wrappers are the
// ordinary ones (elementwise.ts, windows.ts, gemm.ts) over a kernels object that appends each call
// to a list in the shared memory instead of running it. The helper then runs that list while this
// thread runs its own part with the ordinary kernels, and both join once: one handoff per layer
// and pass, instead of one per product (the per-example products of a small CNN are far below the
// size from which splitting a single product pays, team.ts).
//
// Each example is computed by the same kernels with the same operands on either thread, so the
// result is bit-identical to one thread. What a part may do: kernels that run entirely in WASM and
// return nothing (LISTED_KERNELS: products, im2col/col2im, row sums, pooling), each part writing
// only its own examples; plain JS writes into buffers happen at once, while the part is recorded.
// Not for a part: the activations computed in JS (tanh, sigmoid) and kernels that return a value.

import type { Backend } from '../backend';
import type { FloatArray } from '../types';
import type { Arena, Operand } from './arena';
import type { WasmContext } from './elementwise';
import { elementwiseKernels } from './elementwise';
import type { KernelExports } from './exports';
import { wasmGemm, wasmGemmEach, type ZeroPolicy } from './gemm';
import { LISTED_KERNELS, type GemmTeam } from './team';
import { windowKernels } from './windows';
// the call list's words and the recorded part's scratch (the memory estimate counts them)
import { SPLIT_LIST_WORDS as LIST_WORDS, SPLIT_SCRATCH_FLOATS as SCRATCH_FLOATS } from './twoThreadSizes';

/** Fewer examples than this run on one thread: the handoff would cost more than half the work. */
const SPLIT_MIN_EXAMPLES = 4;

export type SplitExamples = NonNullable<Backend['splitExamples']>;

/**
 * Backend.splitExamples over the team: `main` is the backend the caller holds (its gemm may split
 * single products with the team, so each part gets one that never does); zeros its zero policy.
 */
export function teamSplit(ctx: WasmContext, team: GemmTeam, main: Backend, zeros: ZeroPolicy): SplitExamples {
  const { arena } = ctx;
  const list = arena.alloc(2 * LIST_WORDS);
  const words = new Float64Array(list.buffer, list.byteOffset, LIST_WORDS);
  let count = 0;
  let used = 1;
  const recordingKernels = Object.fromEntries(
    LISTED_KERNELS.map((name, id) => [
      name,
      (...args: number[]) => {
        if (used + 2 + args.length > LIST_WORDS)
          throw new Error('WASM backend: a split part recorded more calls than its list holds');
        words.set([id, args.length, ...args], used);
        used += 2 + args.length;
        count++;
      },
    ]),
  ) as unknown as KernelExports;
  const recordingCtx: WasmContext = { arena: recordingArena(arena, SCRATCH_FLOATS), k: recordingKernels };
  const noCounters = { sparse: 0 };
  // 'dense': the zero-skipping test would read operands that the recorded calls have not written yet
  // (the products of a conv layer never take that path: their A is the weight or δ, both dense)
  const recorder: Backend = {
    ...main,
    alloc: () => {
      throw new Error('WASM backend: alloc inside a split part');
    },
    gemm: wasmGemm(recordingCtx, null, 'dense', noCounters),
    gemmEach: wasmGemmEach(recordingCtx, wasmGemm(recordingCtx, null, 'dense', noCounters)),
    ...elementwiseKernels(recordingCtx),
    ...windowKernels(recordingCtx),
  };
  const solo: Backend = { ...main, gemm: wasmGemm(ctx, null, zeros, noCounters) };
  return (m, run) => {
    if (m < SPLIT_MIN_EXAMPLES || !team.engaged()) {
      run(main, 0, m, 0);
      return;
    }
    const half = (m + 1) >> 1;
    count = 0;
    used = 1;
    run(recorder, half, m, 1);
    words[0] = count;
    team.runList(list.byteOffset, () => run(solo, 0, half, 0));
  };
}

/**
 * The arena as the recorded part sees it: operands must live in the memory (a copy in or out would
 * happen now, not when the helper runs), and the per-call scratch is a private block, so the helper's
 * packed operands never overlap this thread's. A call that needs more scratch than the block has
 * left gets a larger block (allocated now, while recording: the part's earlier calls keep the old
 * one), as the ordinary scratch grows with the memory: a product that packs an operand on one
 * thread packs it in a part too, or the two would run different kernels and differ in the last bits.
 */
function recordingArena(arena: Arena, floats: number): Arena {
  const block = arena.alloc(floats);
  let start = block.byteOffset;
  let end = start + block.byteLength;
  let next = start;
  const inMemory = (x: FloatArray, length: number): Operand => {
    if (!arena.inside(x)) throw new Error('WASM backend: a split part was given a buffer outside WASM memory');
    return { ptr: x.byteOffset, copyBack: null, length };
  };
  const view: Partial<Arena> = {
    begin: () => {
      next = start;
    },
    reserve: (length) => {
      const bytes = Math.ceil((length * 4) / 16) * 16;
      if (next + bytes > end) {
        const larger = arena.alloc(Math.max((end - start) / 2, bytes / 4));
        if (!arena.inside(larger)) return null;
        start = next = larger.byteOffset;
        end = start + larger.byteLength;
      }
      const ptr = next;
      next += bytes;
      return ptr;
    },
    input: inMemory,
    output: inMemory,
    inout: inMemory,
  };
  return Object.assign(Object.create(arena) as Arena, view);
}
