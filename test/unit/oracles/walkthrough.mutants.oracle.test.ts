// The step-through's arithmetic (src/engine/walkthrough.ts) against values computed a second way:
// a scalar optimizer written out here from the formulas, its state tracked from step 1, gives the
// terms the recorded update must be explained by (the state before each update, the direction, the
// corrected moments); spreads of per-example gradients summed by hand pick the default weight; and
// the replay's bookkeeping (errors, the image, the subset) against inputs chosen to make each
// branch visible.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  lastUpdateTerms,
  mostVariedWeight,
  subset,
  updateTerms,
  walkThroughBatch,
  weightsBeforeLastStep,
  type LastStepView,
} from '../../../src/engine/walkthrough';
import type { OptimizerSpec } from '../../../src/model/spec';
import type { Dataset } from '../../../src/data/dataset';
import { Trainer, referenceBackend } from '../../../src/engine';
import { countingBackend, dense, makeSpec, optimizer } from '../engine/helpers';

const close = (a: number | null, b: number | null, what: string, tol = 1e-12) => {
  assert.ok(a !== null && b !== null, `${what}: ${a} vs ${b}`);
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
};

/** One scalar followed through `grads.length` updates, every state kept: the second computation. */
function scalarRun(o: OptimizerSpec, isWeight: boolean, theta0: number, grads: number[]) {
  let theta = theta0,
    v = 0,
    m = 0,
    s = 0;
  const rows = [];
  for (let t = 1; t <= grads.length; t++) {
    const G = grads[t - 1];
    const g = G + (isWeight ? o.weightDecay : 0) * theta;
    const before = theta;
    const state = { vBefore: v, mBefore: m, sBefore: s };
    let d: number;
    let mHat = null,
      sHat = null;
    if (o.type === 'adam') {
      m = o.beta1 * m + (1 - o.beta1) * g;
      s = o.beta2 * s + (1 - o.beta2) * g * g;
      mHat = m / (1 - o.beta1 ** t);
      sHat = s / (1 - o.beta2 ** t);
      d = mHat / (Math.sqrt(sHat) + o.epsilon);
    } else if (o.momentum !== 0) {
      v = o.momentum * v + g;
      d = o.nesterov ? g + o.momentum * v : v;
    } else d = g;
    theta = before - o.learningRate * d;
    rows.push({ t, G, g, before, after: theta, d, mHat, sHat, v, m, s, ...state });
  }
  return rows;
}

const GRADS = [0.3, -0.7, 0.45, 1.2];
const CASES: { name: string; o: OptimizerSpec; isWeight: boolean }[] = [
  { name: 'plain SGD, weight decay on a weight', o: optimizer({ learningRate: 0.2, weightDecay: 0.1 }), isWeight: true },
  { name: 'momentum 0.9, weight', o: optimizer({ learningRate: 0.1, momentum: 0.9, weightDecay: 0.05 }), isWeight: true },
  {
    name: 'momentum 0.9, bias (never decayed)',
    o: optimizer({ learningRate: 0.1, momentum: 0.9, weightDecay: 0.05 }),
    isWeight: false,
  },
  { name: 'Nesterov 0.8', o: optimizer({ learningRate: 0.1, momentum: 0.8, nesterov: true, weightDecay: 0.02 }), isWeight: true },
  {
    name: 'Adam',
    o: optimizer({ type: 'adam', learningRate: 0.01, beta1: 0.8, beta2: 0.95, epsilon: 1e-3, weightDecay: 0.1 }),
    isWeight: true,
  },
];

