// Mutation-oriented oracles for src/engine/stats.ts (issue 14): finishing a step's statistics is
// idempotent (a debugger that asks for them at before-update, again, and after the update sees the
// same numbers, each equal to a float64 recomputation from the materialised per-example
// gradients), nothing is finished at level 'none', and the dead-unit count of a layer with several
// positions per unit (a conv channel) reads exactly that unit's positions of exactly m examples.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Trainer, referenceBackend, type NamedTensor } from '../../../src/engine';
import { deadFraction } from '../../../src/engine/stats';
import { createWasmBackend } from '../../../src/engine/wasm/backend';
import { nodeSpawnHelper } from '../../../src/engine-host/spawnHelper';
import { dense, makeSpec, randomDataset } from '../engine/helpers';
import { batchGradients, close, mlpSpec, separable, type ExampleResult } from './reference';

const dot = (a: number[], b: number[]): number => a.reduce((s, v, i) => s + v * b[i], 0);

/** Per layer: ‖G‖, ‖θ‖ (before the update) and cos(gᵢ, G), from the per-example gradients. */
function expected(ref: ExampleResult[], layer: number, before: NamedTensor[]) {
  const per = ref.map((e) => [...e.grads.get(`layers[${layer}].weight`)!, ...e.grads.get(`layers[${layer}].bias`)!]);
  const G = per[0].map((_, j) => per.reduce((s, g) => s + g[j], 0) / per.length);
  const gNorm = Math.sqrt(dot(G, G));
  const theta = before.filter((w) => w.layer === layer).flatMap((w) => w.value);
  return {
    gradNorm: gNorm,
    weightNorm: Math.sqrt(dot(theta, theta)),
    cosines: per.map((g) => dot(g, G) / (Math.sqrt(dot(g, g)) * gNorm)),
  };
}

test('statistics asked for at before-update, again, and after the update stay those of the step (each a float64 recomputation)', () => {
  const spec = mlpSpec({ batchSize: 6 });
  const train = separable(18, 4, 3, 61);
  const t = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64'), stats: 'full' });
  t.trainStep();
  const before = t.getWeights();
  const phases = t.stepPhases();
  const seen: { kind: string; layers: { gradNorm: number; weightNorm: number; cosineToMean: number[] }[] }[] = [];
  for (let r = phases.next(); ; r = phases.next()) {
    if (r.done) {
      seen.push({ kind: 'returned', layers: r.value.layers });
      break;
    }
    if (r.value.kind === 'before-update' || r.value.kind === 'after-update')
      for (let ask = 0; ask < 2; ask++)
        seen.push({ kind: `${r.value.kind} #${ask + 1}`, layers: structuredClone(t.pendingStats()!.layers) });
  }
  assert.deepEqual(
    seen.map((s) => s.kind),
    ['before-update #1', 'before-update #2', 'after-update #1', 'after-update #2', 'returned'],
  );
  const ref = batchGradients(spec, before, train, t.currentBatch());
  for (const s of seen)
    s.layers.forEach((l, layer) => {
      const e = expected(ref, layer, before);
      const at = `${s.kind}, layer ${layer}`;
      close(l.gradNorm, e.gradNorm, 1e-10, `${at}: ‖G‖`);
      close(l.weightNorm, e.weightNorm, 1e-12, `${at}: ‖θ‖ of before the update`);
      assert.equal(l.cosineToMean.length, 6);
      e.cosines.forEach((c, i) => close(l.cosineToMean[i], c, 1e-9, `${at}: cos(g${i}, G)`));
    });
});

test("at level 'none' nothing is finished when a debugger asks at before-update: no norms, no per-example values", () => {
  const spec = mlpSpec({ batchSize: 4 });
  const t = new Trainer({
    spec,
    train: separable(12, 4, 3, 62),
    validation: null,
    backend: referenceBackend('float64'),
    stats: 'none',
  });
  const phases = t.stepPhases();
  let r = phases.next();
  while (!r.done && r.value.kind !== 'before-update') r = phases.next();
  const layers = t.pendingStats()!.layers;
  assert.equal(layers.length, 2);
  for (const l of layers) {
    assert.ok(
      Number.isNaN(l.gradNorm) && Number.isNaN(l.weightNorm) && Number.isNaN(l.noiseScale),
      `layer ${l.layer}: ${l.gradNorm}`,
    );
    assert.deepEqual([l.perExampleNorms, l.cosineToMean], [[], []]);
  }
});

test('dead units with several positions a unit: a channel alive only at its first position is alive, and a dead next channel stays dead', () => {
  // 2 examples × 3 channels × 4 positions; channel 0 dead, channel 1 alive at position 0 of example
  // 1 only, channel 2 dead; then a row of stale zeros (the buffer is sized for a larger batch)
  const out = new Float32Array(3 * 12);
  out[12 + 4] = 0.5;
  assert.equal(deadFraction(out, 2, 12, 4), 2 / 3);
  // channel 0 alive at its last position only (the position before channel 1's first)
  const last = new Float32Array(3 * 12);
  last[3] = 1;
  assert.equal(deadFraction(last, 2, 12, 4), 2 / 3);
  // everything dead: exactly 1, the stale row after the batch not counted as a further unit
  assert.equal(deadFraction(new Float32Array(3 * 12), 2, 12, 4), 1);
});

test("on two threads the Gram statistics go to the helper only at level 'full' and only in an unobserved step", async () => {
  // dense 784→64 and 64→32 take the Gram path (threads.test); 32→5 the direct one
  const spec = makeSpec([dense(64, 'relu'), dense(32, 'relu'), dense(5)], { dtype: 'float32', batchSize: 32, epochs: 1 });
  const data = randomDataset(7, 64, [784], 5);
  const be = await createWasmBackend({ initialBytes: 64 << 20, spawnHelper: nodeSpawnHelper });
  try {
    const norms = new Trainer({ spec, train: data, validation: null, backend: be, stats: 'norms' }).trainStep();
    assert.equal(be.deferredGramStats, 0, "level 'norms': nothing deferred");
    for (const l of norms.layers) {
      assert.deepEqual([l.cosineToMean, l.deadFraction], [[], null], `'norms' layer ${l.layer}: no cosines, no dead units`);
      assert.equal(l.perExampleNorms.length, 32);
    }
    const watched = new Trainer({ spec, train: data, validation: null, backend: be, stats: 'full' });
    const phases = watched.stepPhases();
    let r = phases.next();
    while (!r.done) r = phases.next();
    assert.equal(be.deferredGramStats, 0, 'a step in phases (a debugger may look): nothing deferred');
    assert.equal(r.value.layers[0].cosineToMean.length, 32);
    new Trainer({ spec, train: data, validation: null, backend: be, stats: 'full' }).trainStep();
    assert.equal(be.deferredGramStats, 2, 'an unobserved full step: the two Gram layers');
  } finally {
    be.close();
  }
});
