// Data-parallel ranks of the latest PyTorch step: per layer, each rank's local gradient G_r beside
// the gradient G every rank stepped with, the all-reduce and the optimizer's update written with
// this step's numbers, and, when the ranks' batches differ, the mean-of-means pitfall with its numbers.
//   applied (the run's weighted all-reduce):  G = Σ_r (M_r/M)·G_r = (1/M)·Σᵢ gᵢ,  G_r = (1/M_r)·Σ_{i∈r} gᵢ
//   DDP's default all-reduce:                 (1/R)·Σ_r G_r   (the same G iff all M_r are equal)
// Since G = Σ_r (M_r/M)·G_r, ‖G‖ = Σ_r (M_r/M)·‖G_r‖·cos(G_r, G): the card writes that sum out with
// the ranks' own numbers, so the weighting shown is checked by the numbers the ranks reported.
// Hidden unless the snapshot holds a data-parallel step (only PyTorch runs send one).

import type { RanksStep, ReadonlySnapshot, DeepReadonly } from '../src/protocol';
import type { OptimizerSpec } from '../src/model/spec';
import { el } from './dom';
import { card } from './cards';
import { num, pct } from './format';

const SUB = '₀₁₂₃₄₅₆₇₈₉';
const sub = (n: number): string => [...String(n)].map((d) => SUB[Number(d)] ?? d).join('');

export class RanksView {
  readonly root: HTMLElement;
  private readonly body: HTMLElement;
  /** The step drawn, for the `rendered` summary (null while the card is hidden). */
  shown: DeepReadonly<RanksStep> | null = null;

  constructor() {
    this.body = el('div', { class: 'ranks-body' });
    this.root = card('ranks', this.body);
  }

  update(s: ReadonlySnapshot): void {
    const step = s.ranks ?? null;
    this.root.hidden = !step || step.ranks.length === 0;
    if (!step || step.ranks.length === 0) {
      if (this.shown) this.body.replaceChildren();
      this.shown = null;
      return;
    }
    if (this.shown === step) return;
    this.shown = step;
    const labels = new Map((s.run?.layers ?? []).map((l) => [l.index, `layers[${l.index}] ${l.label}`]));
    const label = (layer: number): string => labels.get(layer) ?? `layers[${layer}]`;
    this.body.replaceChildren(
      formula(step, s.run?.spec.optimizer ?? null, label),
      ...step.mean.map((m) => layerBars(step, m.layer, m.gradNorm, label(m.layer))),
      pitfall(step, label, s.run ? { trainSize: s.run.trainSize, batchSize: s.run.spec.batchSize } : null),
    );
  }
}

/** The all-reduce, the update and the per-layer check, with this step's numbers. */
function formula(step: DeepReadonly<RanksStep>, opt: OptimizerSpec | null, label: (layer: number) => string): HTMLElement {
  const m = step.batchSize,
    r = step.ranks.length;
  const sizes = step.ranks.map((k) => k.batchSize);
  const weighted = step.ranks.map((k) => `${k.batchSize}/${m}·G${sub(k.rank)}`).join(' + ');
  const lines: [string, string][] = [
    ['head', `Step ${step.step}: M = ${m} = ${sizes.join(' + ')} examples over R = ${r} ranks; the all-reduce gives`],
    ['line', `G = Σ_r (M_r/M)·G_r = ${weighted} = (1/${m})·Σᵢ gᵢ`],
    ['head', `then every rank applies the same update (${opt ? optimizerWords(opt) : 'the optimizer'}):`],
    ['line', updateLine(opt, step.learningRate)],
    ['head', '‖G‖ = Σ_r (M_r/M)·‖G_r‖·cos(G_r, G), with the ranks’ numbers:'],
  ];
  for (const mean of step.mean) {
    const terms = step.ranks.map((k) => {
      const l = k.layers.find((x) => x.layer === mean.layer);
      return {
        text: `${k.batchSize}/${m}·${num(l?.gradNorm, 4)}·${num(l?.cosineToMean, 4)}`,
        value: l ? (k.batchSize / m) * l.gradNorm * l.cosineToMean : NaN,
      };
    });
    const total = terms.reduce((a, t) => a + t.value, 0);
    lines.push([
      'line',
      `${label(mean.layer)}: ${terms.map((t) => t.text).join(' + ')} = ${num(total, 4)}   (‖G‖ = ${num(mean.gradNorm, 4)})`,
    ]);
  }
  return el(
    'div',
    { class: 'formula', role: 'group', 'aria-label': 'The all-reduce and the update with this step’s numbers' },
    ...lines.map(([kind, text]) => el('div', { class: kind === 'head' ? 'formula-head' : 'formula-line', text })),
  );
}

function optimizerWords(o: OptimizerSpec): string {
  const wd = o.weightDecay ? `, weight decay ${num(o.weightDecay)} on the weights` : '';
  if (o.type === 'adam') return `Adam, β₁ = ${num(o.beta1)}, β₂ = ${num(o.beta2)}${wd}`;
  if (!o.momentum) return `plain SGD${wd}`;
  return `SGD with ${o.nesterov ? 'Nesterov ' : ''}momentum μ = ${num(o.momentum)}${wd}`;
}

