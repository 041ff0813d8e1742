// What the page draws for the per-example view, read from its chart and its text, against the
// float64 reference computed from the weights before the step (never from the detail message the
// page was given). The run is a small MLP with momentum trained in this process for a few steps.

import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { Trainer, referenceBackend } from '../../src/engine';
import type { HostMessage, RunInfo, SessionSnapshot } from '../../src/protocol';
import { buildDetail, stepPoint } from '../../src/session/detail';
import { num } from '../../webview/format';
import { openReadyPanel, deliver } from './harness';
import {
  batchGradients,
  meanGradient,
  mlpSpec,
  optimizer,
  refState,
  referenceStep,
  separable,
  spreadIndex,
  type RefState,
} from '../unit/oracles/reference';

let browser: Browser;
let server: { url: string; close(): Promise<void> };
let page: Page;

before(async () => {
  ({ browser, server, page } = await openReadyPanel('dark'));
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('per-example chart and formula show the reference gradients, mean and θ of the step (momentum, step 3)', async () => {
  const spec = mlpSpec({ batchSize: 6, epochs: 2, optimizer: optimizer({ learningRate: 0.1, momentum: 0.9 }) });
  const train = separable(24, 4, 3, 101);
  const trainer = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64') });
  const states = new Map<string, RefState>();
  let last = null as null | {
    stats: ReturnType<Trainer['trainStep']>;
    ref: ReturnType<typeof batchGradients>;
    before: ReturnType<Trainer['getWeights']>;
    after: Map<string, number[]>;
  };
  const points = [];
  for (let t = 1; t <= 3; t++) {
    const weightsBefore = trainer.getWeights();
    const stats = trainer.trainStep();
    points.push(stepPoint(stats, t));
    const ref = batchGradients(spec, weightsBefore, train, stats.exampleIndices);
    const afterRef = new Map<string, number[]>();
    for (const w of weightsBefore) {
      if (!states.has(w.name)) states.set(w.name, refState(w.value.length));
      afterRef.set(
        w.name,
        referenceStep(spec.optimizer, states.get(w.name)!, t, w.kind === 'weight', w.value, meanGradient(ref, w.name)),
      );
    }
    last = { stats, ref, before: weightsBefore, after: afterRef };
  }
  const { stats, ref, before: weightsBefore, after: afterRef } = last!;
  const name = 'layers[0].weight';
  const index = spreadIndex(ref, name);
  const selection = { layer: 0, kind: 'weight' as const, index };
  const detail = buildDetail(trainer, stats, spec, train, { selection, mode: 'grad', heatmapMaxCells: 64, histograms: [] });
  const run: RunInfo = {
    file: 'oracle.gradlens.json',
    spec,
    layers: trainer.layers,
    trainSize: train.count,
    validationSize: 0,
    numClasses: 3,
    backend: 'reference',
  };
  const snapshot: SessionSnapshot = {
    run,
    status: { state: 'paused', step: 3, epoch: 1 },
    history: points,
    epochs: [],
    histograms: [],
    detail,
    heatmapMode: 'grad',
    selection,
    gradCheck: null,
    compare: null,
  };
  await deliver(page, [{ type: 'snapshot', snapshot } satisfies HostMessage]);
  await page.waitForFunction(() => (window as any).__gradientLens?.charts?.perExample?.data?.datasets?.[0]?.data?.length > 0);

  const expectedBars = ref.map((e) => e.grads.get(name)![index]);
  const expectedMean = meanGradient(ref, name)[index];
  const thetaBefore = weightsBefore.find((w) => w.name === name)!.value[index];
  const thetaAfter = afterRef.get(name)![index];
  const chart = await page.evaluate(() => (window as any).__gradientLens.charts.perExample.data.datasets.map((x: any) => x.data));
  const bars: number[] = chart[0].map((v: number | { y: number }) => (typeof v === 'number' ? v : v.y));
  assert.equal(bars.length, expectedBars.length, 'one bar per example of the batch');
  bars.forEach((v, i) =>
    assert.ok(
      Math.abs(v - expectedBars[i]) <= 1e-9 * Math.max(...expectedBars.map(Math.abs)),
      `bar ${i}: ${v}, reference ${expectedBars[i]}`,
    ),
  );
  const means: number[] = chart[1].map((v: number | { y: number }) => (typeof v === 'number' ? v : v.y));
  means.forEach((v) =>
    assert.ok(Math.abs(v - expectedMean) <= 1e-9 * Math.abs(expectedMean), `mean line ${v}, reference ${expectedMean}`),
  );
  const text = await page.locator('#per-example').innerText();
  for (const [what, value, digits] of [
    ['θ before', thetaBefore, 5],
    ['θ after', thetaAfter, 5],
    ['update', thetaAfter - thetaBefore, 4],
    ['mean', expectedMean, 4],
  ] as const) {
    assert.ok(
      text.includes(num(value, digits)),
      `the per-example view shows ${what} ${num(value, digits)}; its text is:\n${text}`,
    );
  }
  assert.ok(text.includes(`1/${expectedBars.length}`), "the formula divides by this batch's M");
});
