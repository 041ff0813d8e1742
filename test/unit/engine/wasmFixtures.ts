// What the WASM kernel tests share: a backend built from the current kernel sources, random fills,
// a float64 gemm with a rounding-error bound, and the float32 closeness check that uses it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Rng } from '../../../src/engine/random';
import type { Backend } from '../../../src/engine/backend';
import type { FloatArray } from '../../../src/engine/types';

export type WasmModule = typeof import('../../../src/engine/wasm/backend');

/** The backend module, after regenerating the kernels module from kernels/*.wat when it is stale. */
export async function loadWasm(): Promise<WasmModule> {
  const r = spawnSync(process.execPath, ['scripts/build-wasm.mjs'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return import('../../../src/engine/wasm/backend');
}

/**
 * Runs a test file again in a child node with relaxed SIMD (GRADLENS_TEST_FMA=1), so the fused
 * multiply-add kernels pass the same tests; fails when any of its tests fails. The child must not
 * inherit NODE_TEST_CONTEXT: with it, node --test reports to this run and exits 0 even on failures.
 */
export function assertFileWithFma(file: string, fmaNative: boolean): void {
  const env: NodeJS.ProcessEnv = { ...process.env, GRADLENS_TEST_FMA: '1' };
  delete env.NODE_TEST_CONTEXT;
  // Node 20 needs the V8 flag; newer runtimes have relaxed SIMD on (and may not know the flag)
  const flags = fmaNative ? [] : ['--experimental-wasm-relaxed-simd'];
  const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', '--test', '--test-reporter=dot', file], {
    encoding: 'utf8',
    env,
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
}

export type EngineModule = typeof import('../../../src/engine');

/** The engine with its WASM backend module, imported only once the kernels module is current. */
export async function loadEngine(): Promise<{ engine: EngineModule; wasm: WasmModule }> {
  const wasm = await loadWasm();
  return { engine: await import('../../../src/engine'), wasm };
}

const rng = new Rng(20261128);
export function fill(x: FloatArray, scale = 1): FloatArray {
  for (let i = 0; i < x.length; i++) x[i] = (rng.next() * 2 - 1) * scale;
  return x;
}

/** float64 gemm reference (Backend.gemm's arguments); also returns Σ|terms| per entry for a rounding-error bound. */
export function refGemm(...[tA, tB, m, n, k, alpha, a, b, beta, c]: Parameters<Backend['gemm']>) {
  const value = new Float64Array(m * n),
    magnitude = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0,
        mag = 0;
      for (let p = 0; p < k; p++) {
        const t = a[tA ? p * m + i : i * k + p] * b[tB ? j * k + p : p * n + j];
        s += t;
        mag += Math.abs(t);
      }
      const old = beta === 0 ? 0 : beta * c[i * n + j];
      value[i * n + j] = alpha * s + old;
      magnitude[i * n + j] = Math.abs(alpha) * mag + Math.abs(old);
    }
  return { value, magnitude };
}

/** actual ≈ expected to float32 accumulation error over k terms (of total magnitude `magnitude`, else |expected|). */
export function assertClose(
  actual: FloatArray,
  expected: ArrayLike<number>,
  magnitude: ArrayLike<number> | null,
  k: number,
  what: string,
): void {
  assert.equal(actual.length >= expected.length, true, `${what}: output too short`);
  for (let i = 0; i < expected.length; i++) {
    // float32 accumulation: error ≲ k·ε·Σ|terms|; 4× margin, plus a floor for exact zeros.
    const bound = 4 * 6e-8 * (k + 2) * (magnitude ? magnitude[i] : Math.abs(expected[i])) + 1e-30;
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= bound)) assert.fail(`${what}: entry ${i} is ${actual[i]}, expected ${expected[i]} (|err| ${err} > ${bound})`);
  }
}

type Descriptor = { initial: number; maximum?: number; shared?: boolean };

/** Runs f in a runtime whose WebAssembly.Memory refuses `shared` (a page that is not cross-origin isolated). */
export function withoutShared<T>(f: () => T): T {
  const api = (globalThis as unknown as { WebAssembly: { Memory: new (d: Descriptor) => object } }).WebAssembly;
  const Memory = api.Memory;
  api.Memory = function (descriptor: Descriptor) {
    if (descriptor.shared) throw new TypeError('shared memories are not available here');
    return new Memory(descriptor);
  } as unknown as typeof Memory;
  try {
    return f();
  } finally {
    api.Memory = Memory;
  }
}