for (const { name, o, isWeight } of CASES) {
  test(`updateTerms explains every update of a hand-run scalar from the state after it: ${name}`, () => {
    for (const r of scalarRun(o, isWeight, 0.6, GRADS)) {
      const adam = o.type === 'adam';
      const first = adam ? r.m : o.momentum !== 0 ? r.v : null;
      const u = updateTerms(o, {
        step: r.t,
        isWeight,
        batchGradient: r.G,
        before: r.before,
        after: r.after,
        first,
        second: adam ? r.s : null,
      });
      const at = `${name} t=${r.t}`;
      assert.equal(u.optimizer, o.type, at);
      assert.equal(u.step, r.t);
      assert.equal(u.learningRate, o.learningRate);
      assert.equal(u.batchGradient, r.G);
      assert.equal(u.weightDecay, isWeight ? o.weightDecay : 0, `${at}: weight decay`);
      close(u.gradient, r.g, `${at}: g`);
      assert.equal(u.momentum, adam ? 0 : o.momentum, `${at}: momentum`);
      assert.equal(u.nesterov, !adam && o.nesterov, `${at}: nesterov`);
      assert.deepEqual([u.beta1, u.beta2, u.epsilon], [o.beta1, o.beta2, o.epsilon]);
      assert.deepEqual([u.before, u.after], [r.before, r.after]);
      close(u.direction, r.d, `${at}: direction`);
      close(u.predictedAfter, r.after, `${at}: θ − γ·d`);
      if (adam) {
        close(u.firstBefore, r.mBefore, `${at}: m before`, 1e-9);
        close(u.secondBefore, r.sBefore, `${at}: v before`, 1e-9);
        close(u.firstAfter, r.m, `${at}: m after`);
        close(u.secondAfter, r.s, `${at}: v after`);
        close(u.firstCorrected, r.mHat, `${at}: m̂`);
        close(u.secondCorrected, r.sHat, `${at}: v̂`);
      } else {
        assert.deepEqual([u.secondBefore, u.secondAfter, u.firstCorrected, u.secondCorrected], [null, null, null, null]);
        if (o.momentum !== 0) {
          close(u.firstBefore, r.vBefore, `${at}: velocity before`, 1e-9);
          close(u.firstAfter, r.v, `${at}: velocity after`);
        } else assert.deepEqual([u.firstBefore, u.firstAfter], [null, null]);
      }
    }
  });
}

test('updateTerms: a missing optimizer state reads as zero, and Nesterov without momentum is plain SGD', () => {
  const adam = optimizer({ type: 'adam', learningRate: 0.1 });
  const u = updateTerms(adam, { step: 1, isWeight: true, batchGradient: 0.5, before: 1, after: 1, first: null, second: null });
  assert.deepEqual([u.firstAfter, u.secondAfter, u.firstCorrected, u.secondCorrected, u.direction], [0, 0, 0, 0, 0]);
  const sgd = optimizer({ learningRate: 0.1, momentum: 0.5 });
  const w = updateTerms(sgd, { step: 3, isWeight: true, batchGradient: 0.5, before: 1, after: 1, first: null, second: null });
  assert.deepEqual([w.firstAfter, w.firstBefore, w.direction], [0, -1, 0], 'v = 0 after, so before it was (0 − 0.5)/0.5');
  const plain = updateTerms(optimizer({ learningRate: 0.1, nesterov: true }), {
    step: 2,
    isWeight: true,
    batchGradient: 0.5,
    before: 1,
    after: 0.95,
    first: 123,
    second: null,
  });
  assert.deepEqual([plain.nesterov, plain.firstAfter, plain.direction], [false, null, 0.5]);
});

test('updateTerms at the first update: the state before it is zero by definition, whatever rounding the state carries', () => {
  // A float32 state is not exactly (1 − β₁)·g of the float64 g; inverting the recurrence would
  // then show a tiny non-zero "before". At t = 1 it is 0, not recovered.
  const adam = optimizer({ type: 'adam', learningRate: 0.1, beta1: 0.9, beta2: 0.99 });
  const a = updateTerms(adam, {
    step: 1,
    isWeight: true,
    batchGradient: 0.5,
    before: 1,
    after: 0.9,
    first: 0.0500001,
    second: 0.0025001,
  });
  assert.deepEqual([a.firstBefore, a.secondBefore], [0, 0]);
  const sgd = optimizer({ learningRate: 0.1, momentum: 0.9 });
  const v = updateTerms(sgd, {
    step: 1,
    isWeight: true,
    batchGradient: 0.5,
    before: 1,
    after: 0.95,
    first: 0.5000001,
    second: null,
  });
  assert.equal(v.firstBefore, 0);
});

/** A trainer-shaped record of one finished update: what a run's trainer answers right after a step. */
function lastStep(step: number, state: LastStepView['optimizerState']): LastStepView {
  return {
    step,
    parameter: (layer, kind) => (layer === 1 && kind === 'weight' ? [0.5, 0.25] : [9]),
    gradient: () => [0.1, -0.4],
    lastUpdate: () => [-0.02, 0.04],
    optimizerState: state,
  };
}

