// Relaxed SIMD for the benchmarks, switched on before any kernel is compiled (bench/index.ts, bench/stats.ts).

import { setFlagsFromString } from 'node:v8';
import { wasmFmaSupported } from '../src/engine/wasm/backend';

/**
 * Relaxed SIMD (the fused multiply-add kernels) as the VS Code extension host has it: its newer V8
 * ships it, Node 20's needs the flag, switched on here before any kernel is compiled. BENCH_FMA=0
 * keeps Node 20's default (plain SIMD). The JSON says which ran; wasmPlainSimd runs are always there.
 */
export function switchOnRelaxedSimd(): string {
  if (wasmFmaSupported()) return 'relaxed SIMD on by default in this runtime';
  if (process.env.BENCH_FMA === '0') return 'off (BENCH_FMA=0)';
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return wasmFmaSupported()
    ? 'switched on with --experimental-wasm-relaxed-simd (Node 20; the extension host of current VS Code has it by default)'
    : 'unavailable in this runtime';
}
