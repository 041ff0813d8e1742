// The per-step statistics (computed without materialising the dense gᵢ: norms from ‖aᵢ‖²·‖δᵢ‖²,
// cosines from ⟨gᵢ, G⟩ = aᵢᵀ·G_W·δᵢ through the Gram matrices (Backend.denseGramStats) or A·G_W, the conv ones
// from its per-example tensors through the backend's kernels) against a float64 reference that
// materialises every gᵢ itself: each example run alone (a batch of one) from the step's starting
// weights, then ‖gᵢ‖, cos(gᵢ, G), tr(Σ), the noise scale and the selected parameter's values
// computed from those vectors by the textbook formulas. On the float64 reference backend the two
// agree to rounding; on the WASM backend (float32) to float32 rounding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Trainer } from '../../../src/engine/trainer';
import { Network } from '../../../src/engine/network';
import { referenceBackend } from '../../../src/engine/reference';
import { computeLoss } from '../../../src/engine/loss';
import type { Backend } from '../../../src/engine/backend';
import type { LayerSpec } from '../../../src/model/spec';
import type { StepStats } from '../../../src/engine/types';
import { conv, dense, makeSpec, optimizer, randomDataset } from './helpers';
import { loadWasm } from './wasmFixtures';

const CLASSES = 4;
/** zeros: the share of input values set to 0 (a sparse input takes the WASM backend's zero-skipping Gram). */
const cases: { name: string; layers: LayerSpec[]; shape: number[]; m: number; zeros?: number }[] = [
  // wide first layers: their cosines go through the Gram matrices (m = 20: in two blocks); the
  // narrow last one through A·G_W
  { name: 'dense', layers: [dense(48, 'relu'), dense(24, 'tanh'), dense(CLASSES)], shape: [40], m: 20 },
  // batch of 3: one block
  { name: 'dense, small batch', layers: [dense(16, 'relu'), dense(CLASSES)], shape: [30], m: 3 },
  // an input 85 % zeros, as MNIST pixels are 81 %
  { name: 'dense, sparse input', layers: [dense(32, 'relu'), dense(CLASSES)], shape: [120], m: 24, zeros: 0.85 },
  {
    name: 'conv',
    layers: [
      conv(4, 3, 1, 'same', 'relu'),
      { type: 'maxpool2d', poolSize: 2, stride: 2 },
      conv(3, 3, 1, 'valid', 'tanh'),
      { type: 'flatten' },
      dense(CLASSES),
    ],
    shape: [2, 8, 8],
    m: 12,
  },
];

/** Every gᵢ (weights then bias, per parameterised layer) by running example i alone in float64. */
function materialised(trainer: Trainer, c: (typeof cases)[number], data: ReturnType<typeof randomDataset>) {
  const spec = makeSpec(c.layers, { batchSize: c.m });
  const single = new Network(spec, c.shape, referenceBackend('float64'), 1);
  for (const l of single.paramLayers)
    for (const p of l.params) {
      const after = trainer.parameter(l.index, p.info.kind),
        upd = trainer.lastUpdate(l.index, p.info.kind);
      // the step's starting weights: θ_before = θ_after − Δθ (exact for float64; float32 keeps
      // θ_before − Δθ to float32 rounding, far inside the tolerances below)
      for (let j = 0; j < p.size; j++) p.value[j] = after[j] - upd[j];
    }
  const indices = trainer.lastBatchInputs().indices;
  const size = single.inputSize;
  const perLayer = new Map<number, Float64Array[]>();
  for (let i = 0; i < c.m; i++) {
    single.input.set(data.x.subarray(indices[i] * size, (indices[i] + 1) * size));
    const y = Int32Array.of(data.y[indices[i]]);
    computeLoss(spec.loss, single.forward(1), y, 1, CLASSES, new Float64Array(1), new Int32Array(1), single.outputGrad);
    single.backward(1);
    for (const l of single.paramLayers) {
      const g = Float64Array.from([...l.weight.grad, ...l.bias.grad]);
      perLayer.set(l.index, [...(perLayer.get(l.index) ?? []), g]);
    }
  }
  return perLayer;
}