test('lastUpdateTerms reads θ after, θ before = θ after − Δθ, G and the state entry of the selection', () => {
  const o = optimizer({ learningRate: 0.1, momentum: 0.5 });
  const sel = { layer: 1, kind: 'weight' as const, index: 1 };
  const u = lastUpdateTerms(
    lastStep(2, () => ({ first: [0.3, -0.6], second: null })),
    o,
    sel,
  )!;
  assert.deepEqual([u.step, u.after, u.before, u.batchGradient, u.firstAfter], [2, 0.25, 0.25 - 0.04, -0.4, -0.6]);
  assert.equal(u.weightDecay, 0);
  assert.equal(
    lastUpdateTerms(
      lastStep(0, () => ({ first: null, second: null })),
      o,
      sel,
    ),
    null,
    'before any step: none',
  );
  assert.equal(lastUpdateTerms({ ...lastStep(2, undefined) }, o, sel), null, 'a source without optimizer state: none');
  assert.equal(
    lastUpdateTerms(
      lastStep(2, () => ({ first: null, second: null })),
      o,
      { ...sel, index: 2 },
    ),
    null,
    'no entry 2',
  );
  // A state shorter than the tensor (plain SGD keeps none) reads as no state; an entry past it too.
  const short = lastUpdateTerms(
    lastStep(2, () => ({ first: [0.3], second: [0.1] })),
    optimizer({ type: 'adam' }),
    sel,
  )!;
  assert.deepEqual([short.firstAfter, short.secondAfter], [0, 0]);
  const bias = lastUpdateTerms(
    lastStep(1, () => ({ first: [0.3, 0.7], second: null })),
    optimizer({ weightDecay: 0.5 }),
    { layer: 0, kind: 'bias', index: 0 },
  )!;
  assert.deepEqual([bias.after, bias.weightDecay], [9, 0], 'a bias is read from its own tensor and never decayed');
});

test('weightsBeforeLastStep subtracts each tensor’s own update', () => {
  const t = {
    getWeights: () => [
      { name: 'layers[0].weight', layer: 0, kind: 'weight' as const, shape: [2], value: [1, 2] },
      { name: 'layers[0].bias', layer: 0, kind: 'bias' as const, shape: [1], value: [3] },
    ],
    lastUpdate: (_l: number, kind: 'weight' | 'bias') => (kind === 'weight' ? [0.5, -1] : [0.25]),
  };
  assert.deepEqual(
    weightsBeforeLastStep(t).map((w) => [w.name, w.value]),
    [
      ['layers[0].weight', [0.5, 3]],
      ['layers[0].bias', [2.75]],
    ],
  );
});

const images: Dataset = {
  name: 'tiny',
  inputShape: [1, 2, 2],
  numClasses: 2,
  count: 3,
  x: Float32Array.from([0, 0.5, 1, 2, -1, 0.25, 0.75, 0.1, 0.2, 0.3, 0.4, 0.5]),
  y: Int32Array.from([1, 0, 1]),
};

test('subset copies the chosen examples, in the order asked, with their labels', () => {
  const s = subset(images, [2, 0]);
  assert.equal(s.count, 2);
  assert.deepEqual(Array.from(s.x), Array.from(Float32Array.from([0.2, 0.3, 0.4, 0.5, 0, 0.5, 1, 2])));
  assert.deepEqual(Array.from(s.y), [1, 1]);
  assert.deepEqual(s.inputShape, [1, 2, 2]);
});

test('walkThroughBatch: refusals, the image of each example clamped to 0–255, the image shape only for one channel', () => {
  const spec = makeSpec([{ type: 'flatten' }, dense(2)], { batchSize: 2 });
  const trainer = new Trainer({ spec, train: images, validation: null, backend: referenceBackend('float64') });
  const weights = trainer.getWeights();
  const sel = { layer: 1, kind: 'weight' as const, index: 0 };
  assert.throws(() => walkThroughBatch({ spec, train: images, indices: [], weights, selection: sel }), {
    message: 'The batch is empty.',
  });
  assert.throws(() => walkThroughBatch({ spec, train: images, indices: [0], weights, selection: { ...sel, layer: 0 } }), {
    message: 'layers[0] has no weight.',
  });
  for (const index of [-1, 8])
    assert.throws(() => walkThroughBatch({ spec, train: images, indices: [0], weights, selection: { ...sel, index } }), {
      message: `layers[1].weight has no entry ${index}.`,
    });
  const r = walkThroughBatch({ spec, train: images, indices: [1, 0], weights, selection: { ...sel, index: 7 } });
  assert.deepEqual(r.imageShape, [2, 2]);
  // round(clamp(v, 0, 1)·255): −1 → 0, 0.25 → 64 (63.75), 0.75 → 191 (191.25), 0.1 → 26 (25.5 rounds up).
  assert.deepEqual(r.examples[0].image, [0, 64, 191, 26]);
  assert.deepEqual(r.examples[1].image, [0, 128, 255, 255]);
  assert.equal(r.paramName, 'layers[1].weight[7]');
  assert.equal(r.atWeightsBeforeUpdate, false);
  assert.equal(r.applied, null);
  const flat = { ...images, inputShape: [2, 1, 2] };
  const r2 = walkThroughBatch({ spec, train: flat, indices: [0], weights, selection: sel });
  assert.equal(r2.imageShape, null, 'two channels are not one greyscale image');
  assert.equal(r2.examples[0].image, null);
  const flat4 = { ...images, inputShape: [4] };
  const spec4 = makeSpec([dense(2)], { batchSize: 2 });
  const w4 = new Trainer({ spec: spec4, train: flat4, validation: null, backend: referenceBackend('float64') }).getWeights();
  const r3 = walkThroughBatch({
    spec: spec4,
    train: flat4,
    indices: [0],
    weights: w4,
    selection: { layer: 0, kind: 'bias', index: 1 },
  });
  assert.equal(r3.imageShape, null);
  assert.equal(r3.examples[0].image, null);
  const applied = r.applied;
  const replay = walkThroughBatch({ spec, train: images, indices: [0], weights, selection: sel, replayOf: { applied } });
  assert.deepEqual([replay.atWeightsBeforeUpdate, replay.applied], [true, null]);
});

