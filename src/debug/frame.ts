// What the debugger can read at a stop point, as expression values: the condition scalars
// (step, epoch, loss, gradNorm, …), the stopped layer's tensors, every layer as a record and the
// batch. Only what this stop point has computed for the batch in progress is offered (gradients
// of a layer appear once its backward pass ran); scalars not known yet are NaN, so a condition
// over them is false. The Variables pane and the expression language read the same values.

import type { FloatArray, LayerInfo } from '../engine/types';
import type { DebugRun } from './run';
import { formatNumber, sizeOf, tensor, type Dtype, type ListValue, type RecordValue, type Scope, type Value } from './expr';

/** The names a condition may use, each meaningful at every stop point (NaN where not known yet). */
export const CONDITION_NAMES = [
  'step',
  'epoch',
  'batchSize',
  'loss',
  'gradNorm',
  'weightNorm',
  'updateRatio',
  'deadFraction',
  'nonFinite',
  'noiseScale',
  'example',
  'layer',
  'lr',
] as const;

/** Tensor names of the stopped layer and the batch, for conditions and the Debug Console. */
export const TENSOR_NAMES = [
  'W',
  'b',
  'G',
  'Gb',
  'g',
  'gb',
  'a',
  'update',
  'inputs',
  'labels',
  'predictions',
  'losses',
  'layers',
] as const;

export const KNOWN_NAMES: readonly string[] = [...CONDITION_NAMES, ...TENSOR_NAMES];

export class StopView implements Scope {
  private readonly cache = new Map<string, Value | undefined>();

  constructor(private readonly run: DebugRun) {}

  private get t() {
    return this.run.trainer;
  }
  private get at() {
    return this.run.at;
  }
  private get dtype(): Dtype {
    return this.run.loaded.spec.dtype;
  }

  names(): string[] {
    return KNOWN_NAMES.filter((n) => this.get(n) !== undefined);
  }

  get(name: string): Value | undefined {
    if (!this.cache.has(name)) this.cache.set(name, this.compute(name));
    return this.cache.get(name);
  }

  /** The stopped layer, or null at a stop point that is not a layer's. */
  get layer(): number | null {
    return this.at?.layer ?? null;
  }

  forwardDone(): boolean {
    return this.at !== null && this.at.kind !== 'batch-start';
  }

  /** Whether the gradients of layer L belong to the batch in progress. */
  gradientReady(L: number): boolean {
    const at = this.at;
    if (!at) return this.t.step > 0;
    if (at.kind === 'layer-backward') return L >= at.layer!;
    return at.kind === 'before-update' || at.kind === 'after-update';
  }

  /** Batch size of the step in progress. */
  get m(): number {
    return this.t.currentBatch().length;
  }

