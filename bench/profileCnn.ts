// The bench CNN's training step by phase: each layer's forward and backward, the loss, the
// finiteness checks and the update, on one and on two threads (wall-clock, the best of ROUNDS
// rounds per phase). On one thread the conv layers' kernels are also timed one by one (im2col,
// gemm, col2im, ...), by wrapping the backend's methods. Run: node --import tsx bench/profileCnn.ts
// (PROFILE_FMA=0 for plain SIMD). Prints JSON on stdout.

import * as path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Trainer, referenceBackend, type Backend } from '../src/engine';
import { createWasmBackend, createWasmBackendSync } from '../src/engine/wasm/backend';
import { nodeSpawnHelper } from '../src/engine-host/spawnHelper';
import { asDataset, loadBenchData, type BenchData } from './data';
import { benchSpec, CNN_LAYERS, startingPoint, type Start } from './ours';

if (process.env.PROFILE_FMA !== '0') setFlagsFromString('--experimental-wasm-relaxed-simd');

const ROUNDS = 1;
const STEPS = Number(process.env.PROFILE_STEPS ?? 400);

type Sums = Map<string, number>;
const now = () => performance.now();

function add(s: Sums, key: string, ms: number): void {
  s.set(key, (s.get(key) ?? 0) + ms);
}

/** Wraps every method of `be` so its time adds to sums[`kernel name`] (only outside split parts). */
function timedBackend(be: Backend, sums: Sums, on: { active: boolean }): Backend {
  const out: Record<string, unknown> = Object.create(Object.getPrototypeOf(be) as object) as Record<string, unknown>;
  for (const key of Object.keys(be)) {
    const v = (be as unknown as Record<string, unknown>)[key];
    if (typeof v !== 'function' || key === 'alloc' || key === 'splitExamples') {
      Object.defineProperty(out, key, Object.getOwnPropertyDescriptor(be, key)!);
      continue;
    }
    out[key] = (...args: unknown[]) => {
      if (!on.active) return (v as (...a: unknown[]) => unknown)(...args);
      const t = now();
      const r = (v as (...a: unknown[]) => unknown)(...args);
      let name = key;
      if (key === 'gemm') name = `gemm ${args[0] ? 'T' : 'N'}${args[1] ? 'T' : 'N'} ${args[2]}×${args[3]}×${args[4]}`;
      add(sums, name, now() - t);
      return r;
    };
  }
  return out as unknown as Backend;
}

function profile(spec: ReturnType<typeof benchSpec>, d: BenchData, be: Backend, start: Start, kernels: boolean) {
  const kernelSums: Sums = new Map();
  const on = { active: false };
  const backend = kernels ? timedBackend(be, kernelSums, on) : be;
  const t = new Trainer({ spec, train: asDataset(d), validation: null, backend, stats: 'none' });
  t.setWeights(start.weights);
  const layers = (t as unknown as { net: { layers: unknown } }).net.layers as {
    label: string;
    forward: (...a: unknown[]) => void;
    backward: (...a: unknown[]) => void;
  }[];
  const phase: Sums = new Map();
  layers.forEach((layer, i) => {
    const f = layer.forward.bind(layer),
      b = layer.backward.bind(layer);
    layer.forward = (...a) => {
      const t0 = now();
      f(...a);
      add(phase, `${i} ${layer.label} forward`, now() - t0);
    };
    layer.backward = (...a) => {
      const t0 = now();
      b(...a);
      add(phase, `${i} ${layer.label} backward`, now() - t0);
    };
  });
  for (let i = 0; i < 30; i++) t.trainStep();
  // The least disturbed of many single steps (the machine is shared): each phase's and kernel's
  // smallest per-step time, and the smallest step.
  const best: Record<string, number> = {};
  const bestKernels: Record<string, number> = {};
  let bestStep = Infinity;
  const steps: number[] = [];
  const rest = 'rest (loss, finiteness checks, update)';
  for (let s = 0; s < ROUNDS * STEPS; s++) {
    phase.clear();
    kernelSums.clear();
    on.active = kernels;
    const t0 = now();
    const { batchSize } = t.trainStep();
    const step = now() - t0;
    on.active = false;
    // the epoch's last batch is smaller (1000 = 31·32 + 8)
    if (batchSize !== d.batchSize) continue;
    steps.push(step);
    bestStep = Math.min(bestStep, step);
    let layersMs = 0;
    for (const [k, v] of phase) {
      best[k] = Math.min(best[k] ?? Infinity, v);
      layersMs += v;
    }
    best[rest] = Math.min(best[rest] ?? Infinity, step - layersMs);
    for (const [k, v] of kernelSums) bestKernels[k] = Math.min(bestKernels[k] ?? Infinity, v);
  }
  steps.sort((a, b) => a - b);
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    stepMs: r3(bestStep),
    medianStepMs: r3(steps[steps.length >> 1]),
    phasesMs: Object.fromEntries(Object.entries(best).map(([k, v]) => [k, r3(v)])),
    ...(kernels
      ? {
          kernelsMs: Object.fromEntries(
            Object.entries(bestKernels)
              .sort((a, b) => b[1] - a[1])
              .map(([k, v]) => [k, r3(v)]),
          ),
        }
      : {}),
  };
}

async function main(): Promise<void> {
  const d = await loadBenchData(path.resolve(__dirname, '..'));
  const spec = benchSpec('bench-cnn', CNN_LAYERS, d);
  const start = startingPoint(spec, d, referenceBackend('float32'));
  const two = await createWasmBackend({ spawnHelper: nodeSpawnHelper });
  const result = {
    oneThreadKernels: profile(spec, d, createWasmBackendSync(), start, true),
    oneThread: profile(spec, d, createWasmBackendSync(), start, false),
    twoThreads: profile(spec, d, two, start, false),
  };
  two.close();
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

void main();
