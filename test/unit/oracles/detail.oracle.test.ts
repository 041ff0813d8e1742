// What the panel receives for a step (src/session/detail.ts) checked against numbers computed a
// second way: each bar against that example's own float64 backward pass at the weights before
// the step (and against a batch-of-one engine run), the mean against an ordinary batch backward
// pass through a fresh network, the example list against the reference forward pass.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Trainer, referenceBackend } from '../../../src/engine';
import type { ModelSpec } from '../../../src/model/spec';
import type { Dataset } from '../../../src/data/dataset';
import type { NamedTensor, StepStats } from '../../../src/engine';
import type { ParamSelection, StepDetail } from '../../../src/protocol';
import { buildDetail } from '../../../src/session/detail';
import { engineGradient } from './batchOfOne';
import { batchGradients, close, maxRelDiff, meanGradient, mlpSpec, optimizer, separable, type ExampleResult } from './reference';

/** Entries whose per-example values differ most across the batch: a swap or a shift shows there. */
function spreadSelections(ref: ExampleResult[], layers: number[]): ParamSelection[] {
  const out: ParamSelection[] = [];
  for (const layer of layers) {
    for (const kind of ['weight', 'bias'] as const) {
      const n = ref[0].grads.get(`layers[${layer}].${kind}`)!.length;
      let best = 0,
        bestSpread = -1;
      for (let j = 0; j < n; j++) {
        const v = ref.map((e) => e.grads.get(`layers[${layer}].${kind}`)![j]);
        const spread = Math.min(...v.slice(1).map((x, i) => Math.abs(x - v[i]))) + (Math.max(...v) - Math.min(...v));
        if (spread > bestSpread) {
          bestSpread = spread;
          best = j;
        }
      }
      out.push({ layer, kind, index: best });
    }
  }
  return out;
}

const CASES: { name: string; spec: ModelSpec }[] = [
  { name: 'relu + cross-entropy, plain SGD', spec: mlpSpec() },
  {
    name: 'tanh + mse, momentum',
    spec: mlpSpec({
      loss: 'mse',
      layers: [
        { type: 'dense', units: 5, activation: 'tanh' },
        { type: 'dense', units: 3, activation: 'sigmoid' },
      ],
      optimizer: optimizer({ momentum: 0.9 }),
    }),
  },
  {
    name: 'three layers, Adam',
    spec: mlpSpec({
      layers: [
        { type: 'dense', units: 5, activation: 'relu' },
        { type: 'dense', units: 4, activation: 'leaky-relu' },
        { type: 'dense', units: 3, activation: 'linear' },
      ],
      optimizer: optimizer({ type: 'adam', learningRate: 0.01 }),
    }),
  },
];

/**
 * `steps` steps of a run of `spec` on `train`; for each step, the reference at the weights before it
 * and the detail the panel gets, for no selection (null) or for each entry of `layers` whose bars
 * differ most, handed to `check`.
 */
function eachStepDetail(
  spec: ModelSpec,
  train: Dataset,
  steps: number,
  layers: number[] | null,
  check: (c: {
    step: number;
    before: NamedTensor[];
    stats: StepStats;
    ref: ExampleResult[];
    sel: ParamSelection | null;
    detail: StepDetail;
  }) => void,
): void {
  const trainer = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64') });
  for (let step = 1; step <= steps; step++) {
    const before = trainer.getWeights();
    const stats = trainer.trainStep();
    const ref = batchGradients(spec, before, train, stats.exampleIndices);
    for (const sel of layers ? spreadSelections(ref, layers) : [null]) {
      const detail = buildDetail(trainer, stats, spec, train, {
        selection: sel,
        mode: 'grad',
        heatmapMaxCells: 64,
        histograms: [],
      });
      check({ step, before, stats, ref, sel, detail });
    }
  }
}

for (const { name, spec } of CASES) {
  test(`detail bars: each per-example gradient is that example's own float64 backward pass at the pre-step weights (${name})`, () => {
    const train = separable(23, 4, 3, 5);
    eachStepDetail(
      spec,
      train,
      4,
      spec.layers.map((_, i) => i),
      ({ step, before, stats, ref, sel, detail }) => {
        assert.ok(sel && detail.perExample, 'a valid selection has a per-example view');
        const pname = `layers[${sel.layer}].${sel.kind}`;
        const expected = ref.map((e) => e.grads.get(pname)![sel.index]);
        assert.ok(
          new Set(expected).size > 1,
          `step ${step} ${pname}[${sel.index}]: the reference bars differ, so an order error would show`,
        );
        assert.equal(detail.perExample.paramName, `${pname}[${sel.index}]`);
        assert.equal(detail.perExample.perExample.length, stats.exampleIndices.length);
        const err = maxRelDiff(detail.perExample.perExample, expected);
        assert.ok(
          err < 1e-9,
          `step ${step} ${pname}[${sel.index}]: bars ${JSON.stringify(detail.perExample.perExample)} vs reference ${JSON.stringify(expected)} (error ${err})`,
        );
        // A second way through the engine: a batch of one per example, at the same weights.
        stats.exampleIndices.forEach((k, i) => {
          close(
            detail.perExample!.perExample[i],
            engineGradient(spec, train, before, [k], sel),
            1e-9,
            `step ${step} bar ${i} vs batch-of-one`,
          );
        });
      },
    );
  });

  test(`detail mean: equals an ordinary batch backward pass through a fresh network at the pre-step weights (${name})`, () => {
    const train = separable(23, 4, 3, 6);
    eachStepDetail(spec, train, 4, [0, spec.layers.length - 1], ({ step, before, stats, ref, sel, detail }) => {
      const batch = engineGradient(spec, train, before, stats.exampleIndices, sel!);
      close(detail.perExample!.mean, batch, 1e-10, `step ${step} mean vs fresh batch backward`);
      close(
        detail.perExample!.mean,
        meanGradient(ref, `layers[${sel!.layer}].${sel!.kind}`)[sel!.index],
        1e-9,
        `step ${step} mean vs float64 reference`,
      );
    });
  });
}

test('detail examples: loss, label and prediction of each example come from that example, in the batch order', () => {
  const train = separable(21, 4, 3, 8);
  eachStepDetail(mlpSpec({ batchSize: 7 }), train, 3, null, ({ step, stats, ref, detail }) => {
    assert.equal(detail.perExample, null, 'no selection, no per-example view');
    assert.equal(detail.step, step);
    assert.deepEqual(
      detail.examples.map((e) => e.label),
      stats.exampleIndices.map((k) => train.y[k]),
    );
    assert.deepEqual(
      detail.examples.map((e) => e.prediction),
      ref.map((r) => r.prediction),
    );
    detail.examples.forEach((e, i) => close(e.loss, ref[i].loss, 1e-3, `example ${i} loss (4 significant digits)`));
    close(stats.loss, ref.reduce((s, r) => s + r.loss, 0) / ref.length, 1e-12, 'batch loss = mean of the reference losses');
    close(stats.accuracy, ref.filter((r, i) => r.prediction === detail.examples[i].label).length / ref.length, 0, 'accuracy');
  });
});
