// Wall-clock timing for the benchmarks: warm up, then repeat for a time budget and report the mean.

export interface Timing {
  /** Mean milliseconds per call in the fastest round (see timeFor). */
  stepMs: number;
  /** Calls timed, all rounds. */
  steps: number;
  /** samplesPerCall / stepMs, when the call processes samples (a training step). */
  samplesPerSec?: number;
}

/**
 * Mean time per call of the fastest of ROUNDS rounds (each budget/ROUNDS seconds). The machine is
 * shared (other processes come and go), and the fastest round is the one least disturbed; the
 * PyTorch side (bench/torch_bench.py) uses the same rule, so the comparison stays fair.
 */
export const ROUNDS = 5;

export function timeFor(fn: () => void, budgetSeconds: number, samplesPerCall = 0, warmup = 3, minCalls = 2): Timing {
  // Warm up for at least `warmup` calls and 0.2 s: V8 compiles WASM and JS in tiers, and the
  // optimising tier arrives only after a function has run for a while.
  const warmEnd = performance.now() + Math.min(0.2, budgetSeconds / 4) * 1000;
  for (let i = 0; i < warmup || performance.now() < warmEnd; i++) fn();
  let best = Infinity,
    total = 0;
  for (let r = 0; r < ROUNDS; r++) {
    let calls = 0;
    const t0 = performance.now();
    const deadline = t0 + (budgetSeconds * 1000) / ROUNDS;
    while (calls < minCalls || performance.now() < deadline) {
      fn();
      calls++;
    }
    best = Math.min(best, (performance.now() - t0) / calls);
    total += calls;
  }
  const t: Timing = { stepMs: round(best, 4), steps: total };
  if (samplesPerCall > 0) t.samplesPerSec = round((samplesPerCall * 1000) / best, 4);
  return t;
}

export function round(x: number, digits: number): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** Math.max(0, digits - Math.ceil(Math.log10(Math.abs(x) || 1)));
  return Math.round(x * f) / f;
}

/** Progress goes to stderr: stdout carries only the result JSON. */
export function log(...parts: unknown[]): void {
  process.stderr.write(`bench: ${parts.join(' ')}\n`);
}