/** A trainer-shaped source of per-example gradients: m examples × the weight's entries, row by row. */
function perExample(weights: Record<number, { shape: number[]; g: number[] }>) {
  return {
    layers: Object.entries(weights).map(([i, w]) => ({
      index: Number(i),
      params: [
        { kind: 'weight' as const, shape: w.shape },
        { kind: 'bias' as const, shape: [1] },
      ],
    })),
    perExampleGradients: (layer: number) => weights[layer].g,
  };
}

test('mostVariedWeight: the largest spread times the share of examples pulling (|gᵢ| ≥ 10 % of the largest)', () => {
  // Three examples, two entries. Entry 0: [1, −1, 0] → sd 1, all 3 pull? |0| < 0.1 → 2 of 3: score 2/3.
  // Entry 1: [0.5, 0.5, −0.5] → sd √(1/3) ≈ 0.577, all pull: score 0.577. Entry 0 wins.
  const a = perExample({ 0: { shape: [2], g: [1, 0.5, -1, 0.5, 0, -0.5] } });
  assert.deepEqual(mostVariedWeight(a, 3), { layer: 0, kind: 'weight', index: 0 });
  // One lone large bar: [3, 0, 0] has sd √3 ≈ 1.73 but only 1 of 3 pulling → 0.577; [1, −1, 1] sd 1.155, 3 of 3 → wins.
  const b = perExample({ 0: { shape: [2], g: [3, 1, 0, -1, 0, 1] } });
  assert.deepEqual(mostVariedWeight(b, 3), { layer: 0, kind: 'weight', index: 1 });
  // Exactly 10 % of the largest still pulls: [1, 0.1] sd 0.636, 2 of 2 → 0.636 beats [0.5, -0.3] sd 0.566.
  const c = perExample({ 0: { shape: [2], g: [1, 0.5, 0.1, -0.3] } });
  assert.deepEqual(mostVariedWeight(c, 2), { layer: 0, kind: 'weight', index: 0 });
  // Across layers (a layer without a weight is skipped): the second layer's entry varies more.
  const d = {
    layers: [
      { index: 0, params: [{ kind: 'bias' as const, shape: [3] }] },
      { index: 1, params: [{ kind: 'weight' as const, shape: [1, 2] }] },
      { index: 3, params: [{ kind: 'weight' as const, shape: [1] }] },
    ],
    perExampleGradients: (layer: number) => (layer === 1 ? [0.1, 0.2, 0.1, -0.2] : [2, -2]),
  };
  assert.deepEqual(mostVariedWeight(d, 2), { layer: 3, kind: 'weight', index: 0 });
  // Equal gradients have no spread: nothing to show; all zero: none either; fewer than 2 examples: none.
  assert.equal(mostVariedWeight(perExample({ 0: { shape: [1], g: [0.4, 0.4] } }), 2), null);
  assert.equal(mostVariedWeight(perExample({ 0: { shape: [1], g: [0, 0] } }), 2), null);
  assert.equal(mostVariedWeight(perExample({ 0: { shape: [1], g: [1, -1] } }), 1), null);
  // A tie keeps the first entry found.
  assert.deepEqual(mostVariedWeight(perExample({ 0: { shape: [2], g: [1, -1, -1, 1] } }), 2), {
    layer: 0,
    kind: 'weight',
    index: 0,
  });
});

