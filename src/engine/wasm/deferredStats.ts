// Dense layers' Gram statistics on the helper thread while this thread goes on with the update
// (Backend.denseGramStatsLater). The kernel calls statsKernels.ts would make for every job are
// recorded into a call list in the shared memory (over a private scratch block, so nothing this
// thread runs meanwhile can overwrite them), the helper runs the list, and the results are read
// when the caller asks for them. The zero-skipping test (a count that returns a value) runs here
// at once: it only reads A. Same kernels on the same operands as on one thread: bit-identical.

import type { Backend, DenseGramJob } from '../backend';
import { checkAll, type WasmContext } from './elementwise';
import type { KernelExports } from './exports';
import { gramPlanner, type GramCalls } from './statsKernels';
import { LISTED_KERNELS, type GemmTeam } from './team';
// the call list's words a layer takes and the scratch it reserves (the memory estimate counts them)
import { GRAM_WORDS_PER_JOB as WORDS_PER_JOB, gramListFloats, gramScratchFloats } from './twoThreadSizes';

/**
 * now: the backend's own denseGramStats (no helper yet, operands outside the memory, a NaN the zeros
 * hid); counters.deferred counts the layers whose statistics ran on the helper.
 */
export function deferredStats(
  ctx: WasmContext,
  team: GemmTeam,
  now: Backend['denseGramStats'],
  counters: { deferred: number },
): Required<Pick<Backend, 'denseGramStatsLater'>> {
  const { arena, k } = ctx;
  let words: Float64Array = new Float64Array(0);
  let scratch: { start: number; end: number } = { start: 0, end: 0 };
  let used = 1;
  let next = 0;
  /** What the list in `words` was recorded for (7 numbers a job), and where its results land. */
  let lastKey: number[] = [];
  let calls: GramCalls[] = [];
  const record =
    (id: number) =>
    (...args: number[]) => {
      if (used + 2 + args.length > words.length)
        throw new Error('WASM backend: the statistics recorded more calls than their list holds');
      words.set([id, args.length, ...args], used);
      used += 2 + args.length;
      words[0]++;
    };
  const recording = Object.fromEntries(LISTED_KERNELS.map((name, id) => [name, record(id)])) as unknown as KernelExports;
  // scratch from the private block only (the ordinary scratch is this thread's while the helper runs)
  const privateArena = Object.assign(Object.create(arena) as typeof arena, {
    reserve: (length: number): number | null => {
      const ptr = next,
        after = ptr + Math.ceil((length * 4) / 16) * 16;
      if (after > scratch.end) return null;
      next = after;
      return ptr;
    },
  });
  const planner = gramPlanner({ arena: privateArena, k: recording }, k);
  /** Floats of scratch the jobs' calls reserve at most (the sparse KA's panels and lists included). */
  const scratchFloats = (jobs: DenseGramJob[]) => jobs.reduce((sum, { m, p, q }) => sum + gramScratchFloats(m, p, q), 0);
  return {
    denseGramStatsLater(jobs) {
      for (const j of jobs) {
        checkAll('denseGramStatsLater', ['a', j.a, j.m * j.p], ['delta', j.delta, j.m * j.q]);
        if (j.dots.length < j.m || j.squaredNorms.length < j.m)
          throw new Error(`denseGramStatsLater: dots and squaredNorms need ${j.m} elements`);
      }
      const runHere = () => {
        for (const j of jobs) now(j.m, j.p, j.q, j.withBias, j.a, j.delta, j.dots, j.squaredNorms);
      };
      const live = jobs.filter((j) => j.m > 0);
      if (!team.ready || live.length === 0 || !live.every((j) => arena.inside(j.a) && arena.inside(j.delta))) {
        runHere();
        return () => {};
      }
      // buffers made on the first call and when a larger batch needs more (not every step)
      const floats = scratchFloats(live);
      if (scratch.end - scratch.start < floats * 4) {
        const block = arena.alloc(floats);
        scratch = { start: block.byteOffset, end: block.byteOffset + block.byteLength };
        lastKey = [];
      }
      if (words.length < 1 + WORDS_PER_JOB * live.length) {
        const list = arena.alloc(gramListFloats(live.length));
        words = new Float64Array(list.buffer, list.byteOffset, 1 + WORDS_PER_JOB * live.length);
        lastKey = [];
      }
      // the same layers on the same buffers as the step before (and the same choice of skipping A's
      // zeros): the recorded list is the same too, so it is posted again as it is
      const key = live.flatMap((j) => [
        j.m,
        j.p,
        j.q,
        j.withBias ? 1 : 0,
        j.a.byteOffset,
        j.delta.byteOffset,
        planner.sparseEnough(j.m, j.p, j.a.byteOffset) ? 1 : 0,
      ]);
      if (key.length !== lastKey.length || key.some((v, i) => v !== lastKey[i])) {
        next = scratch.start;
        used = 1;
        words[0] = 0;
        calls = live.map((j, i) => {
          const c = planner.calls(j.m, j.p, j.q, j.withBias, j.a.byteOffset, j.delta.byteOffset, key[7 * i + 6] === 0);
          if (c === null) throw new Error('WASM backend: the statistics scratch block is too small (a bug)');
          return c;
        });
        lastKey = key;
      }
      const job = team.startList(words.byteOffset);
      counters.deferred += live.length;
      return () => {
        team.finishList(job);
        live.forEach((j, i) => {
          // a NaN or ∞ hidden by the skipped zeros: this layer again here, with them multiplied
          if (!planner.read(calls[i], j.dots, j.squaredNorms))
            now(j.m, j.p, j.q, j.withBias, j.a, j.delta, j.dots, j.squaredNorms);
        });
      };
    },
  };
}
