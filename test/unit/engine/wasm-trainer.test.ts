// The whole engine on the WASM backend against the plain-TS float32 reference backend: same spec,
// same seed, a few training steps of an MLP and of a small CNN (stride 2, same and valid padding)
// must give the same losses, statistics and weights to float32 tolerance.
import { test, before } from 'node:test';
import { makeSpec, optimizer } from '../specs';
import { loadEngine, type EngineModule, type WasmModule } from './wasmFixtures';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/engine/random';
import type { Dataset } from '../../../src/data/dataset';
import type { LayerSpec, ModelSpec } from '../../../src/model/spec';

let engine: EngineModule;
let wasm: WasmModule;
before(async () => ({ engine, wasm } = await loadEngine()));

function randomImages(count: number, shape: number[], classes: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(count * size);
  // MNIST-like: mostly zeros, some ink, so ReLU kinks and zero-skipping paths are exercised
  for (let i = 0; i < x.length; i++) x[i] = rng.next() < 0.6 ? 0 : rng.next();
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) y[i] = rng.int(classes);
  return { name: 'random', inputShape: shape, numClasses: classes, count, x, y };
}

function spec(layers: LayerSpec[], loss: 'cross-entropy' | 'mse', type: 'sgd' | 'adam', batchSize: number): ModelSpec {
  const learningRate = type === 'sgd' ? 0.05 : 0.003;
  const opt = optimizer({ type, learningRate, momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
  return makeSpec(layers, {
    name: 'wasm-vs-reference',
    dtype: 'float32',
    data: { source: 'mnist', validationSplit: 0 },
    loss,
    optimizer: opt,
    batchSize,
    epochs: 2,
  });
}

function relClose(a: number, b: number, tol: number): boolean {
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
}

function compareRuns(s: ModelSpec, data: Dataset, steps: number): void {
  const ref = new engine.Trainer({
    spec: s,
    train: data,
    validation: null,
    backend: engine.referenceBackend('float32'),
    stats: 'full',
  });
  const fast = new engine.Trainer({
    spec: s,
    train: data,
    validation: null,
    backend: wasm.createWasmBackendSync({ initialBytes: 16 << 20 }),
    stats: 'full',
  });
  assert.equal(fast.backendName, 'wasm-simd');
  for (let step = 0; step < steps; step++) {
    const a = ref.trainStep(),
      b = fast.trainStep();
    assert.deepEqual(b.exampleIndices, a.exampleIndices);
    assert.ok(relClose(a.loss, b.loss, 1e-5), `step ${step + 1}: loss ${b.loss} (wasm) vs ${a.loss} (reference)`);
    assert.deepEqual(b.predictions, a.predictions, `step ${step + 1}: predictions`);
    for (let l = 0; l < a.layers.length; l++) {
      const la = a.layers[l],
        lb = b.layers[l];
      assert.ok(
        relClose(la.gradNorm, lb.gradNorm, 1e-4),
        `step ${step + 1} layer ${la.layer}: gradNorm ${lb.gradNorm} vs ${la.gradNorm}`,
      );
      for (let i = 0; i < la.perExampleNorms.length; i++) {
        assert.ok(
          relClose(la.perExampleNorms[i], lb.perExampleNorms[i], 1e-4),
          `step ${step + 1} layer ${la.layer} example ${i}: ‖gᵢ‖ ${lb.perExampleNorms[i]} vs ${la.perExampleNorms[i]}`,
        );
      }
    }
  }
  // the weights after the steps, and the full per-example gradient tensors of the last step
  const wa = ref.getWeights(),
    wb = fast.getWeights();
  for (let t = 0; t < wa.length; t++) {
    let worst = 0,
      scale = 0;
    for (let i = 0; i < wa[t].value.length; i++) {
      worst = Math.max(worst, Math.abs(wa[t].value[i] - wb[t].value[i]));
      scale = Math.max(scale, Math.abs(wa[t].value[i]));
    }
    assert.ok(worst <= 1e-4 * Math.max(1, scale), `${wa[t].name}: max |Δ| ${worst} after ${steps} steps`);
    const ga = ref.perExampleGradients(wa[t].layer, wa[t].kind),
      gb = fast.perExampleGradients(wb[t].layer, wb[t].kind);
    assert.equal(gb.length, ga.length);
    let gScale = 0,
      gWorst = 0;
    for (let i = 0; i < ga.length; i++) {
      gScale = Math.max(gScale, Math.abs(ga[i]));
      gWorst = Math.max(gWorst, Math.abs(ga[i] - gb[i]));
    }
    assert.ok(
      gWorst <= 1e-4 * Math.max(1e-3, gScale),
      `${wa[t].name}: per-example gradients differ by ${gWorst} (scale ${gScale})`,
    );
  }
}

test('MLP (relu, leaky-relu, tanh; cross-entropy; SGD Nesterov + weight decay): WASM = reference', () => {
  const data = randomImages(45, [1, 7, 9], 5, 11); // 45 = 3 full batches of 13 + a partial one of 6
  compareRuns(
    spec(
      [
        { type: 'dense', units: 33, activation: 'relu' },
        { type: 'dense', units: 13, activation: 'leaky-relu' },
        { type: 'dense', units: 7, activation: 'tanh' },
        { type: 'dense', units: 5, activation: 'linear' },
      ],
      'cross-entropy',
      'sgd',
      13,
    ),
    data,
    5,
  );
});

test('CNN (conv same + stride-2 valid, maxpool, sigmoid; MSE; Adam): WASM = reference', () => {
  const data = randomImages(20, [2, 11, 11], 3, 12);
  compareRuns(
    spec(
      [
        { type: 'conv2d', filters: 5, kernelSize: 3, stride: 1, padding: 'same', activation: 'relu' },
        { type: 'maxpool2d', poolSize: 2, stride: 2 },
        { type: 'conv2d', filters: 6, kernelSize: 3, stride: 2, padding: 'valid', activation: 'linear' },
        { type: 'sigmoid' },
        { type: 'flatten' },
        { type: 'dense', units: 3, activation: 'linear' },
      ],
      'mse',
      'adam',
      8,
    ),
    data,
    4,
  );
});