test('updateTerms: Adam ignores a momentum (and Nesterov) the spec may still carry', () => {
  const o = optimizer({ type: 'adam', learningRate: 0.1, momentum: 0.5, nesterov: true });
  const u = updateTerms(o, { step: 2, isWeight: true, batchGradient: 0.5, before: 1, after: 0.9, first: 0.1, second: 0.01 });
  assert.deepEqual([u.momentum, u.nesterov], [0, false]);
});

test('lastUpdateTerms decays a selected weight', () => {
  const u = lastUpdateTerms(
    lastStep(1, () => ({ first: [0, 0], second: null })),
    optimizer({ weightDecay: 0.5 }),
    { layer: 1, kind: 'weight', index: 0 },
  )!;
  assert.equal(u.weightDecay, 0.5);
  close(u.gradient, 0.1 + 0.5 * (0.5 + 0.02), 'g = G + wd·θ_before');
});

test('walkThroughBatch: a rank-2 input that starts with 1 is no image either', () => {
  const flat: Dataset = { ...images, inputShape: [1, 4] };
  const spec = makeSpec([dense(2)], { batchSize: 2 });
  const w = new Trainer({ spec, train: flat, validation: null, backend: referenceBackend('float64') }).getWeights();
  const r = walkThroughBatch({ spec, train: flat, indices: [0], weights: w, selection: { layer: 0, kind: 'bias', index: 0 } });
  assert.deepEqual([r.imageShape, r.examples[0].image], [null, null]);
});

test('mostVariedWeight: only the weight tensor counts, wherever it is listed, and only the first m rows of a longer buffer', () => {
  const biasFirst = {
    layers: [
      {
        index: 0,
        params: [
          { kind: 'bias' as const, shape: [1] },
          { kind: 'weight' as const, shape: [2] },
        ],
      },
    ],
    perExampleGradients: () => [0.1, 1, 0.1, -1],
  };
  assert.deepEqual(mostVariedWeight(biasFirst, 2), { layer: 0, kind: 'weight', index: 1 });
  // A buffer sized for a larger batch: rows past m must not be read (here they would make entry 1 win).
  const longer = perExample({ 0: { shape: [2], g: [1, 0.9, -1, -0.9, 0, 5] } });
  assert.deepEqual(mostVariedWeight(longer, 2), { layer: 0, kind: 'weight', index: 0 });
  // One entry, m = 2, then a larger batch's leftovers: no entry 1 exists to be chosen.
  assert.equal(mostVariedWeight(perExample({ 0: { shape: [1], g: [1, 1, 50, -50] } }), 2), null);
});

test('mostVariedWeight: each entry counts its own pulling examples, at 10 % of its own largest', () => {
  // Entry 1 [1.2, −1.2] (sd 1.70, both pull) beats entry 0 [1, −1] (sd 1.41).
  assert.deepEqual(mostVariedWeight(perExample({ 0: { shape: [2], g: [1, 1.2, -1, -1.2] } }), 2), {
    layer: 0,
    kind: 'weight',
    index: 1,
  });
  // Entry 0 [3, 0.2, 0.2]: sd 1.62 but 0.2 < 0.3, one of three pulls → 0.54; entry 1 [1, −1, 1]: 1.15 → entry 1.
  assert.deepEqual(mostVariedWeight(perExample({ 0: { shape: [2], g: [3, 1, 0.2, -1, 0.2, 1] } }), 3), {
    layer: 0,
    kind: 'weight',
    index: 1,
  });
});

test('walkThroughBatch runs on the backends the factory makes, not on a default one', () => {
  const spec = makeSpec([{ type: 'flatten' }, dense(2)], { batchSize: 2 });
  const weights = new Trainer({ spec, train: images, validation: null, backend: referenceBackend('float64') }).getWeights();
  const made: ReturnType<typeof countingBackend>[] = [];
  walkThroughBatch({
    spec,
    train: images,
    indices: [1, 0],
    weights,
    selection: { layer: 1, kind: 'weight', index: 0 },
    backendFactory: (sp) => {
      const b = countingBackend(sp.dtype);
      made.push(b);
      return b.backend;
    },
  });
  // two one-example replays and the batch: each allocates its network's buffers on its own backend
  assert.equal(made.length, 3);
  for (const [i, b] of made.entries()) assert.ok(b.elements() > 0, `backend ${i} allocated nothing: another one was used`);
});
