// Engine against PyTorch, from the same start over the same batches: for each parameterised layer
// the largest relative difference, over the steps compared, of each per-step quantity. Relative to
// the engine's value: |torch − engine| / |engine| (0 when both are 0). Pure, for the command and the CLI.

import type { StepStats } from '../engine/types';

export const COMPARED = ['gradNorm', 'weightNorm', 'updateRatio', 'perExampleNorms'] as const;
export type Compared = (typeof COMPARED)[number];

export interface LayerDifference {
  layer: number;
  label: string;
  /** Largest relative difference per quantity, and the step where it occurred. */
  max: Record<Compared, { value: number; step: number }>;
}

export interface EngineTorchComparison {
  steps: number;
  loss: { value: number; step: number };
  layers: LayerDifference[];
  /** The largest relative difference of all. */
  worst: number;
}

export function relativeDifference(torch: number, engine: number): number {
  if (torch === engine) return 0;
  if (!Number.isFinite(torch) || !Number.isFinite(engine)) return Infinity;
  return Math.abs(torch - engine) / Math.max(Math.abs(engine), Number.MIN_VALUE);
}

export function compareRuns(engine: StepStats[], torch: StepStats[], labels: Map<number, string>): EngineTorchComparison {
  const steps = Math.min(engine.length, torch.length);
  const loss = { value: 0, step: 0 };
  const byLayer = new Map<number, LayerDifference>();
  const bump = (slot: { value: number; step: number }, v: number, step: number): void => {
    if (v > slot.value || slot.step === 0) {
      slot.value = Math.max(slot.value, v);
      slot.step = step;
    }
  };
  for (let s = 0; s < steps; s++) {
    const e = engine[s],
      t = torch[s];
    if (e.exampleIndices.join() !== t.exampleIndices.join()) {
      throw new Error(`step ${e.step}: PyTorch trained other examples than the engine; the runs cannot be compared`);
    }
    bump(loss, relativeDifference(t.loss, e.loss), e.step);
    for (const el of e.layers) {
      const tl = t.layers.find((l) => l.layer === el.layer);
      if (!tl) throw new Error(`step ${e.step}: PyTorch reported no layer ${el.layer}`);
      let d = byLayer.get(el.layer);
      if (!d) {
        d = {
          layer: el.layer,
          label: labels.get(el.layer) ?? `layers[${el.layer}]`,
          max: Object.fromEntries(COMPARED.map((k) => [k, { value: 0, step: 0 }])) as LayerDifference['max'],
        };
        byLayer.set(el.layer, d);
      }
      bump(d.max.gradNorm, relativeDifference(tl.gradNorm, el.gradNorm), e.step);
      bump(d.max.weightNorm, relativeDifference(tl.weightNorm, el.weightNorm), e.step);
      bump(d.max.updateRatio, relativeDifference(tl.updateRatio, el.updateRatio), e.step);
      const pe = el.perExampleNorms.reduce((m, v, i) => Math.max(m, relativeDifference(tl.perExampleNorms[i], v)), 0);
      bump(d.max.perExampleNorms, pe, e.step);
    }
  }
  const layers = [...byLayer.values()];
  const worst = Math.max(loss.value, ...layers.flatMap((l) => COMPARED.map((k) => l.max[k].value)));
  return { steps, loss, layers, worst };
}

/** A short report that fits a narrow panel: one line per layer. */
export function formatComparison(c: EngineTorchComparison, ranks: number): string {
  const e = (v: number): string => (v === 0 ? '0' : v.toExponential(1));
  const lines = [
    `Engine vs PyTorch (${ranks} rank${ranks === 1 ? '' : 's'}), ${c.steps} step${c.steps === 1 ? '' : 's'} from the same weights and batches.`,
    `Largest relative difference |torch − engine| / |engine|:`,
    `  loss: ${e(c.loss.value)} (step ${c.loss.step})`,
    ...c.layers.map(
      (l) =>
        `  ${l.label}: ‖G‖ ${e(l.max.gradNorm.value)}, ‖θ‖ ${e(l.max.weightNorm.value)}, update ratio ${e(l.max.updateRatio.value)}, per-example ‖gᵢ‖ ${e(l.max.perExampleNorms.value)}`,
    ),
    c.worst < 1e-4
      ? `They agree to float32 rounding (largest ${e(c.worst)}).`
      : c.worst < 1e-3
        ? `They agree within 1e-3 (largest ${e(c.worst)}): rounding in float32, grown over the steps.`
        : `They differ by up to ${e(c.worst)}: more than float32 rounding explains.`,
  ];
  return lines.join('\n');
}
