// `npm run bench`: our engine (reference TS and WASM SIMD backends) against PyTorch CPU and
// TensorFlow.js WASM on the same data, initial weights and first batch. Prints ONE JSON object on
// stdout; progress on stderr. Environment: BENCH_BUDGET=seconds per measurement (default 1.5).

import * as os from 'node:os';
import * as path from 'node:path';
import { referenceBackend } from '../src/engine';
import { createWasmBackend, createWasmBackendSync, wasmFmaSupported } from '../src/engine/wasm/backend';
import { nodeSpawnHelper } from './spawnHelper';
import { loadBenchData } from './data';
import { benchSpec, CNN_LAYERS, MLP_LAYERS, runCnn, runMlp, startingPoint } from './ours';
import { runBigBatch } from './bigBatch';
import { runTfjs } from './tfjs';
import { runTorch, torchBlas } from './torch';
import { gemmRates, mlpStepFlops } from './gflops';
import { log, round } from './timing';
import { measureStatsCost } from './statsCost';

const LOSS_TOLERANCE = 1e-4;

async function main(): Promise<void> {
  const t0 = performance.now();
  const root = path.resolve(__dirname, '..');
  const budget = Number(process.env.BENCH_BUDGET ?? 1.5);
  const data = await loadBenchData(root);
  const mlpSpec = benchSpec('bench-mlp', MLP_LAYERS, data);
  const cnnSpec = benchSpec('bench-cnn', CNN_LAYERS, data);
  const mlpStart = startingPoint(mlpSpec, data, referenceBackend('float32'));
  const cnnStart = startingPoint(cnnSpec, data, referenceBackend('float32'));

  const reference = () => referenceBackend('float32');
  const wasm = () => createWasmBackendSync();
  // Two threads: backends made ahead (their helper threads must be running before the synchronous
  // timing loops start), one per trainer.
  const threaded = await Promise.all(Array.from({ length: 9 }, () => createWasmBackend({ spawnHelper: nodeSpawnHelper })));
  const pool = threaded.slice();
  const wasmTwoThreads = () => pool.pop() ?? createWasmBackendSync();
  const ours = {
    mlp: {
      reference: runMlp(mlpSpec, data, reference, mlpStart, budget),
      wasm: runMlp(mlpSpec, data, wasm, mlpStart, budget),
      wasmTwoThreads: runMlp(mlpSpec, data, wasmTwoThreads, mlpStart, budget),
    },
    cnn: {
      reference: runCnn(cnnSpec, data, reference, cnnStart, budget),
      wasm: runCnn(cnnSpec, data, wasm, cnnStart, budget),
      wasmTwoThreads: runCnn(cnnSpec, data, wasmTwoThreads, cnnStart, budget),
    },
  };
  // What the full per-step statistics cost, bare and full trainers in alternating rounds.
  const statsCost = {
    mlpOneThread: measureStatsCost('mlp', mlpSpec, data, wasm, mlpStart.weights, budget),
    mlpTwoThreads: measureStatsCost('mlp', mlpSpec, data, wasmTwoThreads, mlpStart.weights, budget),
    cnnOneThread: measureStatsCost('cnn', cnnSpec, data, wasm, cnnStart.weights, budget),
    cnnTwoThreads: measureStatsCost('cnn', cnnSpec, data, wasmTwoThreads, cnnStart.weights, budget),
  };
  const fullBatch = await runBigBatch(root);
  const splitProducts = threaded.reduce((sum, b) => sum + b.splitProducts, 0);
  for (const b of threaded) b.close();

  log('our gemm on the MLP step shapes');
  const ourGemm = gemmRates(wasm(), data.batchSize, budget / 8);
  const blas = torchBlas();
  const torch = runTorch(root, data, mlpStart.weights, cnnStart.weights, mlpStart.firstBatch, budget);
  let tfjs: Awaited<ReturnType<typeof runTfjs>> | { skipped: string };
  try {
    tfjs = await runTfjs(data, mlpStart.weights, cnnStart.weights, mlpStart.firstBatch, budget);
  } catch (e) {
    tfjs = { skipped: `TensorFlow.js unavailable: ${(e as Error).message}` };
  }

  // ---- first-batch loss agreement (same weights, same batch) and ratios
  const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
  const at = (o: unknown, ...keys: string[]): unknown =>
    keys.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);
  const lossCheck = (which: 'mlp' | 'cnn') => {
    const ref = ours[which].reference.firstBatchLoss;
    const peers: Record<string, number | null> = {
      wasm: ours[which].wasm.firstBatchLoss,
      wasmTwoThreads: ours[which].wasmTwoThreads.firstBatchLoss,
      pytorch: num(at(torch, which, 'firstBatchLoss')),
      tfjs: num(at(tfjs, which, 'firstBatchLoss')),
    };
    const diffs = Object.fromEntries(Object.entries(peers).map(([k, v]) => [k, v === null ? null : Math.abs(v - ref)]));
    return {
      reference: ref,
      ...peers,
      maxAbsDiff: Math.max(...Object.values(diffs).filter((v): v is number => v !== null)),
      tolerance: LOSS_TOLERANCE,
      equal: Object.values(diffs).every((v) => v === null || v <= LOSS_TOLERANCE),
    };
  };
  const ratio = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? round(a / b, 3) : null);
  const sps = (x: unknown) => num(at(x, 'samplesPerSec'));
  // Ours at its better thread setting, as PyTorch's (the per-example ratios stay those of one thread).
  const faster = <T extends { train: { samplesPerSec?: number } }>(one: T, two: T) =>
    (two.train.samplesPerSec ?? 0) > (one.train.samplesPerSec ?? 0) ? two : one;
  const w = faster(ours.mlp.wasm, ours.mlp.wasmTwoThreads),
    c = faster(ours.cnn.wasm, ours.cnn.wasmTwoThreads);
  const oursThreads = { mlp: w === ours.mlp.wasm ? 1 : 2, cnn: c === ours.cnn.wasm ? 1 : 2, productsSplit: splitProducts };
  /**
   * PyTorch's better of 2 threads and 1 thread (contention on a shared 2-core machine can invert
   * them); null when PyTorch does not run on OpenBLAS (the reference BLAS would flatter us).
   */
  const torchBest = (which: 'mlp' | 'cnn') => {
    if (!blas.openblas) return null;
    const rates = [sps(at(torch, which, 'train')), sps(at(torch, which, 'trainOneThread'))].filter(
      (v): v is number => v !== null,
    );
    return rates.length ? Math.max(...rates) : null;
  };
  const bestThreads = (which: 'mlp' | 'cnn') => {
    const two = sps(at(torch, which, 'train')),
      one = sps(at(torch, which, 'trainOneThread'));
    return two === null || one === null ? null : two >= one ? 2 : 1;
  };
  const sgemmPeak =
    Math.max(
      num(at(torch, 'sgemm', 'threads1', 'peakShapeGflops')) ?? 0,
      num(at(torch, 'sgemm', 'threads2', 'peakShapeGflops')) ?? 0,
    ) || null;
  const stepGflops = round(mlpStepFlops(data.batchSize) / (w.train.stepMs * 1e6), 3);
  const gflops = {
    note: 'GFLOP/s of gemm work only (2·m·n·k per product); peak = the better of 1 and 2 threads of OpenBLAS sgemm (torch.mm) on a 512³ product',
    oursMlpTrainStep: stepGflops,
    oursGemmOnStepShapes: ourGemm.stepGemmGflops,
    oursPeakShape: ourGemm.peakShapeGflops,
    openblasGemmOnStepShapes: {
      threads1: num(at(torch, 'sgemm', 'threads1', 'stepGemmGflops')),
      threads2: num(at(torch, 'sgemm', 'threads2', 'stepGemmGflops')),
    },
    openblasPeak: sgemmPeak,
    oursTrainStepShareOfPeak: sgemmPeak ? round(stepGflops / sgemmPeak, 3) : null,
    oursPeakShapeShareOfPeak: sgemmPeak ? round(ourGemm.peakShapeGflops / sgemmPeak, 3) : null,
    perShape: { ours: ourGemm.shapes, openblas: at(torch, 'sgemm') ?? null },
  };
  const pytorchSetup = {
    blas: blas.library,
    fair: blas.openblas,
    ...(blas.openblas
      ? {}
      : {
          why: 'PyTorch is not on OpenBLAS (libblas.so.3 is the reference BLAS): no ratio against it is printed; install libopenblas0-pthread',
        }),
    threadsTried: [1, 2],
    bestThreads: { mlp: bestThreads('mlp'), cnn: bestThreads('cnn') },
  };
  const ratios = {
    mlpOursOverPytorch: ratio(sps(w.train), torchBest('mlp')),
    mlpOursOverTfjs: ratio(sps(w.train), sps(at(tfjs, 'mlp', 'train'))),
    mlpWasmOverReference: ratio(sps(w.train), sps(ours.mlp.reference.train)),
    cnnOursOverPytorch: ratio(sps(c.train), torchBest('cnn')),
    cnnOursOverTfjs: ratio(sps(c.train), sps(at(tfjs, 'cnn', 'train'))),
    cnnWasmOverReference: ratio(sps(c.train), sps(ours.cnn.reference.train)),
    fullBatchWasmOverReference: fullBatch.wasmOverReference,
    mlpTwoThreadsOverOne: ratio(sps(ours.mlp.wasmTwoThreads.train), sps(ours.mlp.wasm.train)),
    cnnTwoThreadsOverOne: ratio(sps(ours.cnn.wasmTwoThreads.train), sps(ours.cnn.wasm.train)),
    allPerExampleOverStep: ours.mlp.wasm.ratios.allPerExampleOverStep,
    perExampleNormsOverStep: ours.mlp.wasm.ratios.normsOverStep,
    fullStatsOverStep: ours.mlp.wasm.ratios.fullStatsOverStep,
    /** The worst of the interleaved measurements (MLP and CNN, 1 and 2 threads): what the target checks. */
    fullStatsOverStepInterleaved: Math.max(...Object.values(statsCost).map((c) => c.fullStatsOverStep)),
    pytorchVmapPerExampleOverFwdBwd: ratio(
      num(at(torch, 'mlp', 'perExample', 'allPerExampleMs')),
      num(at(torch, 'mlp', 'forwardBackwardMs')),
    ),
  };
  const targets = {
    'mlp >= 1.0x pytorch': ratios.mlpOursOverPytorch === null ? null : ratios.mlpOursOverPytorch >= 1,
    'mlp >= 4x tfjs': ratios.mlpOursOverTfjs === null ? null : ratios.mlpOursOverTfjs >= 4,
    'all per-example <= 1.5x step': ratios.allPerExampleOverStep <= 1.5,
    'per-example norms <= 1.1x step': ratios.perExampleNormsOverStep <= 1.1,
    'cnn >= 1.0x pytorch': ratios.cnnOursOverPytorch === null ? null : ratios.cnnOursOverPytorch >= 1,
    'mlp >= 2.0x pytorch': ratios.mlpOursOverPytorch === null ? null : ratios.mlpOursOverPytorch >= 2,
    'cnn >= 2.0x pytorch': ratios.cnnOursOverPytorch === null ? null : ratios.cnnOursOverPytorch >= 2,
    'full stats <= 1.15x step (MLP and CNN, 1 and 2 threads, interleaved)': ratios.fullStatsOverStepInterleaved <= 1.15,
    'full batch: wasm >= 1.0x reference': fullBatch.wasmOverReference >= 1,
  };

  const result = {
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      node: process.version,
      loadAverage1m: round(os.loadavg()[0], 3),
      wasmFma: wasmFmaSupported()
        ? 'relaxed-SIMD fused multiply-add kernels'
        : 'plain SIMD (this runtime has no relaxed SIMD; Node 20 needs --experimental-wasm-relaxed-simd)',
    },
    data: data.source,
    settings: {
      batchSize: data.batchSize,
      learningRate: data.learningRate,
      budgetSecondsPerMeasurement: budget,
      mlp: '784-128-64-26 relu, cross-entropy, SGD',
      cnn: 'conv3x3x8 same relu, maxpool2, conv3x3x16 same relu, maxpool2, dense26',
    },
    ours,
    statsCost,
    fullBatch,
    oursThreads,
    pytorchSetup,
    pytorch: torch,
    gflops,
    tfjs,
    firstBatchLoss: { mlp: lossCheck('mlp'), cnn: lossCheck('cnn') },
    ratios,
    targets,
    seconds: round((performance.now() - t0) / 1000, 3),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
