// `npm run bench`: our engine (reference TS and WASM SIMD backends) against PyTorch CPU and
// TensorFlow.js WASM on the same data, initial weights and first batch. Prints ONE JSON object on
// stdout; progress on stderr. Environment: BENCH_BUDGET=seconds per measurement (default 1.5).

import * as os from 'node:os';
import * as path from 'node:path';
import { referenceBackend } from '../src/engine';
import { createWasmBackend, createWasmBackendSync, wasmFmaSupported } from '../src/engine/wasm/backend';
import { nodeSpawnHelper } from '../src/engine-host/spawnHelper';
import { loadBenchData } from './data';
import { benchSpec, CNN_LAYERS, MLP_LAYERS, runMlp, runTrain, startingPoint } from './ours';
import { runBigBatch } from './bigBatch';
import { runTfjs } from './tfjs';
import { ensureOpenBlas, runTorch, torchBlas } from './torch';
import { gemmRates, mlpStepFlops } from './gflops';
import { log, round } from './timing';
import { measureStatsCost } from './statsCost';
import { switchOnRelaxedSimd } from './relaxedSimd';

const LOSS_TOLERANCE = 1e-4;

async function main(): Promise<void> {
  const t0 = performance.now();
  const relaxedSimd = switchOnRelaxedSimd();
  const blasSetup = ensureOpenBlas();
  const root = path.resolve(__dirname, '..');
  const budget = Number(process.env.BENCH_BUDGET ?? 1.5);
  const data = await loadBenchData(root);
  const mlpSpec = benchSpec('bench-mlp', MLP_LAYERS, data);
  const cnnSpec = benchSpec('bench-cnn', CNN_LAYERS, data);
  const mlpStart = startingPoint(mlpSpec, data, referenceBackend('float32'));
  const cnnStart = startingPoint(cnnSpec, data, referenceBackend('float32'));

  const reference = () => referenceBackend('float32');
  // Every WASM backend made, so the JSON can say which gemm path ran (zero-skipping or dense).
  const made: { zeros: string; sparseProducts: number }[] = [];
  const keep = <T extends { zeros: string; sparseProducts: number }>(b: T): T => (made.push(b), b);
  const wasm = () => keep(createWasmBackendSync());
  // The dense path (zeros are multiplied like any value): what the zero skipping gains, and the
  // ratio against PyTorch that does not depend on the data being sparse.
  const wasmDense = () => keep(createWasmBackendSync({ zeros: 'dense' }));
  // Node 20 without the flag (the CLI on a user's Node 20): plain SIMD, no fused multiply-add
  const wasmPlainSimd = () => keep(createWasmBackendSync({ fma: false }));
  // Two threads: backends made ahead (their helper threads must be running before the synchronous
  // timing loops start), one per trainer.
  const threaded = await Promise.all(Array.from({ length: 9 }, () => createWasmBackend({ spawnHelper: nodeSpawnHelper })));
  const pool = threaded.slice();
  const wasmTwoThreads = () => keep(pool.pop() ?? createWasmBackendSync());
  const ours = {
    mlp: {
      reference: runMlp(mlpSpec, data, reference, mlpStart, budget),
      wasm: runMlp(mlpSpec, data, wasm, mlpStart, budget),
      wasmTwoThreads: runMlp(mlpSpec, data, wasmTwoThreads, mlpStart, budget),
      wasmDense: runTrain(mlpSpec, data, wasmDense, mlpStart, budget),
      wasmPlainSimd: runTrain(mlpSpec, data, wasmPlainSimd, mlpStart, budget),
    },
    cnn: {
      reference: runTrain(cnnSpec, data, reference, cnnStart, budget),
      wasm: runTrain(cnnSpec, data, wasm, cnnStart, budget),
      wasmTwoThreads: runTrain(cnnSpec, data, wasmTwoThreads, cnnStart, budget),
      wasmPlainSimd: runTrain(cnnSpec, data, wasmPlainSimd, cnnStart, budget),
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
  const helperChunks = threaded.reduce((sum, b) => sum + b.helperChunks, 0);
  const gemmPath = {
    note: "zero-skipping: A·B and Aᵀ·B skip A's zero entries when A is ≤ 30 % nonzero and B is finite (the MLP's first layer on MNIST pixels; the same numbers as the dense kernels); wasmDense never skips",
    sparseProducts: made.filter((b) => b.zeros === 'skip').reduce((sum, b) => sum + b.sparseProducts, 0),
    sparseProductsOnDenseBackends: made.filter((b) => b.zeros === 'dense').reduce((sum, b) => sum + b.sparseProducts, 0),
  };
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
      wasmPlainSimd: ours[which].wasmPlainSimd.firstBatchLoss,
      ...(which === 'mlp' ? { wasmDense: ours.mlp.wasmDense.firstBatchLoss } : {}),
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
  const oursThreads = {
    mlp: w === ours.mlp.wasm ? 1 : 2,
    cnn: c === ours.cnn.wasm ? 1 : 2,
    productsSplit: splitProducts,
    helperChunks,
  };
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
    note: 'GFLOP/s of gemm work only (2·m·n·k per product, counting the multiplications by zero that the zero-skipping path leaves out: a dense-equivalent rate for the train step); peak = the better of 1 and 2 threads of OpenBLAS sgemm (torch.mm) on a 512³ product',
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
    ...(blasSetup.installed ? { blasSetup: blasSetup.installed } : {}),
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
    mlpDenseOursOverPytorch: ratio(sps(ours.mlp.wasmDense.train), torchBest('mlp')),
    mlpPlainSimdOursOverPytorch: ratio(sps(ours.mlp.wasmPlainSimd.train), torchBest('mlp')),
    cnnPlainSimdOursOverPytorch: ratio(sps(ours.cnn.wasmPlainSimd.train), torchBest('cnn')),
    mlpZeroSkippingOverDense: ratio(sps(ours.mlp.wasm.train), sps(ours.mlp.wasmDense.train)),
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
        ? 'relaxed-SIMD fused multiply-add kernels (wasmPlainSimd: the plain SIMD ones)'
        : 'plain SIMD (this runtime has no relaxed SIMD; Node 20 needs --experimental-wasm-relaxed-simd)',
      relaxedSimd,
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
    gemmPath,
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
