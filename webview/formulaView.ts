// The optimizer's real update of one scalar, written out with the numbers it used: the same terms
// the engine read from the optimizer's state (src/engine/walkthrough.ts updateTerms), so the left
// side is the θ that was applied and the right side computes it.

import type { UpdateTerms } from '../src/protocol';
import { num, term } from './format';

export type FormulaLine = ['head' | 'line', string];

export function optimizerName(t: UpdateTerms): string {
  if (t.optimizer === 'adam') return 'Adam';
  if (t.momentum === 0) return 'plain SGD';
  return t.nesterov ? `SGD with Nesterov momentum μ = ${num(t.momentum)}` : `SGD with momentum μ = ${num(t.momentum)}`;
}

/** The update's lines, after G is known. */
export function updateLines(t: UpdateTerms): FormulaLine[] {
  const out: FormulaLine[] = [];
  const step = `update t = ${t.step}, ${optimizerName(t)}`;
  let g = 'G';
  if (t.weightDecay !== 0) {
    out.push(['head', `Weight decay: g = G + wd · θ   (${step})`]);
    out.push(['line', `g = ${num(t.batchGradient, 4)} + ${num(t.weightDecay)} · ${term(t.before, 5)} = ${num(t.gradient, 4)}`]);
    g = 'g';
  }
  const gv = num(t.gradient, 4);
  if (t.optimizer === 'adam') {
    out.push([
      'head',
      `Adam's moments: m ← β₁·m + (1−β₁)·${g};  v ← β₂·v + (1−β₂)·${g}²${t.weightDecay === 0 ? `   (${step})` : ''}`,
    ]);
    out.push([
      'line',
      `m = ${num(t.beta1)} · ${term(t.firstBefore ?? 0, 4)} + ${num(1 - t.beta1)} · ${term(t.gradient, 4)} = ${num(t.firstAfter, 4)}`,
    ]);
    out.push([
      'line',
      `v = ${num(t.beta2)} · ${num(t.secondBefore ?? 0, 4)} + ${num(1 - t.beta2)} · ${term(t.gradient, 4)}² = ${num(t.secondAfter, 4)}`,
    ]);
    out.push(['head', `Bias correction: m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ), t = ${t.step}`]);
    out.push([
      'line',
      `m̂ = ${num(t.firstAfter, 4)} / ${num(1 - t.beta1 ** t.step, 4)} = ${num(t.firstCorrected, 4)};  v̂ = ${num(t.secondAfter, 4)} / ${num(1 - t.beta2 ** t.step, 4)} = ${num(t.secondCorrected, 4)}`,
    ]);
    out.push(['head', 'θ ← θ − γ · m̂ / (√v̂ + ε)']);
    out.push([
      'line',
      `${num(t.after, 5)} ← ${num(t.before, 5)} − ${num(t.learningRate)} · ${term(t.firstCorrected ?? 0, 4)} / (${num(Math.sqrt(t.secondCorrected ?? 0), 4)} + ${num(t.epsilon)})`,
    ]);
  } else if (t.momentum === 0) {
    out.push(['head', `θ ← θ − γ · ${g}${t.weightDecay === 0 ? `   (${step})` : ''}`]);
    out.push(['line', `${num(t.after, 5)} ← ${num(t.before, 5)} − ${num(t.learningRate)} · ${term(t.gradient, 4)}`]);
  } else {
    out.push(['head', `Velocity: v ← μ · v + ${g}${t.weightDecay === 0 ? `   (${step})` : ''}`]);
    out.push([
      'line',
      `v = ${num(t.momentum)} · ${term(t.firstBefore ?? 0, 4)} + ${term(t.gradient, 4)} = ${num(t.firstAfter, 4)}`,
    ]);
    if (t.nesterov) {
      out.push(['head', `Nesterov: θ ← θ − γ · (${g} + μ · v)`]);
      out.push([
        'line',
        `${num(t.after, 5)} ← ${num(t.before, 5)} − ${num(t.learningRate)} · (${gv} + ${num(t.momentum)} · ${term(t.firstAfter ?? 0, 4)})`,
      ]);
    } else {
      out.push(['head', 'θ ← θ − γ · v']);
      out.push(['line', `${num(t.after, 5)} ← ${num(t.before, 5)} − ${num(t.learningRate)} · ${term(t.firstAfter ?? 0, 4)}`]);
    }
  }
  out.push([
    'line',
    `= ${num(t.before, 5)} + ${term(-t.learningRate * t.direction, 4)} = ${num(t.predictedAfter, 5)}: the θ applied.`,
  ]);
  return out;
}

/** One sentence on how this optimizer's step differs from −γ·G. */
export function noteFor(t: UpdateTerms): string {
  const plain = -t.learningRate * t.batchGradient;
  const applied = t.after - t.before;
  if (t.optimizer === 'sgd' && t.momentum === 0 && t.weightDecay === 0) {
    return `Plain SGD: the update applied, ${num(applied, 4)}, is exactly −γ times the mean G.`;
  }
  const why =
    t.optimizer === 'adam'
      ? 'Adam divides its running mean of gradients by their running root mean square, so each weight gets its own step size'
      : "momentum adds up past batches' gradients, so the step follows their running sum, not this batch alone";
  const sameSign = Math.sign(applied) === Math.sign(plain) || plain === 0;
  return `${optimizerName(t)}: the update applied was ${num(applied, 4)}, where −γ·G alone would be ${num(plain, 4)}${sameSign ? '' : ' (the opposite direction)'}: ${why}.`;
}
