// `npm run bench:sweep`: how the cost of a training step grows with the batch size, the width and
// the depth of a ReLU MLP on 28×28 digits (784 → width × depth → 26), ours (WASM, 1 and 2 threads,
// and with the full per-step statistics) against PyTorch CPU (OpenBLAS, 1 and 2 threads), from
// the same initial weights; each point checks that both get the same first-batch loss. Writes
// docs/bench-sweep.json and the plot docs/images/bench-sweep.png; prints the JSON on stdout.
// Environment: SWEEP_BUDGET = seconds per measurement (default 0.5), which bounds the run (big
// points take at least a few steps whatever the budget).

import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { firstBatchIndices, Trainer } from '../src/engine';
import { createWasmBackend, createWasmBackendSync } from '../src/engine/wasm/backend';
import { loadBuiltinDigits } from '../src/data/builtin';
import type { LayerSpec } from '../src/model/spec';
import { asDataset, BENCH, type BenchData } from './data';
import { benchSpec } from './ours';
import { measureStatsCost } from './statsCost';
import { nodeSpawnHelper } from '../src/engine-host/spawnHelper';
import { ensureOpenBlas, PYTHON, torchBlas } from './torch';
import { log, round, timeFor } from './timing';
import { plotSweep } from './plotSweep';

const LOSS_TOLERANCE = 1e-4;
const BASE = { batch: 32, width: 256, depth: 2 };
export const AXES = {
  batch: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
  width: [64, 128, 256, 512, 1024, 2048, 4096],
  depth: [1, 2, 4, 8, 16],
} as const;
export type Axis = keyof typeof AXES;

interface Point {
  id: string;
  axis: Axis;
  value: number;
  batchSize: number;
  width: number;
  depth: number;
  dims: number[];
}

function points(): Point[] {
  const out: Point[] = [];
  for (const axis of Object.keys(AXES) as Axis[])
    for (const value of AXES[axis]) {
      const p = { ...BASE, [axis]: value };
      const dims = [784, ...Array<number>(p.depth).fill(p.width), BENCH.numClasses];
      out.push({ id: `${axis}=${value}`, axis, value, batchSize: p.batch, width: p.width, depth: p.depth, dims });
    }
  return out;
}

const layersOf = (p: Point): LayerSpec[] =>
  p.dims.slice(1).map((units, i) => ({ type: 'dense', units, activation: i < p.depth ? 'relu' : 'linear' }));

async function main(): Promise<void> {
  const t0 = performance.now();
  ensureOpenBlas();
  const root = path.resolve(__dirname, '..');
  const budget = Number(process.env.SWEEP_BUDGET ?? 0.5);
  const digits = await loadBuiltinDigits(path.join(root, 'media'));
  const count = 2 * Math.max(...AXES.batch);
  const data: BenchData = {
    source: `${digits.name}: first ${count} of ${digits.count} real 28×28 digits (labels 0..9, 26 output units)`,
    count,
    features: 784,
    numClasses: BENCH.numClasses,
    batchSize: BASE.batch,
    learningRate: BENCH.learningRate,
    x: digits.x.slice(0, count * 784),
    y: digits.y.slice(0, count),
  };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gradlens-sweep-'));
  const torchPoints: unknown[] = [];
  const ours: OursPoint[] = [];
  try {
    for (const p of points()) {
      const spec = { ...benchSpec(`sweep ${p.id}`, layersOf(p), { ...data, batchSize: p.batchSize }), seed: 1234 };
      // Every trainer of this spec starts from the same seeded initialisation: write it for PyTorch.
      const init = new Trainer({
        spec,
        train: asDataset(data),
        validation: null,
        backend: createWasmBackendSync(),
        stats: 'none',
      });
      const flat = init.layers.flatMap((l) =>
        l.params.length ? [init.parameter(l.index, 'weight'), init.parameter(l.index, 'bias')] : [],
      );
      writeFileSync(
        path.join(dir, `${p.id}.bin`),
        Buffer.concat(flat.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))),
      );
      const firstBatch = firstBatchIndices(spec.seed, data.count, p.batchSize);
      torchPoints.push({ id: p.id, dims: p.dims, batchSize: p.batchSize, firstBatch, weights: `${p.id}.bin` });

      log(`sweep ${p.id}: ${p.dims.join('-')}, batch ${p.batchSize}`);
      const one = measureStatsCost(p.id, spec, data, () => createWasmBackendSync(), null, budget, { rounds: 6, minCalls: 1 });
      const backend2 = await createWasmBackend({ spawnHelper: nodeSpawnHelper });
      const two = new Trainer({ spec, train: asDataset(data), validation: null, backend: backend2, stats: 'none' });
      const twoLoss = two.trainStep().loss;
      const twoT = timeFor(() => two.trainStep(), budget / 2, p.batchSize, 2, 1);
      backend2.close();
      const rate = (ms: number) => round((1000 * p.batchSize) / ms, 4);
      ours.push({
        ...p,
        parameters: p.dims.slice(1).reduce((s, n, i) => s + (p.dims[i] + 1) * n, 0),
        ours: {
          threads1: { stepMs: one.stepMs, samplesPerSec: rate(one.stepMs), cpuStepMs: one.stepCpuMs },
          threads2: { stepMs: twoT.stepMs, samplesPerSec: twoT.samplesPerSec },
          fullStats: { stepMs: one.fullStatsMs, overStep: one.fullStatsOverStep, overStepCpu: one.fullStatsOverStepCpu },
          firstBatchLoss: { threads1: one.firstBatchLoss, threads2: twoLoss },
        },
      });
    }
    writeFileSync(path.join(dir, 'x.bin'), new Uint8Array(data.x.buffer, data.x.byteOffset, data.x.byteLength));
    writeFileSync(path.join(dir, 'y.bin'), new Uint8Array(data.y.buffer, data.y.byteOffset, data.y.byteLength));
    const meta = { ...data, x: undefined, y: undefined, budgetSeconds: budget, points: torchPoints };
    writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(meta));
    const torch = runTorchSweep(root, dir);
    const result = assemble(ours, torch, data, budget, (performance.now() - t0) / 1000);
    writeAtomic(path.join(root, 'docs/bench-sweep.json'), `${JSON.stringify(result, null, 2)}\n`);
    await plotSweep(result, path.join(root, 'docs/images/bench-sweep.png'));
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface OursPoint extends Point {
  parameters: number;
  ours: {
    threads1: { stepMs: number; samplesPerSec: number; cpuStepMs: number };
    threads2: { stepMs: number; samplesPerSec?: number };
    fullStats: { stepMs: number; overStep: number; overStepCpu: number };
    firstBatchLoss: { threads1: number; threads2: number };
  };
}

