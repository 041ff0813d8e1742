// Shape and padding arithmetic (src/model/shapes.ts) against TensorFlow's `same`/`valid` rule
// worked out by hand, and the engine's convolution against a direct float64 convolution written
// from the definition (zero padding, extra padding at the bottom/right), so a wrong padding
// offset shows as a wrong loss even though the gradient checks (which use the engine's own
// forward pass) would still agree with it.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Trainer, referenceBackend } from '../../../src/engine';
import type { Dataset } from '../../../src/data/dataset';
import type { LayerSpec, ModelSpec } from '../../../src/model/spec';
import { inferShapes, layerOutputShape, window2d } from '../../../src/model/shapes';
import { close, optimizer, type Weights } from './reference';

test('window2d: same padding splits the padding with the extra row and column at the bottom and right', () => {
  // h = 5, k = 3, s = 2: out ⌈5/2⌉ = 3, padding (3−1)·2 + 3 − 5 = 2 → 1 on top, 1 below.
  assert.deepEqual(window2d(5, 5, 3, 2, 'same'), { top: 1, left: 1, outH: 3, outW: 3 });
  // h = 6, k = 3, s = 2: out 3, padding 4 + 3 − 6 = 1 → 0 on top, 1 below.
  assert.deepEqual(window2d(6, 6, 3, 2, 'same'), { top: 0, left: 0, outH: 3, outW: 3 });
  // h = 7, w = 4, k = 5, s = 1: padding 4 and 4 → 2 and 2; rows and columns independently.
  assert.deepEqual(window2d(7, 4, 5, 1, 'same'), { top: 2, left: 2, outH: 7, outW: 4 });
  // h = 8, w = 3, k = 4, s = 3: out 3 and 1; padding 6 + 4 − 8 = 2 and max(0 + 4 − 3, 0) = 1.
  assert.deepEqual(window2d(8, 3, 4, 3, 'same'), { top: 1, left: 0, outH: 3, outW: 1 });
  // Stride larger than the kernel: (⌈9/4⌉ − 1)·4 + 2 − 9 = −1 → no padding at all.
  assert.deepEqual(window2d(9, 9, 2, 4, 'same'), { top: 0, left: 0, outH: 3, outW: 3 });
  // valid: ⌊(h − k)/s⌋ + 1, no padding.
  assert.deepEqual(window2d(7, 6, 3, 2, 'valid'), { top: 0, left: 0, outH: 3, outW: 2 });
  assert.deepEqual(window2d(4, 4, 4, 1, 'valid'), { top: 0, left: 0, outH: 1, outW: 1 });
});

test('layer shapes: every layer type, and the errors name what does not fit', () => {
  const conv = (k: number, padding: 'same' | 'valid', stride = 1): LayerSpec => ({
    type: 'conv2d',
    filters: 4,
    kernelSize: k,
    stride,
    padding,
    activation: 'relu',
  });
  const pool = (p: number, stride = p): LayerSpec => ({ type: 'maxpool2d', poolSize: p, stride });
  assert.deepEqual(layerOutputShape(conv(3, 'same', 2), [2, 5, 6], false), { ok: true, shape: [4, 3, 3] });
  assert.deepEqual(layerOutputShape(pool(2), [3, 5, 4], false), { ok: true, shape: [3, 2, 2] });
  assert.deepEqual(layerOutputShape({ type: 'flatten' }, [3, 2, 2], false), { ok: true, shape: [12] });
  assert.deepEqual(
    layerOutputShape({ type: 'dense', units: 7, activation: 'relu' }, [1, 4, 4], true),
    { ok: true, shape: [7] },
    'a first dense layer reads an image flattened',
  );
  assert.deepEqual(layerOutputShape({ type: 'dense', units: 7, activation: 'relu' }, [1, 4, 4], false), {
    ok: false,
    message: 'a dense layer needs a flat input, got shape [1, 4, 4]; add { "type": "flatten" } before it',
  });
  assert.deepEqual(layerOutputShape(conv(3, 'valid'), [3, 4], false), {
    ok: false,
    message: 'conv2d needs an image input [channels, height, width], got shape [3, 4]',
  });
  assert.deepEqual(layerOutputShape(pool(2), [12], false), {
    ok: false,
    message: 'maxpool2d needs an image input [channels, height, width], got shape [12]',
  });
  assert.deepEqual(layerOutputShape(conv(5, 'valid'), [1, 4, 9], false), {
    ok: false,
    message: 'kernel 5×5 is larger than its input 4×9',
  });
  assert.deepEqual(
    layerOutputShape(conv(5, 'valid'), [1, 9, 4], false),
    { ok: false, message: 'kernel 5×5 is larger than its input 9×4' },
    'too narrow alone is enough',
  );
  assert.deepEqual(layerOutputShape(pool(3), [2, 2, 8], false), {
    ok: false,
    message: 'pool window 3×3 is larger than its input 2×8',
  });
  assert.deepEqual(
    layerOutputShape(conv(4, 'valid'), [1, 4, 4], false),
    { ok: true, shape: [4, 1, 1] },
    'a kernel as large as the input fits',
  );
  assert.deepEqual(
    layerOutputShape(conv(5, 'same'), [1, 3, 3], false),
    { ok: true, shape: [4, 3, 3] },
    'same padding lets a kernel exceed the input',
  );
  const input = [2, 3];
  const r = layerOutputShape({ type: 'relu' } as LayerSpec, input, false);
  assert.ok(r.ok);
  assert.deepEqual(r.shape, [2, 3]);
  r.shape.push(9);
  assert.deepEqual(input, [2, 3], 'an activation layer returns a copy: a caller extending it does not change the input');
  const all = inferShapes(
    [conv(3, 'same', 2), pool(2), { type: 'flatten' }, { type: 'dense', units: 3, activation: 'linear' }],
    [1, 8, 8],
  );
  assert.deepEqual(all, { shapes: [[4, 4, 4], [4, 2, 2], [16], [3]], error: null });
  const bad = inferShapes([conv(3, 'valid'), conv(3, 'valid'), conv(3, 'valid')], [1, 6, 6]);
  assert.deepEqual(bad, {
    shapes: [
      [4, 4, 4],
      [4, 2, 2],
    ],
    error: { layer: 2, message: 'kernel 3×3 is larger than its input 2×2' },
  });
});

