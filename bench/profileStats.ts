// Where the MLP's per-step statistics time goes (issue 11): the bench MLP (PROFILE_MODEL=cnn: the
// CNN) on one thread (PROFILE_THREADS=2: two), each piece of the 'full' statistics timed alone, in process CPU time (waiting for a core on a loaded machine
// does not count), in interleaved rounds (every piece once per round, the order rotating), the
// median per call over the rounds. The pieces re-run on one step's state (the Gram statistics and
// the per-example part only read aᵢ and δᵢ; the update runs on copies of the parameters).
// `node --import tsx bench/profileStats.ts`; PROFILE_ROUNDS (default 15), PROFILE_ROUND_MS (20),
// PROFILE_PAIRS (2000: bare and full single steps in adjacent pairs, wall-clock).

import * as os from 'node:os';
import * as path from 'node:path';
import { referenceBackend, Trainer } from '../src/engine';
import { deadFraction, GradientStats, StatsScratch } from '../src/engine/stats';
import { type Network, reluOutputOf } from '../src/engine/network';
import type { ParamLayer } from '../src/engine/layers/layer';
import { createWasmBackend, createWasmBackendSync } from '../src/engine/wasm/backend';
import { nodeSpawnHelper } from '../src/engine-host/spawnHelper';
import { asDataset, loadBenchData } from './data';
import { benchSpec, CNN_LAYERS, MLP_LAYERS, startingPoint } from './ours';
import { switchOnRelaxedSimd } from './relaxedSimd';

