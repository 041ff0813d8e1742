// `npm run bench:threads`: one thread against two on the bench's MLP and CNN, interleaved in one
// process (rounds of ~ROUND_MS each, A B A B …), so a busy or changing machine affects both alike.
// Per model: wall ms per step (median and p10 of the rounds), the per-round ratio one thread over
// two (median and quartiles), the calling thread's own CPU time per step (Linux schedstat: what the
// step costs that thread, not counting time it waited for a core), and how many chunks the helper
// computed. Prints one JSON object on stdout. Environment: ROUND_MS (default 40), ROUNDS (20).

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Trainer, referenceBackend } from '../src/engine';
import { createWasmBackend, createWasmBackendSync, wasmFmaSupported, type WasmBackend } from '../src/engine/wasm/backend';
import { nodeSpawnHelper } from '../src/engine-host/spawnHelper';
import { asDataset, loadBenchData } from './data';
import { benchSpec, CNN_LAYERS, MLP_LAYERS, startingPoint } from './ours';
import { log, round } from './timing';

// the same kernels as `npm run bench` (relaxed SIMD where Node 20 has it behind a flag)
if (!wasmFmaSupported()) setFlagsFromString('--experimental-wasm-relaxed-simd');

const ROUND_MS = Number(process.env.ROUND_MS ?? 40);
const ROUNDS = Number(process.env.ROUNDS ?? 20);

/** This thread's time on a CPU so far, ms (null where /proc is absent). */
function onCpuMs(): number | null {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return null;
  }
}

const quantile = (x: number[], p: number) => [...x].sort((a, b) => a - b)[Math.floor(p * (x.length - 1))];

async function compare(name: string, layers: typeof MLP_LAYERS, roundMs: number, rounds: number) {
  const data = await loadBenchData(path.resolve(__dirname, '..'));
  const spec = benchSpec(`threads-${name}`, layers, data);
  const start = startingPoint(spec, data, referenceBackend('float32'));
  const one = createWasmBackendSync();
  const two = await createWasmBackend({ spawnHelper: nodeSpawnHelper });
  const backends: WasmBackend[] = [one, two];
  try {
    const trainers = backends.map((backend) => {
      const t = new Trainer({ spec, train: asDataset(data), validation: null, backend, stats: 'none' });
      t.setWeights(start.weights);
      return t;
    });
    const losses = trainers.map((t) => t.trainStep().loss);
    if (!Object.is(losses[0], losses[1])) throw new Error(`first-batch losses differ: ${losses.join(' vs ')}`);
    const wall: number[][] = [[], []],
      cpu: number[][] = [[], []];
    const round1 = (i: number) => {
      let steps = 0;
      const c0 = onCpuMs(),
        t0 = performance.now();
      while (performance.now() - t0 < roundMs) {
        trainers[i].trainStep();
        steps++;
      }
      wall[i].push((performance.now() - t0) / steps);
      const c1 = onCpuMs();
      if (c0 !== null && c1 !== null) cpu[i].push((c1 - c0) / steps);
    };
    for (let r = 0; r < 5; r++) [0, 1].forEach(round1); // warm-up: V8's tiers, the helper's start
    wall.forEach((w) => (w.length = 0));
    cpu.forEach((c) => (c.length = 0));
    const chunks0 = two.helperChunks,
      handoffs0 = two.splitProducts;
    for (let r = 0; r < rounds; r++) [0, 1].forEach(round1);
    const ratios = wall[0].map((w, r) => w / wall[1][r]);
    const side = (i: number) => ({
      wallMsMedian: round(quantile(wall[i], 0.5), 4),
      wallMsP10: round(quantile(wall[i], 0.1), 4),
      ...(cpu[i].length ? { ownCpuMsMedian: round(quantile(cpu[i], 0.5), 4) } : {}),
    });
    return {
      oneThread: side(0),
      twoThreads: {
        ...side(1),
        handoffs: two.splitProducts - handoffs0,
        helperChunks: two.helperChunks - chunks0,
      },
      oneOverTwo: {
        median: round(quantile(ratios, 0.5), 3),
        q1: round(quantile(ratios, 0.25), 3),
        q3: round(quantile(ratios, 0.75), 3),
      },
    };
  } finally {
    two.close();
  }
}

async function main(): Promise<void> {
  const load = (await import('node:os')).loadavg()[0];
  log(
    `one thread against two, interleaved: ${ROUNDS} rounds of ${ROUND_MS} ms (CNN: of ${2 * ROUND_MS} ms), load ${load.toFixed(2)}`,
  );
  const mlp = await compare('mlp', MLP_LAYERS, ROUND_MS, ROUNDS);
  const cnn = await compare('cnn', CNN_LAYERS, 2 * ROUND_MS, ROUNDS);
  const after = (await import('node:os')).loadavg()[0];
  process.stdout.write(
    `${JSON.stringify({ loadBefore: round(load, 3), loadAfter: round(after, 3), roundMs: ROUND_MS, rounds: ROUNDS, mlp, cnn }, null, 2)}\n`,
  );
  process.exit(0);
}

void main();
