// What the per-step statistics cost: the same model trained twice from the same weights, once bare
// (stats 'none') and once with everything the views show each step (stats 'full': per-example
// norms, cosines with G, tr(Σ) and the noise scale, dead units, updateRatio — plus the per-example
// values of the selected parameter, which the panel reads after every step). The two trainers run
// in alternating short rounds (A, B, A, B, ...) so a load change on the shared machine hits both
// alike; the ratio is the median of the rounds' B/A ratios, and the ratio of each side's best round
// is reported beside it.

import * as os from 'node:os';
import { Trainer, type Backend, type NamedTensor } from '../src/engine';
import type { ModelSpec } from '../src/model/spec';
import { asDataset, type BenchData } from './data';
import { log, round } from './timing';

export interface StatsCost {
  model: string;
  /** The loss of the bare trainer's first step (before any update). */
  firstBatchLoss: number;
  backend: string;
  threads: number;
  /** Best round's mean step time, bare and with the full statistics. */
  stepMs: number;
  fullStatsMs: number;
  /** Median over the rounds of (full statistics round)/(the bare round just before it). */
  fullStatsOverStep: number;
  /** fullStatsMs / stepMs (each side's fastest round). */
  bestOverBest: number;
  /**
   * The same median ratio in process CPU time instead of wall-clock time: waiting for a core on a
   * loaded machine does not count, so it varies less with the load (on two threads it includes the
   * helper's share of the split products).
   */
  fullStatsOverStepCpu: number;
  /**
   * Every step also timed alone: the ratio of the two sides' 10th percentiles. On a loaded machine
   * those are the steps nobody interrupted, so it moves least with the load (one thread; on two the
   * helper must be running too).
   */
  fullStatsOverStepP10: number;
  /** Process CPU ms per bare step in the round that used the least (load-robust on one thread). */
  stepCpuMs: number;
  rounds: number;
  loadAverage1m: number;
}

/** Rounds of each side, and calls per round at least (whatever the budget). */
export interface RoundsOptions {
  rounds: number;
  minCalls: number;
}

/** weights: the starting point (default: the spec's seeded initialisation, the same for every trainer). */
export function measureStatsCost(
  model: string,
  spec: ModelSpec,
  d: BenchData,
  backend: () => Backend & { threads?: number },
  weights: NamedTensor[] | null,
  budgetSeconds: number,
  { rounds: ROUNDS, minCalls }: RoundsOptions = { rounds: 12, minCalls: 2 },
): StatsCost {
  const make = (stats: 'none' | 'full') => {
    const b = backend();
    const t = new Trainer({ spec, train: asDataset(d), validation: null, backend: b, stats });
    if (weights) t.setWeights(weights);
    return { t, threads: b.threads ?? 1 };
  };
  const bare = make('none');
  const full = make('full');
  log(`statistics cost, ${model} on ${bare.t.backendName} (${bare.threads} thread${bare.threads > 1 ? 's' : ''})`);
  const selected = full.t.layers.find((l) => l.params.length > 0)!.index;
  const firstBatchLoss = bare.t.trainStep().loss;
  const bareStep = () => bare.t.trainStep();
  const fullStep = () => {
    full.t.trainStep();
    full.t.perExampleGradient({ layer: selected, kind: 'weight', index: 0 });
  };
  const roundMs = (budgetSeconds * 1000) / (2 * ROUNDS);
  const cpu: [number[], number[]] = [[], []];
  const single: [number[], number[]] = [[], []];
  const timeRound = (fn: () => void, side?: 0 | 1) => {
    let calls = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let t = t0; calls < minCalls || t - t0 < roundMs; calls++) {
      fn();
      const after = performance.now();
      if (side !== undefined) single[side].push(after - t);
      t = after;
    }
    const wall = (performance.now() - t0) / calls;
    const c = process.cpuUsage(c0);
    if (side !== undefined) cpu[side].push((c.user + c.system) / 1000 / calls);
    return wall;
  };
  // Warm-up: both sides through V8's optimising tiers before any round counts.
  for (const fn of [bareStep, fullStep]) timeRound(fn);
  const a: number[] = [],
    b: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // alternate which side goes first, so neither always follows the other
    if (r % 2 === 0) {
      a.push(timeRound(bareStep, 0));
      b.push(timeRound(fullStep, 1));
    } else {
      b.push(timeRound(fullStep, 1));
      a.push(timeRound(bareStep, 0));
    }
  }
  const bestA = Math.min(...a),
    bestB = Math.min(...b);
  return {
    model,
    firstBatchLoss,
    backend: bare.t.backendName,
    threads: bare.threads,
    stepMs: round(bestA, 4),
    fullStatsMs: round(bestB, 4),
    fullStatsOverStep: round(medianRatio(b, a), 3),
    bestOverBest: round(bestB / bestA, 3),
    fullStatsOverStepCpu: round(medianRatio(cpu[1], cpu[0]), 3),
    fullStatsOverStepP10: round(quantile(single[1], 0.1) / quantile(single[0], 0.1), 3),
    stepCpuMs: round(Math.min(...cpu[0]), 4),
    rounds: ROUNDS,
    loadAverage1m: round(os.loadavg()[0], 3),
  };
}

/** Median over the rounds of num[r]/den[r]. */
function medianRatio(num: number[], den: number[]): number {
  const r = num.map((x, i) => x / den[i]).sort((p, q) => p - q);
  return (r[(r.length - 1) >> 1] + r[r.length >> 1]) / 2;
}

/** The q-quantile of x (the nearest rank below). */
function quantile(x: number[], q: number): number {
  return x.slice().sort((p, r) => p - r)[Math.floor(q * (x.length - 1))];
}