/** The optimizer's update from G, as the engine and the ranks apply it (weight decay: g = G + wd·θ). */
function updateLine(o: OptimizerSpec | null, lr: number): string {
  const g = o?.weightDecay ? '(G + wd·θ)' : 'G';
  const gamma = num(lr);
  if (!o || (o.type === 'sgd' && !o.momentum)) return `θ ← θ − γ·${g} = θ − ${gamma}·${g}`;
  if (o.type === 'adam') return `m ← β₁·m + (1−β₁)·${g};  v ← β₂·v + (1−β₂)·${g}²;  θ ← θ − ${gamma}·m̂/(√v̂ + ε)`;
  const mu = num(o.momentum);
  return o.nesterov ? `v ← ${mu}·v + ${g};  θ ← θ − ${gamma}·(${g} + ${mu}·v)` : `v ← ${mu}·v + ${g};  θ ← θ − ${gamma}·v`;
}

/** One layer: the bar of ‖G‖ and, under it, each rank's ‖G_r‖ with its cosine to G. */
function layerBars(step: DeepReadonly<RanksStep>, layer: number, meanNorm: number, title: string): HTMLElement {
  const rows = step.ranks.map((k) => {
    const l = k.layers.find((x) => x.layer === layer);
    return {
      name: `rank ${k.rank} · M${sub(k.rank)} = ${k.batchSize}`,
      norm: l?.gradNorm ?? NaN,
      extra: `cos ${num(l?.cosineToMean, 2)}${k.loss === null ? '' : ` · loss ${num(k.loss)}`}`,
    };
  });
  const top = Math.max(meanNorm, ...rows.map((x) => x.norm).filter(Number.isFinite)) || 1;
  const bar = (name: string, v: number, extra: string, cls: string): HTMLElement => {
    const fill = el('span', { class: `rank-bar-fill ${cls}` });
    fill.style.width = `${Number.isFinite(v) ? Math.max(0, Math.min(100, (v / top) * 100)) : 0}%`;
    return el(
      'div',
      { class: 'rank-row', role: 'listitem', 'aria-label': `${name}: ‖G‖ ${num(v)}${extra ? `, ${extra}` : ''}` },
      el('span', { class: 'rank-name', text: name }),
      el('span', { class: 'rank-bar', 'aria-hidden': 'true' }, fill),
      el('span', { class: 'rank-value', text: `${num(v)}${extra ? `  ${extra}` : ''}` }),
    );
  };
  return el(
    'div',
    { class: 'rank-layer', role: 'list', 'aria-label': `${title}: ‖G‖ and each rank’s ‖G_r‖` },
    el('h3', { text: title }),
    bar('all-reduced G', meanNorm, '', 'mean'),
    ...rows.map((x) => bar(x.name, x.norm, x.extra, 'local')),
  );
}

/** Why the weighting matters, with this step's numbers (and this run's, when the step split evenly). */
function pitfall(
  step: DeepReadonly<RanksStep>,
  label: (layer: number) => string,
  run: { trainSize: number; batchSize: number } | null,
): HTMLElement {
  const m = step.batchSize,
    r = step.ranks.length;
  const sizes = step.ranks.map((k) => k.batchSize);
  const equal = sizes.every((x) => x === sizes[0]);
  if (equal) {
    let here = '';
    if (run && run.batchSize > 0) {
      const last = run.trainSize % run.batchSize;
      const full = Math.floor(run.trainSize / run.batchSize);
      here =
        last === 0
          ? ` In this run they never do: its ${run.trainSize} examples are ${full} batches of ${run.batchSize}.`
          : ` In this run the last batch of each epoch holds ${run.trainSize} − ${full}·${run.batchSize} = ${last} examples${last % r === 0 ? ', which still splits evenly.' : `, which does not split evenly over ${r} ranks: there this card shows the difference.`}`;
    }
    return el('p', {
      class: 'note pitfall',
      text:
        `With equal rank batches (${sizes.join(' + ')}), M_r/M = 1/R = 1/${r}, so DDP's default all-reduce, the mean of the rank means (1/R)·Σ_r G_r, ` +
        `is this same G: every example counts 1/${m}. The two differ when the ranks' batches differ (M not a multiple of R, such as a smaller last batch).${here}`,
    });
  }
  const distinct = [...new Set(sizes)];
  const perExample = distinct.map((x) => `1/(${r}·${x}) = ${num(1 / (r * x), 4)} on a rank with ${x}`).join(', ');
  const per = (step.meanOfMeans ?? []).map((x) => {
    const g = step.mean.find((l) => l.layer === x.layer)?.gradNorm;
    return `${label(x.layer)}: ‖(1/R)·Σ_r G_r‖ = ${num(x.gradNorm, 4)} against ‖G‖ = ${num(g, 4)}, off by ${pct(x.relativeDifference)} of ‖G‖`;
  });
  return el(
    'div',
    { class: 'note pitfall', role: 'note' },
    el('p', {
      text:
        `The mean-of-means pitfall: this step's ${m} examples split ${sizes.join(' + ')}. DDP's default divides the all-reduced sum by R = ${r}, ` +
        `(1/R)·Σ_r G_r, which weights each example ${perExample} instead of 1/${m} = ${num(1 / m, 4)}: not the mean over the batch.`,
    }),
    ...(per.length
      ? [el('p', { text: `On this step it would have stepped with a different gradient: ${per.join('; ')}.` })]
      : []),
    el('p', { text: `This run all-reduces (M_r/M)·G_r instead, so every example counts 1/${m}.` }),
  );
}