type TorchSweep = { version: string; points: Record<string, unknown>[] } | { skipped: string };

function runTorchSweep(root: string, dir: string): TorchSweep {
  log('PyTorch sweep (python3 bench/torch_bench.py --sweep)');
  const r = spawnSync(PYTHON, [path.join(root, 'bench/torch_bench.py'), '--sweep', dir], {
    encoding: 'utf8',
    timeout: 900_000,
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.error) return { skipped: `${PYTHON}: ${r.error.message}` };
  if (r.status !== 0) return { skipped: `torch_bench.py --sweep failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ''})` };
  return JSON.parse(r.stdout) as TorchSweep;
}

const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const field = (o: unknown, k: string): unknown => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined);
const sps = (o: unknown) => num(field(o, 'samplesPerSec'));

export type SweepResult = ReturnType<typeof assemble>;

function assemble(ours: OursPoint[], torch: TorchSweep, data: BenchData, budget: number, seconds: number) {
  const blas = torchBlas();
  const byId = new Map('points' in torch ? torch.points.map((p) => [String(p.id), p]) : []);
  const series = ours.map((o) => {
    const t = byId.get(String(o.id));
    const mine = o.ours;
    const oursBest = Math.max(mine.threads1.samplesPerSec, mine.threads2.samplesPerSec ?? 0);
    const t1 = sps(field(t, 'threads1')),
      t2 = sps(field(t, 'threads2'));
    const torchBest = t1 === null && t2 === null ? null : Math.max(t1 ?? 0, t2 ?? 0);
    const torchCpu = num(field(field(t, 'threads1'), 'cpuStepMs'));
    const losses = mine.firstBatchLoss;
    const torchLoss = num(field(t, 'firstBatchLoss'));
    const diff = Math.max(
      Math.abs(losses.threads2 - losses.threads1),
      torchLoss === null ? 0 : Math.abs(torchLoss - losses.threads1),
    );
    return {
      ...o,
      pytorch: t ? { threads1: field(t, 'threads1'), threads2: field(t, 'threads2'), firstBatchLoss: torchLoss } : null,
      best: {
        ours: oursBest,
        oursThreads: oursBest === mine.threads1.samplesPerSec ? 1 : 2,
        pytorch: torchBest,
        pytorchThreads: torchBest === null ? null : torchBest === t1 ? 1 : 2,
      },
      oursOverPytorch: blas.openblas && torchBest ? round(oursBest / torchBest, 3) : null,
      // one thread each, CPU time per step: waiting for a core does not count, so a loaded machine
      // disturbs it far less than the wall-clock ratio
      oursOverPytorchOneThreadCpu: blas.openblas && torchCpu ? round(torchCpu / mine.threads1.cpuStepMs, 3) : null,
      firstBatchLossAgrees: { maxAbsDiff: diff, tolerance: LOSS_TOLERANCE, equal: diff <= LOSS_TOLERANCE && torchLoss !== null },
    };
  });
  return {
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      node: process.version,
      loadAverage1m: round(os.loadavg()[0], 3),
    },
    data: data.source,
    model: `ReLU MLP 784 → width × depth → 26, cross-entropy, SGD (lr ${data.learningRate}); base point batch ${BASE.batch}, width ${BASE.width}, depth ${BASE.depth}; one axis varied at a time`,
    pytorchSetup: {
      version: 'version' in torch ? torch.version : null,
      blas: blas.library,
      fair: blas.openblas,
      ...(blas.openblas ? {} : { why: 'PyTorch is not on OpenBLAS: no ratio printed (install libopenblas0-pthread)' }),
      threadsTried: [1, 2],
      ...('skipped' in torch ? { skipped: torch.skipped } : {}),
    },
    settings: {
      budgetSecondsPerMeasurement: budget,
      timing:
        'samples/s of the fastest of 5 rounds (ours 2 threads, PyTorch) or 6 interleaved rounds (ours 1 thread, bare vs full statistics)',
    },
    points: series,
    allFirstBatchLossesAgree: series.every((s) => s.firstBatchLossAgrees.equal),
    seconds: round(seconds, 3),
  };
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

if (require.main === module)
  main().catch((e) => {
    process.stderr.write(`sweep failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