/** conv (channels-first, weights [F, C, k, k]) → flatten → dense → softmax cross-entropy, by definition. */
function convNetLoss(
  weights: Weights[],
  x: ArrayLike<number>,
  label: number,
  c: number,
  h: number,
  w: number,
  k: number,
  stride: number,
  padding: 'same' | 'valid',
  filters: number,
  classes: number,
): number {
  const W = weights.find((t) => t.name === 'layers[0].weight')!.value;
  const b = weights.find((t) => t.name === 'layers[0].bias')!.value;
  let outH: number, outW: number, top: number, left: number;
  if (padding === 'valid') {
    outH = Math.floor((h - k) / stride) + 1;
    outW = Math.floor((w - k) / stride) + 1;
    top = 0;
    left = 0;
  } else {
    outH = Math.ceil(h / stride);
    outW = Math.ceil(w / stride);
    top = Math.floor(Math.max((outH - 1) * stride + k - h, 0) / 2);
    left = Math.floor(Math.max((outW - 1) * stride + k - w, 0) / 2);
  }
  const feat: number[] = [];
  for (let f = 0; f < filters; f++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        let s = b[f];
        for (let ci = 0; ci < c; ci++) {
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) {
              const iy = oy * stride + ky - top,
                ix = ox * stride + kx - left;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              s += W[((f * c + ci) * k + ky) * k + kx] * x[(ci * h + iy) * w + ix];
            }
          }
        }
        feat.push(Math.tanh(s));
      }
    }
  }
  const D = weights.find((t) => t.name === 'layers[2].weight')!.value;
  const db = weights.find((t) => t.name === 'layers[2].bias')!.value;
  const z = db.map((bias, j) => feat.reduce((s, v, r) => s + v * D[r * classes + j], bias));
  const max = Math.max(...z);
  return max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0)) - z[label];
}

for (const [k, stride, padding, h, w] of [
  [3, 2, 'same', 5, 6],
  [3, 2, 'same', 6, 5],
  [4, 3, 'same', 8, 7],
  [2, 1, 'same', 4, 4],
  [3, 2, 'valid', 7, 6],
] as const) {
  test(`conv2d ${k}×${k} stride ${stride} ${padding} on ${h}×${w}: per-example losses equal a direct float64 convolution`, () => {
    const c = 2,
      filters = 3,
      classes = 3,
      count = 6;
    let s = 12345 + k * 7 + h;
    const rnd = (): number => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return (s / 2147483648) * 2 - 1;
    };
    const x = new Float32Array(count * c * h * w).map(() => rnd());
    const y = Int32Array.from({ length: count }, (_, i) => i % classes);
    const train: Dataset = { name: 'img', inputShape: [c, h, w], numClasses: classes, count, x, y };
    const spec: ModelSpec = {
      name: 'conv',
      seed: 3,
      dtype: 'float64',
      data: { source: 'img', validationSplit: 0 },
      layers: [
        { type: 'conv2d', filters, kernelSize: k, stride, padding, activation: 'tanh' },
        { type: 'flatten' },
        { type: 'dense', units: classes, activation: 'linear' },
      ],
      loss: 'cross-entropy',
      optimizer: optimizer({ learningRate: 0 }),
      batchSize: count,
      epochs: 1,
    };
    const trainer = new Trainer({ spec, train, validation: null, backend: referenceBackend('float64') });
    // Non-zero biases and visible weights everywhere, so border pixels matter.
    const weights = trainer.getWeights().map((t) => ({ ...t, value: t.value.map((v, i) => v + 0.05 * Math.sin(i + 1)) }));
    trainer.setWeights(weights);
    const stats = trainer.trainStep();
    stats.exampleIndices.forEach((ex, i) => {
      const size = c * h * w;
      const ref = convNetLoss(
        weights,
        x.subarray(ex * size, (ex + 1) * size),
        y[ex],
        c,
        h,
        w,
        k,
        stride,
        padding,
        filters,
        classes,
      );
      close(stats.perExampleLoss[i], ref, 1e-10, `example ${ex} loss`);
    });
  });
}
