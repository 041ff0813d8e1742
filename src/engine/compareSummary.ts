// The batch-size comparison in plain words. Every sentence is built from the measured numbers of
// the runs, and its wording follows them (a ratio below 1 never reads as "steadier", "faster"...):
// the rates used, what momentum does, the outcome at the same examples seen, how much steadier the
// updates of bigger batches are, how many more examples per second vectorised batches process,
// what memory they cost, and where the noise scale says a bigger batch stops paying.

import type { CompareResult, CompareRun, RateMode } from './compare';

/** Each sweep trial makes at least this many updates (when the run itself is that long). */
export const SWEEP_MIN_UPDATES = 10;

export const RATE_MODE_NAMES: Record<RateMode, string> = {
  sweep: 'a short learning-rate sweep per batch size, chosen by validation loss',
  file: "the file's learning rate for every batch size",
  linear: "linear scaling (γ ∝ M) from the file's rate at its batch size",
};

export function runLabel(m: number, n: number): string {
  return m === 1 ? 'M = 1 (pure SGD)' : m >= n ? `M = ${m} (full batch)` : `M = ${m}`;
}

export function summarizeComparison(r: CompareResult, n: number): string {
  if (r.runs.length < 2) return 'Choose at least two batch sizes to compare.';
  const sorted = r.runs.slice().sort((a, b) => a.batchSize - b.batchSize);
  const label = (x: CompareRun): string => runLabel(x.batchSize, n);
  const small = sorted[0];
  // The next batch size up (compare.ts keeps each size once, so it is bigger than the smallest).
  const mid = sorted[1];
  const out: string[] = [];

  const rates = sorted.map(
    (x) =>
      `${label(x)}: γ = ${sig(x.learningRate)}${x.rateTrials.length ? ` (best of ${x.rateTrials.map((t) => sig(t.learningRate)).join(', ')})` : ''}`,
  );
  out.push(
    `Learning rates: ${RATE_MODE_NAMES[r.rateMode]}${r.rateMode === 'sweep' ? ` (each trial ${count(r.sweepExamples)} examples or ${SWEEP_MIN_UPDATES} updates, whichever is more, judged on the ${r.chosenBy} loss)` : ''}. ${rates.join('; ')}.`,
  );
  out.push(momentumSentence(sorted, label));

  const outcome = sorted.map((x) =>
    x.validation
      ? `${label(x)} ${pct(x.validation.accuracy)} (loss ${sig(x.validation.loss)}) after ${count(x.steps)} updates`
      : `${label(x)} n/a (${x.notApplicable.validation})`,
  );
  out.push(`Validation accuracy after the same ${count(r.examples)} examples seen: ${outcome.join('; ')}.`);

  if (small.stepLossSigma !== null && mid.stepLossSigma !== null && mid.stepLossSigma > 0 && small.stepLossSigma > 0) {
    const ratio = small.stepLossSigma / mid.stepLossSigma;
    out.push(
      shownFactor(ratio) === fx(1)
        ? `With ${label(mid)} the loss moved about as much from one update to the next as with ${label(small)} (step-to-step σ of the loss ${sig(mid.stepLossSigma)} against ${sig(small.stepLossSigma)}): averaging ${mid.batchSize} examples made the updates no steadier here.`
        : ratio >= 1
          ? `Averaging ${mid.batchSize} examples made the updates steadier: the loss moved ${fx(ratio)}× less from one update to the next than with ${label(small)} (step-to-step σ of the loss ${sig(mid.stepLossSigma)} against ${sig(small.stepLossSigma)}).`
          : `Here the loss moved ${fx(1 / ratio)}× more from one update to the next with ${label(mid)} than with ${label(small)} (step-to-step σ of the loss ${sig(mid.stepLossSigma)} against ${sig(small.stepLossSigma)}).`,
    );
  }

  if (Number.isFinite(small.examplesPerSecond) && Number.isFinite(mid.examplesPerSecond) && small.examplesPerSecond > 0) {
    const ratio = mid.examplesPerSecond / small.examplesPerSecond;
    out.push(
      shownFactor(ratio) === fx(1)
        ? `${label(mid)} processed about as many examples per second as ${label(small)} (${count(mid.examplesPerSecond)} against ${count(small.examplesPerSecond)} examples/s): on this model the batch bought no speed.`
        : ratio >= 1
          ? `Vectorised batches processed ${fx(ratio)}× more examples per second: ${count(mid.examplesPerSecond)} examples/s with ${label(mid)} against ${count(small.examplesPerSecond)} with ${label(small)}.`
          : `${label(mid)} processed fewer examples per second than ${label(small)} here (${count(mid.examplesPerSecond)} against ${count(small.examplesPerSecond)} examples/s): on this model the batch bought no speed.`,
    );
  }

  const big = sorted[sorted.length - 1];
  out.push(
    `The price is memory: the activations kept for back-propagation grow with M, from ${bytes(small.activationBytes)} per step with ${label(small)} to ${bytes(mid.activationBytes)} with ${label(mid)}${big !== mid ? ` and ${bytes(big.activationBytes)} with ${label(big)}` : ''}.`,
  );

  const noisy = sorted.filter((x) => x.noiseScale !== null);
  if (noisy.length) {
    const ref = noisy.find((x) => x === mid) ?? noisy[0];
    const b = ref.noiseScale as number;
    const beyond = sorted.filter((x) => x.batchSize > b).map(label);
    const within = sorted.filter((x) => x.batchSize <= b).map(label);
    out.push(
      `The gradient noise scale B_simple measured ${sig(b)} in the ${label(ref)} run: batches up to about that size still cut the gradient's noise nearly in proportion to M, bigger ones mostly make fewer updates for the same examples.` +
        (beyond.length
          ? ` ${beyond.join(', ')} ${beyond.length > 1 ? 'are' : 'is'} beyond it${within.length ? `; ${within.join(', ')} within it` : ''}.`
          : ` Every batch size here is within it.`),
    );
  }
  return out.join(' ');
}

function momentumSentence(runs: CompareRun[], label: (x: CompareRun) => string): string {
  const mu = runs[0].momentum;
  if (mu === 0) return "No momentum: every update is −γ times that batch's gradient alone.";
  const span = 1 / (1 - mu);
  const short = runs.filter((x) => x.steps < span).map(label);
  return (
    `Every run keeps the file's momentum μ = ${sig(mu)}: the velocity adds up about the last ${fx(span)} updates' gradients, so once it has built up each step moves about ${fx(span)}·γ times the gradient.` +
    (short.length
      ? ` ${short.join(', ')} made fewer updates than that, so ${short.length > 1 ? 'their' : 'its'} velocity never built up.`
      : '')
  );
}

function sig(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(1) : String(Number(x.toPrecision(3)));
}
/** The factor a ratio is written as, on its side of 1 ("1.0" when the two numbers are that close). */
function shownFactor(ratio: number): string {
  return fx(ratio >= 1 ? ratio : 1 / ratio);
}
function fx(x: number): string {
  return x >= 10 ? String(Math.round(x)) : x.toFixed(1);
}
function count(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}
function pct(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}
function bytes(b: number): string {
  return b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MB` : b >= 1024 ? `${(b / 1024).toFixed(0)} KB` : `${b} bytes`;
}
