// Data-parallel ranks of one PyTorch step: per layer, each rank's local gradient G_r beside the
// global mean G that every rank stepped with, the update formula with this step's numbers, and,
// when the ranks' batches differ, the mean-of-means pitfall with this step's numbers.
//   applied:      θ ← θ − γ·Σ_r (M_r/M)·G_r = θ − γ·(1/M)·Σᵢ gᵢ   (G_r = (1/M_r)·Σ_{i∈r} gᵢ)
//   DDP default:  θ ← θ − γ·(1/R)·Σ_r G_r                          (equal to the above iff all M_r are equal)
// Needs from the snapshot: the latest PyTorch step record (its `ranks`, `layers`, `batchSize`,
// `learningRate`, `meanOfMeans`) and the layer labels.

import type { TorchStepRecord } from '../src/torch/types';
import { el, section } from './dom';
import { num } from './format';

export class RanksView {
  readonly root: HTMLElement;
  private readonly body: HTMLElement;

  constructor() {
    this.body = el('div');
    this.root = section('ranks', 'Data-parallel ranks', this.body);
    this.root.hidden = true;
  }

  update(record: TorchStepRecord | null | undefined, labels: Map<number, string> = new Map()): void {
    const ranks = record?.ranks;
    this.root.hidden = !record || !ranks || ranks.length === 0;
    if (!record || !ranks || ranks.length === 0) return;
    const m = record.batchSize,
      r = ranks.length;
    const sizes = ranks.map((k) => k.batchSize);
    const equal = sizes.every((s) => s === sizes[0]);
    const weighted = ranks.map((k) => `${k.batchSize}/${m}·G_${k.rank}`).join(' + ');
    const formula = el(
      'p',
      { class: 'formula' },
      `θ ← θ − γ·Σ_r (M_r/M)·G_r = θ − ${num(record.learningRate)}·(${weighted}) = θ − γ·(1/${m})·Σᵢ gᵢ`,
    );
    const explain = el('p', {
      class: 'note',
      text: equal
        ? `Step ${record.step}: M = ${m} = ${sizes.join(' + ')}. With equal rank batches this is also DDP's default, θ − γ·(1/R)·Σ_r (1/M_r)·Σᵢ g_{r,i}: the mean of the ${r} rank means is the mean over all ${m} examples.`
        : `Step ${record.step}: M = ${m} = ${sizes.join(' + ')}. Each rank's G_r is weighted by M_r/M, so every example counts 1/${m}.`,
    });
    const layers = record.layers.map((layer) => {
      const rows = ranks.map((k) => {
        const l = k.layers.find((x) => x.layer === layer.layer);
        return { name: `rank ${k.rank} (M_r = ${k.batchSize})`, norm: l?.gradNorm ?? NaN, cos: l?.cosineToMean ?? NaN };
      });
      const top = Math.max(layer.gradNorm, ...rows.map((x) => x.norm).filter(Number.isFinite)) || 1;
      const bar = (label: string, v: number, extra: string, cls: string): HTMLElement => {
        const fill = el('span', { class: `rank-bar-fill ${cls}` });
        fill.style.width = `${Math.max(0, Math.min(100, (v / top) * 100))}%`;
        return el(
          'div',
          { class: 'rank-row', role: 'listitem', 'aria-label': `${label}: ‖G‖ ${num(v)}${extra}` },
          el('span', { class: 'rank-name', text: label }),
          el('span', { class: 'rank-bar' }, fill),
          el('span', { class: 'num', text: `${num(v)}${extra}` }),
        );
      };
      return el(
        'div',
        { class: 'rank-layer', role: 'list', 'aria-label': labels.get(layer.layer) ?? `layer ${layer.layer}` },
        el('h3', { text: labels.get(layer.layer) ?? `layers[${layer.layer}]` }),
        bar('mean G', layer.gradNorm, '', 'mean'),
        ...rows.map((x) => bar(x.name, x.norm, `  cos ${num(x.cos, 2)}`, 'local')),
      );
    });
    const children: HTMLElement[] = [formula, explain, ...layers];
    if (!equal && record.meanOfMeans) {
      const per = record.meanOfMeans.map(
        (x) =>
          `${labels.get(x.layer) ?? `layers[${x.layer}]`}: ‖·‖ ${num(x.gradNorm)} vs ${num(record.layers.find((l) => l.layer === x.layer)?.gradNorm)}, off by ${x.relativeDifference === null ? '–' : `${(x.relativeDifference * 100).toFixed(1)}%`}`,
      );
      const perExample = sizes.map((s) => `1/(${r}·${s}) = ${num(1 / (r * s))}`).join(', ');
      children.push(
        el('p', {
          class: 'note pitfall',
          text:
            `The mean-of-means pitfall: DDP's default divides the all-reduced sum by R = ${r}, i.e. (1/R)·Σ_r G_r. ` +
            `With ${sizes.join(' and ')} examples that weights each example ${perExample} instead of 1/${m} = ${num(1 / m)}, ` +
            `so it is not the global mean. This step it would have been ${per.join('; ')}. This run all-reduces (M_r/M)·G_r instead.`,
        }),
      );
    }
    this.body.replaceChildren(...children);
  }
}
