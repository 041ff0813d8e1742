// A model's parameters as named plain tensors (what Save Weights writes and Load Weights reads),
// and loading them back: every name, shape and value is checked before anything is replaced.

import type { ParamTensor } from './layers/layer';

export interface NamedTensor {
  name: string;
  layer: number;
  kind: 'weight' | 'bias';
  shape: number[];
  value: number[];
}

export function namedTensors(tensors: readonly ParamTensor[]): NamedTensor[] {
  return tensors.map((tensor) => ({
    name: tensor.info.name,
    layer: tensor.info.layer,
    kind: tensor.info.kind,
    shape: tensor.info.shape.slice(),
    value: Array.from(tensor.value),
  }));
}

/** Replaces the values of every tensor, or throws (changing nothing) when the weights do not fit. */
export function loadNamedTensors(tensors: readonly ParamTensor[], weights: NamedTensor[]): void {
  const byName = new Map(weights.map((w) => [w.name, w]));
  for (const w of weights) {
    if (!tensors.some((t) => t.info.name === w.name)) {
      throw new Error(
        `the weights contain "${w.name}", which this model does not have (its parameters are ${tensors.map((t) => t.info.name).join(', ')})`,
      );
    }
  }
  for (const tensor of tensors) {
    const w = byName.get(tensor.info.name);
    if (!w) throw new Error(`the weights have no "${tensor.info.name}" (shape [${tensor.info.shape.join(', ')}])`);
    if (!Array.isArray(w.shape) || w.shape.join(',') !== tensor.info.shape.join(',')) {
      throw new Error(
        `"${w.name}" has shape [${Array.isArray(w.shape) ? w.shape.join(', ') : ''}] but the model needs [${tensor.info.shape.join(', ')}]`,
      );
    }
    if (!Array.isArray(w.value) || w.value.length !== tensor.size) {
      throw new Error(
        `"${w.name}" has ${Array.isArray(w.value) ? w.value.length : 0} values but its shape [${tensor.info.shape.join(', ')}] needs ${tensor.size}`,
      );
    }
    const bad = w.value.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
    if (bad >= 0) throw new Error(`"${w.name}" value[${bad}] is not a finite number`);
  }
  for (const tensor of tensors) tensor.value.set(byName.get(tensor.info.name)!.value);
}