const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, j) => s + v * b[j], 0);

function check(stats: StepStats, trainer: Trainer, perLayer: Map<number, Float64Array[]>, m: number, tol: number, label: string) {
  const close = (got: number, want: number, scale: number, what: string) =>
    assert.ok(Math.abs(got - want) <= tol * scale, `${label} ${what}: ${got} vs ${want}`);
  let traceAll = 0,
    gSqAll = 0;
  for (const ls of stats.layers) {
    const gs = perLayer.get(ls.layer)!;
    const G = new Float64Array(gs[0].length);
    for (const g of gs) for (let j = 0; j < G.length; j++) G[j] += g[j] / m;
    const gSq = dot(G, G);
    close(ls.gradNorm, Math.sqrt(gSq), Math.sqrt(gSq), `layer ${ls.layer} ‖G‖`);
    let sumSq = 0;
    for (let i = 0; i < m; i++) {
      const sq = dot(gs[i], gs[i]);
      sumSq += sq;
      close(ls.perExampleNorms[i], Math.sqrt(sq), Math.sqrt(sq), `layer ${ls.layer} ‖g${i}‖`);
      const cos = sq > 0 ? dot(gs[i], G) / Math.sqrt(sq * gSq) : 0;
      close(ls.cosineToMean[i], cos, 1, `layer ${ls.layer} cos(g${i}, G)`);
    }
    // tr(Σ) straight from its definition: Σᵢ ‖gᵢ − G‖² / (M − 1)
    let trace = 0;
    for (const g of gs) for (let j = 0; j < G.length; j++) trace += (g[j] - G[j]) ** 2 / (m - 1);
    assert.ok(Math.abs(trace - (sumSq - m * gSq) / (m - 1)) <= 1e-9 * trace);
    close(ls.noiseScale, trace / gSq, trace / gSq, `layer ${ls.layer} B_simple`);
    traceAll += trace;
    gSqAll += gSq;
    // the selected parameter's per-example values: the middle weight and the last bias entry
    const info = trainer.layers.find((l) => l.index === ls.layer)!;
    const wSize = info.params[0].shape.reduce((a, b) => a * b, 1);
    for (const [kind, index, offset] of [
      ['weight', wSize >> 1, wSize >> 1],
      ['bias', info.params[1].shape[0] - 1, G.length - 1],
    ] as const) {
      const values = trainer.perExampleGradient({ layer: ls.layer, kind, index });
      const scale = Math.max(...gs.map((g) => Math.abs(g[offset])), 1e-30);
      values.forEach((v, i) => close(v, gs[i][offset], scale, `layer ${ls.layer} ${kind}[${index}] example ${i}`));
    }
  }
  close(stats.noiseScale, traceAll / gSqAll, traceAll / gSqAll, 'model-wide B_simple');
}

async function backends(): Promise<{ name: string; make: () => Backend; tol: number }[]> {
  const wasm = await loadWasm();
  return [
    { name: 'reference float64', make: () => referenceBackend('float64'), tol: 1e-9 },
    // float32 all through (the materialised reference starts from the float32 weights in float64)
    { name: 'wasm float32', make: () => wasm.createWasmBackendSync(), tol: 2e-4 },
  ];
}

for (const c of cases)
  test(`${c.name}: full statistics equal those of the materialised float64 gᵢ (reference and WASM backends)`, async () => {
    for (const b of await backends()) {
      const spec = makeSpec(c.layers, {
        batchSize: c.m,
        dtype: b.make().dtype,
        optimizer: optimizer({ learningRate: 0.05 }),
      });
      const data = randomDataset(31, c.m * 2, c.shape, CLASSES);
      if (c.zeros) data.x.forEach((_, j) => (j * 0.618034) % 1 < c.zeros! && (data.x[j] = 0));
      const trainer = new Trainer({ spec, train: data, validation: null, backend: b.make(), stats: 'full' });
      const stats = trainer.trainStep();
      check(stats, trainer, materialised(trainer, c, data), c.m, b.tol, `${c.name} on ${b.name}`);
    }
  });