  private compute(name: string): Value | undefined {
    const at = this.at,
      t = this.t,
      ex = this.run.example;
    const L = this.layer;
    const pending = t.pendingStats();
    const out = this.forwardDone() ? t.currentOutputs() : null;
    switch (name) {
      case 'step':
        return at?.step ?? t.step;
      case 'epoch':
        return at?.epoch ?? t.epoch;
      case 'batchSize':
        return this.m;
      case 'lr':
        return t.learningRate;
      case 'layer':
        return L ?? NaN;
      case 'example':
        return ex ? ex.i : NaN;
      case 'loss':
        return ex ? ex.replay.examples[ex.i].loss : out ? out.loss : NaN;
      case 'gradNorm': {
        if (ex) return Math.hypot(...ex.replay.examples[ex.i].layerNorms.map((n) => n.norm));
        if (L !== null) return this.hasParams(L) ? this.layerGradNorm(L) : NaN;
        return pending ? Math.hypot(...pending.layers.map((s) => s.gradNorm)) : NaN;
      }
      case 'weightNorm': {
        if (L !== null) return this.hasParams(L) ? norm2(t.parameter(L, 'weight'), t.parameter(L, 'bias')) : NaN;
        return Math.hypot(...this.paramLayers().map((i) => norm2(t.parameter(i, 'weight'), t.parameter(i, 'bias'))));
      }
      case 'updateRatio': {
        const stats = at?.kind === 'after-update' ? pending?.layers : this.run.lastStats?.layers;
        if (!stats) return NaN;
        if (L !== null) return stats.find((s) => s.layer === L)?.updateRatio ?? NaN;
        const num = Math.hypot(...stats.map((s) => s.updateRatio * s.weightNorm)),
          den = Math.hypot(...stats.map((s) => s.weightNorm));
        return num / den;
      }
      case 'deadFraction': {
        if (L !== null) return this.deadFraction(L) ?? NaN;
        const all = this.paramLayers()
          .map((i) => this.deadFraction(i))
          .filter((v): v is number => v !== null);
        return all.length ? Math.max(...all) : NaN;
      }
      case 'noiseScale':
        return pending?.noiseScale ?? NaN;
      case 'nonFinite':
        return this.nonFinite() !== null;
      case 'W':
      case 'b':
      case 'G':
      case 'Gb':
      case 'g':
      case 'gb':
      case 'update': {
        if (L === null || !this.hasParams(L)) return undefined;
        return this.layerRecord(L).get(LAYER_ALIAS[name]) ?? undefined;
      }
      case 'a':
        return L === null ? undefined : this.layerRecord(L).get('activation');
      case 'inputs':
        return this.forwardOrStart()
          ? tensor(
              [this.m, ...this.run.loaded.train.inputShape],
              t.batchInput().subarray(0, this.m * sizeOf(this.run.loaded.train.inputShape)),
              this.dtype,
            )
          : undefined;
      case 'labels':
        return at
          ? tensor(
              [this.m],
              Int32Array.from(this.run.loaded.train.y.length ? t.currentBatch().map((k) => this.run.loaded.train.y[k]) : []),
              'int32',
            )
          : undefined;
      case 'predictions':
        return out ? tensor([out.predictions.length], Int32Array.from(out.predictions), 'int32') : undefined;
      case 'losses':
        return out ? tensor([out.perExampleLoss.length], Float64Array.from(out.perExampleLoss), 'float64') : undefined;
      case 'layers':
        return this.layersList();
      default:
        return undefined;
    }
  }

  private forwardOrStart(): boolean {
    return this.at !== null;
  }

