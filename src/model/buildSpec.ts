// The model's values (checked against fields.ts) → the typed ModelSpec with defaults filled in.
// Shared by both ways through a file: the tree walk (readTree.ts), which words every problem, and
// the quick check (quickParse.ts), which only says whether there is one.

import type { LayerSpec, ModelSpec, OptimizerSpec } from './spec';
import { DATA_DEF, OPTIMIZER_DEF, ROOT_DEF, type FieldDef, type FieldKind, type LAYER_DEFS, type ObjectDef } from './fields';

export type Values = Record<string, unknown>;

const fieldIndex = new WeakMap<ObjectDef, Map<string, FieldDef>>();

/** The fields of an object by name (looked up once per property; files can hold thousands of layers). */
export function fieldsByName(def: ObjectDef): Map<string, FieldDef> {
  let m = fieldIndex.get(def);
  if (!m) {
    m = new Map(def.fields.map((f) => [f.name, f]));
    fieldIndex.set(def, m);
  }
  return m;
}

/** Whether a scalar value (as JSON gives it) fits its field; objects and arrays never do. */
export function fits(t: FieldKind, v: unknown): boolean {
  switch (t.kind) {
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'enum':
      return typeof v === 'string' && t.values.includes(v);
    case 'number':
      return (
        typeof v === 'number' &&
        Number.isFinite(v) &&
        (!t.integer || Number.isInteger(v)) &&
        (t.min === undefined || (t.exclusiveMin ? v > t.min : v >= t.min)) &&
        (t.max === undefined || (t.exclusiveMax ? v < t.max : v <= t.max))
      );
    default:
      return false;
  }
}

export function layerSpec(type: keyof typeof LAYER_DEFS, v: Values): LayerSpec {
  switch (type) {
    case 'dense':
      return { type, units: v.units as number, activation: (v.activation ?? 'linear') as never };
    case 'conv2d':
      return {
        type,
        filters: v.filters as number,
        kernelSize: v.kernelSize as number,
        stride: (v.stride ?? 1) as number,
        padding: (v.padding ?? 'valid') as 'valid' | 'same',
        activation: (v.activation ?? 'linear') as never,
      };
    case 'maxpool2d':
      return { type, poolSize: v.poolSize as number, stride: (v.stride ?? v.poolSize) as number };
    default:
      return { type } as LayerSpec;
  }
}

function withDefaults(def: ObjectDef, v: Values): Values {
  const r: Values = {};
  for (const f of def.fields) if (f.default !== undefined) r[f.name] = f.default;
  return { ...r, ...v };
}

/** An optimizer with every field the file leaves out set to its default (fields.ts): the one place
 *  those defaults become an OptimizerSpec, for model files, benchmarks and tests alike. */
export function optimizerSpec(v: Values | Partial<OptimizerSpec> = {}): OptimizerSpec {
  const opt = withDefaults(OPTIMIZER_DEF, v as Values);
  const type = opt.type as 'sgd' | 'adam';
  return {
    type,
    learningRate: (opt.learningRate ?? (type === 'adam' ? 0.001 : 0.05)) as number,
    momentum: opt.momentum as number,
    nesterov: opt.nesterov as boolean,
    weightDecay: opt.weightDecay as number,
    beta1: opt.beta1 as number,
    beta2: opt.beta2 as number,
    epsilon: opt.epsilon as number,
  };
}

export function buildSpec(v: Values): ModelSpec {
  const root = withDefaults(ROOT_DEF, v);
  const data = withDefaults(DATA_DEF, (v.data ?? {}) as Values);
  return {
    name: (root.name as string | undefined) ?? 'model',
    seed: root.seed as number,
    dtype: root.dtype as 'float32' | 'float64',
    data: {
      source: data.source as string,
      ...(data.labels !== undefined ? { labels: data.labels as string } : {}),
      ...(data.limit !== undefined ? { limit: data.limit as number } : {}),
      validationSplit: data.validationSplit as number,
    },
    layers: root.layers as LayerSpec[],
    loss: root.loss as 'cross-entropy' | 'mse',
    optimizer: optimizerSpec((v.optimizer ?? {}) as Values),
    batchSize: root.batchSize as number,
    epochs: root.epochs as number,
  };
}
