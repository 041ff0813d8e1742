// Step In: one Call Stack frame per example of the batch, each with that example's own forward and
// backward pass: a one-example run at the weights the batch is at, stopped before its update (the
// way Step Through Batch replays a batch), so gᵢ = ∇Lᵢ is what back-propagation computes for it
// alone. A pass is run when a frame is first inspected and a few are kept.

import { Trainer, type NamedTensor } from '../engine/trainer';
import { referenceBackend } from '../engine/reference';
import { subset } from '../engine/walkthrough';
import type { ModelSpec } from '../model/spec';
import type { Dataset } from '../data/dataset';
import { record } from './record';
import { norm2 } from './frame';
import { tensor, type RecordValue, type Scope, type Value } from './expr';

/** Own passes kept at once (each holds one example's activations and gradients of every layer). */
const KEPT = 8;

/** One example's own forward and backward pass, stopped before the update. */
export class OwnPass {
  readonly trainer: Trainer;
  readonly loss: number;
  readonly prediction: number;
  private readonly dtype: ModelSpec['dtype'];

  constructor(spec: ModelSpec, train: Dataset, weights: NamedTensor[], index: number) {
    this.dtype = spec.dtype;
    const one: ModelSpec = { ...spec, batchSize: 1, epochs: 1, data: { ...spec.data, validationSplit: 0 } };
    this.trainer = new Trainer({
      spec: one,
      train: subset(train, [index]),
      validation: null,
      backend: referenceBackend(spec.dtype),
    });
    this.trainer.setWeights(weights);
    const phases = this.trainer.stepPhases();
    for (let p = phases.next(); !p.done && p.value.kind !== 'before-update'; p = phases.next());
    const out = this.trainer.currentOutputs()!;
    this.loss = out.loss;
    this.prediction = out.predictions[0];
  }

  /** layers[L] as this example alone sees it: its activation and its own gradient. */
  layer(L: number): RecordValue {
    const t = this.trainer,
      info = t.layers[L],
      d = this.dtype;
    const fields: [string, () => Value | undefined][] = [['activation', () => tensor(info.outputShape, t.activation(L), d)]];
    if (info.params.length) {
      const [w, b] = info.params;
      fields.push(
        ['grad', () => tensor(w.shape, t.gradient(L, 'weight'), d)],
        ['gradBias', () => tensor(b.shape, t.gradient(L, 'bias'), d)],
        ['gradNorm', () => norm2(t.gradient(L, 'weight'), t.gradient(L, 'bias'))],
      );
    }
    return record(`layers[${L}]`, fields);
  }

  /** ‖gᵢ‖ over every parameter. */
  gradNorm(): number {
    const t = this.trainer;
    return Math.hypot(
      ...t.layers.filter((l) => l.params.length).map((l) => norm2(t.gradient(l.index, 'weight'), t.gradient(l.index, 'bias'))),
    );
  }
}

/** The batch's examples at the weights of the step in progress, their own passes made on demand. */
export class BatchExamples {
  private readonly passes = new Map<number, OwnPass>();

  constructor(
    private readonly spec: ModelSpec,
    private readonly train: Dataset,
    private readonly weights: NamedTensor[],
    readonly indices: number[],
  ) {}

  own(i: number): OwnPass {
    let p = this.passes.get(i);
    if (!p) {
      p = new OwnPass(this.spec, this.train, this.weights, this.indices[i]);
      if (this.passes.size >= KEPT) this.passes.delete(this.passes.keys().next().value!);
      this.passes.set(i, p);
    }
    return p;
  }

  /** Example i of the batch as a record (the Variables of its frame). */
  record(i: number, layer: number): RecordValue {
    const p = this.own(i);
    const t = p.trainer;
    return record(`example ${i}`, [
      ['example', () => i],
      ['index', () => this.indices[i]],
      ['label', () => this.train.y[this.indices[i]]],
      ['prediction', () => p.prediction],
      ['loss', () => p.loss],
      ['gradNorm', () => p.gradNorm()],
      [`layers[${layer}]`, () => p.layer(layer)],
      ['layers', () => ({ kind: 'list', label: 'layers', length: t.layers.length, at: (L: number) => p.layer(L) }) as Value],
    ]);
  }

  /**
   * The names an expression sees in example i's frame: the example's own values first (`loss`,
   * `gradNorm`, `g` and `a` of the layer, `layers`), everything else as at the batch's stop.
   */
  scope(i: number, layer: number, batch: Scope): Scope {
    const own = this.record(i, layer);
    const p = this.own(i);
    const names: Record<string, () => Value | undefined> = {
      example: () => i,
      loss: () => p.loss,
      gradNorm: () => p.gradNorm(),
      g: () => p.layer(layer).get('grad'),
      gb: () => p.layer(layer).get('gradBias'),
      a: () => p.layer(layer).get('activation'),
      layers: () => own.get('layers'),
      prediction: () => p.prediction,
      label: () => this.train.y[this.indices[i]],
    };
    return {
      names: () => [...new Set([...Object.keys(names), ...batch.names()])],
      get: (n) => (n in names ? names[n]() : batch.get(n)),
    };
  }
}