async function main(): Promise<void> {
  switchOnRelaxedSimd();
  const rounds = Number(process.env.PROFILE_ROUNDS ?? 15);
  const roundMs = Number(process.env.PROFILE_ROUND_MS ?? 20);
  const data = await loadBenchData(path.resolve(__dirname, '..'));
  // PROFILE_MODEL=cnn: the bench CNN instead
  const cnn = process.env.PROFILE_MODEL === 'cnn';
  const spec = benchSpec(cnn ? 'bench-cnn' : 'bench-mlp', cnn ? CNN_LAYERS : MLP_LAYERS, data);
  const start = startingPoint(spec, data, referenceBackend('float32'));
  // PROFILE_THREADS=2: every trainer on its own two-thread backend, its helper running before any timing
  const two = process.env.PROFILE_THREADS === '2';
  const pool = two ? await Promise.all([0, 1, 2].map(() => createWasmBackend({ spawnHelper: nodeSpawnHelper }))) : [];
  const make = (stats: 'none' | 'full' | 'norms') => {
    const backend = two ? pool.pop()! : createWasmBackendSync();
    const t = new Trainer({ spec, train: asDataset(data), validation: null, backend, stats });
    t.setWeights(start.weights);
    return t;
  };
  const bare = make('none');
  const bareNet = (bare as any).net as Network;
  const bareScratch = new StatsScratch(data.batchSize, bareNet.backend, 6);
  const normsOnly = make('norms');
  const full = make('full');
  full.trainStep();
  const net = (full as any).net as Network;
  const b = net.backend;
  const m = data.batchSize;
  const scratch = new StatsScratch(m, b, 6);
  const layers = net.paramLayers as ParamLayer[];
  const sq = new Float64Array(m),
    dots = new Float64Array(m);
  // copies of the parameters for the update pieces
  const copies = layers.flatMap((l) =>
    [l.weight, l.bias].map((p) => {
      const value = b.alloc(p.size),
        grad = b.alloc(p.size),
        update = b.alloc(p.size);
      value.set(p.value);
      grad.set(p.grad);
      return { n: p.size, value, grad, update };
    }),
  );
  const norms = new Float64Array(3);
  const pieces: [string, () => void][] = [
    ['bare step', () => bare.trainStep()],
    [
      'full step + selected',
      () => {
        full.trainStep();
        full.perExampleGradient({ layer: layers[0].index, kind: 'weight', index: 0 });
      },
    ],
    [
      'bare step + start + finish',
      () => {
        bare.trainStep();
        GradientStats.start(bareNet, m, 'full', bareScratch, false).finishAfterUpdate(bareScratch.paramNorms);
      },
    ],
    ['norms-level step', () => normsOnly.trainStep()],
    ['GradientStats.start (full)', () => GradientStats.start(net, m, 'full', scratch, false)],
    [
      'start + finishAfterUpdate',
      () => GradientStats.start(net, m, 'full', scratch, false).finishAfterUpdate(scratch.paramNorms),
    ],
    ...layers
      .filter((l) => reluOutputOf(net, l))
      .map((l, i): [string, () => void] => [
        `deadFraction ${i}`,
        () => deadFraction(reluOutputOf(net, l)!, m, l.outSize, l.positionsPerUnit),
      ]),
    ...layers.map((l, i): [string, () => void] => [
      `layer ${i} norms and dots`,
      () => {
        if (l.perExampleNormsAndDots) l.perExampleNormsAndDots(m, sq, dots);
        else {
          l.perExampleSquaredNorms(m, sq);
          l.perExampleDotsWithMean(m, dots);
        }
      },
    ]),
    ['update, no norms', () => copies.forEach((c) => b.sgdStep(c.n, 0, 0, 0, false, c.grad, c.value, null, c.update, null))],
    ['update, with norms', () => copies.forEach((c) => b.sgdStep(c.n, 0, 0, 0, false, c.grad, c.value, null, c.update, norms))],
    ['selected (perExampleGradient)', () => full.perExampleGradient({ layer: layers[0].index, kind: 'weight', index: 0 })],
  ];
  const per: number[][] = pieces.map(() => []);
  const time = (fn: () => void): number => {
    let calls = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    while (calls < 3 || performance.now() - t0 < roundMs) {
      fn();
      calls++;
    }
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / calls;
  };
  for (const [, fn] of pieces) time(fn); // warm-up
  for (let r = 0; r < rounds; r++)
    for (let j = 0; j < pieces.length; j++) {
      const i = (j + r) % pieces.length;
      per[i].push(time(pieces[i][1]));
    }
  const median = (x: number[]) => {
    const s = x.slice().sort((p, q) => p - q);
    return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2;
  };
  const ratios = per[1].map((x, i) => x / per[0][i]);
  // and single steps in adjacent pairs (bare, full; the order alternating): on a loaded machine a
  // pair mostly sees one load, and the low quantiles are the steps nobody interrupted
  const pairs = Number(process.env.PROFILE_PAIRS ?? 2000);
  const single: [number[], number[]] = [[], []];
  const one = (i: 0 | 1) => {
    const t0 = performance.now();
    pieces[i][1]();
    single[i].push(performance.now() - t0);
  };
  for (let r = 0; r < pairs; r++) {
    const first = (r & 1) as 0 | 1;
    one(first);
    one((1 - first) as 0 | 1);
  }
  const quantile = (x: number[], q: number) => x.slice().sort((p, r) => p - r)[Math.floor(q * (x.length - 1))];
  const pairRatios = single[1].map((x, i) => x / single[0][i]);
  console.log(`load ${os.loadavg()[0].toFixed(1)}, ${two ? 2 : 1} thread(s), ${rounds} rounds, CPU µs per call (median):`);
  pieces.forEach(([name], i) => console.log(`  ${name.padEnd(32)} ${median(per[i]).toFixed(1)}`));
  console.log(`  full/bare (median of the rounds' ratios): ${median(ratios).toFixed(3)}`);
  console.log(
    `  full/bare in ${pairs} adjacent pairs of single steps: median of the ratios ${median(pairRatios).toFixed(3)}, ` +
      `p10/p10 ${(quantile(single[1], 0.1) / quantile(single[0], 0.1)).toFixed(3)}, ` +
      `p25/p25 ${(quantile(single[1], 0.25) / quantile(single[0], 0.25)).toFixed(3)} ` +
      `(bare p10 ${(1000 * quantile(single[0], 0.1)).toFixed(0)} µs)`,
  );
}

main()
  .then(() => process.exit(0))
  .catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
