// Wall-clock timing for the benchmarks: warm up, then repeat for a time budget and report the mean.

export interface Timing {
  /** Mean milliseconds per call. */
  stepMs: number;
  /** Calls timed. */
  steps: number;
  /** samplesPerCall / stepMs, when the call processes samples (a training step). */
  samplesPerSec?: number;
}

export function timeFor(fn: () => void, budgetSeconds: number, samplesPerCall = 0, warmup = 3, minCalls = 3): Timing {
  // Warm up for at least `warmup` calls and 0.2 s of budget: V8 compiles WASM and JS in tiers, and
  // the optimising tier arrives only after a function has run for a while.
  const warmEnd = performance.now() + Math.min(0.2, budgetSeconds / 4) * 1000;
  for (let i = 0; i < warmup || performance.now() < warmEnd; i++) fn();
  let calls = 0;
  const t0 = performance.now();
  const deadline = t0 + budgetSeconds * 1000;
  while (calls < minCalls || performance.now() < deadline) {
    fn();
    calls++;
  }
  const stepMs = (performance.now() - t0) / calls;
  const t: Timing = { stepMs: round(stepMs, 4), steps: calls };
  if (samplesPerCall > 0) t.samplesPerSec = round((samplesPerCall * 1000) / stepMs, 1);
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
