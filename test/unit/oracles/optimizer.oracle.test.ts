// The update and θ before/after that a step records (and the detail shows) against a float64
// reference step written from the formulas, with its own optimizer state kept from step 1: plain
// SGD, momentum, Nesterov, Adam, and weight decay with each. Several steps, because at step 1 a
// momentum or Adam update looks like a plain one; only later steps tell a wrong state apart.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Trainer, referenceBackend, type Backend } from '../../../src/engine';
import { createWasmBackendSync } from '../../../src/engine/wasm/backend';
import type { ModelSpec, OptimizerSpec } from '../../../src/model/spec';
import { buildDetail } from '../../../src/session/detail';
import { batchGradients, meanGradient, mlpSpec, optimizer, refState, referenceStep, separable, type RefState } from './reference';

const OPTIMIZERS: { name: string; o: OptimizerSpec }[] = [
  { name: 'plain SGD', o: optimizer({ learningRate: 0.2 }) },
  { name: 'SGD momentum 0.9', o: optimizer({ learningRate: 0.1, momentum: 0.9 }) },
  { name: 'SGD Nesterov 0.8', o: optimizer({ learningRate: 0.1, momentum: 0.8, nesterov: true }) },
  { name: 'SGD weight decay 0.05', o: optimizer({ learningRate: 0.2, weightDecay: 0.05 }) },
  { name: 'SGD momentum 0.9 + weight decay 0.05', o: optimizer({ learningRate: 0.1, momentum: 0.9, weightDecay: 0.05 }) },
  {
    name: 'SGD Nesterov 0.9 + weight decay 0.02',
    o: optimizer({ learningRate: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.02 }),
  },
  { name: 'Adam', o: optimizer({ type: 'adam', learningRate: 0.01 }) },
  { name: 'Adam β 0.8/0.95, ε 1e-3', o: optimizer({ type: 'adam', learningRate: 0.02, beta1: 0.8, beta2: 0.95, epsilon: 1e-3 }) },
  { name: 'Adam + weight decay 0.1', o: optimizer({ type: 'adam', learningRate: 0.01, weightDecay: 0.1 }) },
];

/** Runs `steps` steps and checks every recorded update against the reference; returns the worst error. */
function checkAgainstReference(spec: ModelSpec, backend: Backend, steps: number, tol: number): void {
  const train = separable(19, 4, 3, 21);
  const trainer = new Trainer({ spec, train, validation: null, backend });
  const states = new Map<string, RefState>();
  for (let t = 1; t <= steps; t++) {
    const before = trainer.getWeights();
    const stats = trainer.trainStep();
    const ref = batchGradients(spec, before, train, stats.exampleIndices);
    const after = trainer.getWeights();
    for (const w of before) {
      if (!states.has(w.name)) states.set(w.name, refState(w.value.length));
      const expectedAfter = referenceStep(
        spec.optimizer,
        states.get(w.name)!,
        t,
        w.kind === 'weight',
        w.value,
        meanGradient(ref, w.name),
      );
      const expectedUpdate = expectedAfter.map((v, i) => v - w.value[i]);
      const scale = Math.max(...expectedUpdate.map(Math.abs));
      assert.ok(scale > 0, `step ${t} ${w.name}: the reference moves the weights`);
      const recorded = trainer.lastUpdate(w.layer, w.kind);
      const applied = after.find((a) => a.name === w.name)!.value;
      for (let i = 0; i < w.value.length; i++) {
        const du = Math.abs(recorded[i] - expectedUpdate[i]) / scale;
        assert.ok(
          du < tol,
          `step ${t} ${w.name}[${i}]: recorded update ${recorded[i]} but the reference step is ${expectedUpdate[i]}`,
        );
        const dt = Math.abs(applied[i] - expectedAfter[i]) / scale;
        assert.ok(
          dt < tol,
          `step ${t} ${w.name}[${i}]: θ after is ${applied[i]} but the reference step gives ${expectedAfter[i]}`,
        );
      }
      // What the panel shows for one entry of this tensor: before, after and update, from the same step.
      const index = expectedUpdate.findIndex((u) => Math.abs(u) === scale);
      const detail = buildDetail(trainer, stats, spec, train, {
        selection: { layer: w.layer, kind: w.kind, index },
        mode: 'update',
        heatmapMaxCells: 64,
        histograms: [],
      });
      const shown = detail.perExample!;
      assert.equal(shown.optimizer, spec.optimizer.type);
      assert.equal(shown.learningRate, spec.optimizer.learningRate);
      assert.ok(
        Math.abs(shown.before - w.value[index]) / scale < tol,
        `step ${t} ${w.name}[${index}]: shown θ before ${shown.before}, the weights before the step had ${w.value[index]}`,
      );
      assert.ok(
        Math.abs(shown.after - expectedAfter[index]) / scale < tol,
        `step ${t} ${w.name}[${index}]: shown θ after ${shown.after}, reference ${expectedAfter[index]}`,
      );
      assert.ok(
        Math.abs(shown.update - expectedUpdate[index]) / scale < tol,
        `step ${t} ${w.name}[${index}]: shown update ${shown.update}, reference ${expectedUpdate[index]}`,
      );
    }
  }
}

for (const { name, o } of OPTIMIZERS) {
  test(`recorded update and θ before/after follow a float64 reference step over 5 steps: ${name}`, () => {
    const spec = mlpSpec({ optimizer: o, batchSize: 6, epochs: 2 });
    checkAgainstReference(spec, referenceBackend('float64'), 5, 1e-9);
  });
}

// The WASM backend has its own fused SGD kernel (sgdStep): the same reference, float32 tolerance.
for (const { name, o } of OPTIMIZERS.filter((x) => x.o.type === 'sgd' || x.name === 'Adam')) {
  test(`WASM backend: recorded update and θ after follow the reference step over 4 steps: ${name}`, () => {
    const spec = mlpSpec({ dtype: 'float32', optimizer: o, batchSize: 6, epochs: 2 });
    checkAgainstReference(spec, createWasmBackendSync(), 4, 2e-3);
  });
}