  /** The first non-finite value this stop point has seen, as a sentence, or null. */
  nonFinite(): string | null {
    const at = this.at,
      t = this.t;
    if (!at || at.kind === 'batch-start') return null;
    const pending = t.pendingStats();
    if (pending?.nonFinite) return pending.nonFinite.message;
    const out = t.currentOutputs();
    if (out) {
      const bad = out.perExampleLoss.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) return `the loss of example ${bad} of the batch is ${out.perExampleLoss[bad]}`;
    }
    for (const L of this.paramLayers()) {
      if (!this.gradientReady(L)) continue;
      for (const kind of ['weight', 'bias'] as const) {
        const g = t.gradient(L, kind);
        for (let i = 0; i < g.length; i++) if (!Number.isFinite(g[i])) return `layers[${L}].${kind} gradient [${i}] is ${g[i]}`;
      }
    }
    return null;
  }

  hasParams(L: number): boolean {
    return (this.info(L)?.params.length ?? 0) > 0;
  }

  info(L: number): LayerInfo | undefined {
    return this.t.layers[L];
  }

  paramLayers(): number[] {
    return this.t.layers.filter((l) => l.params.length > 0).map((l) => l.index);
  }

  layerGradNorm(L: number): number {
    return norm2(this.t.gradient(L, 'weight'), this.t.gradient(L, 'bias'));
  }

  /** Fraction of units (channels for conv) zero for every example of the batch; null without a ReLU. */
  deadFraction(L: number): number | null {
    if (!this.forwardDone()) return null;
    const spec = this.run.loaded.spec.layers;
    const own = spec[L] as { activation?: string };
    const source = own.activation === 'relu' ? L : own.activation === 'linear' && spec[L + 1]?.type === 'relu' ? L + 1 : -1;
    if (source < 0) return null;
    const shape = this.t.layers[source].outputShape;
    const units = shape[0],
      per = sizeOf(shape) / units,
      size = sizeOf(shape);
    const act = this.t.activation(source),
      m = act.length / size;
    let dead = 0;
    for (let c = 0; c < units; c++) {
      let alive = false;
      for (let i = 0; i < m && !alive; i++) {
        const base = i * size + c * per;
        for (let p = 0; p < per; p++)
          if (act[base + p] !== 0) {
            alive = true;
            break;
          }
      }
      if (!alive) dead++;
    }
    return dead / units;
  }

  layerRecord(L: number): RecordValue {
    const key = `layer:${L}`;
    const cached = this.cache.get(key);
    if (cached) return cached as RecordValue;
    const info = this.info(L)!;
    const t = this.t,
      dtype = this.dtype;
    const fields = new Map<string, () => Value | undefined>();
    const ready = (): boolean => this.gradientReady(L);
    if (info.params.length) {
      const [w, b] = info.params;
      fields.set('weight', () => tensor(w.shape, t.parameter(L, 'weight'), dtype));
      fields.set('bias', () => tensor(b.shape, t.parameter(L, 'bias'), dtype));
      fields.set('grad', () => (ready() ? tensor(w.shape, t.gradient(L, 'weight'), dtype) : undefined));
      fields.set('gradBias', () => (ready() ? tensor(b.shape, t.gradient(L, 'bias'), dtype) : undefined));
      fields.set('perExample', () =>
        ready() ? tensor([this.m, ...w.shape], t.perExampleGradients(L, 'weight'), dtype) : undefined,
      );
      fields.set('perExampleBias', () =>
        ready() ? tensor([this.m, ...b.shape], t.perExampleGradients(L, 'bias'), dtype) : undefined,
      );
      fields.set('update', () => (t.step > 0 ? tensor(w.shape, t.lastUpdate(L, 'weight'), dtype) : undefined));
      fields.set('updateBias', () => (t.step > 0 ? tensor(b.shape, t.lastUpdate(L, 'bias'), dtype) : undefined));
      const state = t.optimizerState(L, 'weight');
      const opt = this.run.loaded.spec.optimizer;
      if (state.first.length) fields.set(opt.type === 'adam' ? 'adamM' : 'momentum', () => tensor(w.shape, state.first, dtype));
      if (state.second) fields.set('adamV', () => tensor(w.shape, state.second as FloatArray, dtype));
      fields.set('gradNorm', () => (ready() ? this.layerGradNorm(L) : NaN));
      fields.set('weightNorm', () => norm2(t.parameter(L, 'weight'), t.parameter(L, 'bias')));
    }
    fields.set('activation', () =>
      this.forwardDone() ? tensor([this.m, ...info.outputShape], t.activation(L), dtype) : undefined,
    );
    const dead = (): number | undefined => this.deadFraction(L) ?? undefined;
    if (info.params.length) fields.set('deadFraction', dead);
    const memo = new Map<string, Value | undefined>();
    const record: RecordValue = {
      kind: 'record',
      label: `layers[${L}]`,
      names: () => [...fields.keys()].filter((n) => record.get(n) !== undefined),
      get: (n) => {
        if (!memo.has(n)) memo.set(n, fields.get(n)?.());
        return memo.get(n);
      },
      summary: () => {
        const parts = [`layers[${L}] ${info.label}`];
        if (info.params.length) {
          parts.push(ready() ? `‖G‖ ${formatNumber(this.layerGradNorm(L))}` : '‖G‖ not computed yet for this batch');
          parts.push(`‖θ‖ ${formatNumber(norm2(t.parameter(L, 'weight'), t.parameter(L, 'bias')))}`);
          const d = this.deadFraction(L);
          if (d !== null) parts.push(`dead ${formatNumber(d)}`);
        }
        return parts.join('  ');
      },
    };
    this.cache.set(key, record);
    return record;
  }

  private layersList(): ListValue {
    return { kind: 'list', label: 'layers', length: this.t.layers.length, at: (i) => this.layerRecord(i) };
  }
}

/** What names of a layer record mean as the short top-level names of the stopped layer. */
const LAYER_ALIAS: Record<string, string> = {
  W: 'weight',
  b: 'bias',
  G: 'grad',
  Gb: 'gradBias',
  g: 'perExample',
  gb: 'perExampleBias',
  update: 'update',
};

/** ‖(a, b)‖: the norm of a parameter's weights and bias together. */
export function norm2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  for (let i = 0; i < b.length; i++) s += b[i] * b[i];
  return Math.sqrt(s);
}
