// The layers (src/engine/layers/) beyond what the finite-difference and per-example tests check:
// the labels the panel and the debugger show for each layer, written out by hand here, and the
// error a per-example question gets before the layer has run forward.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Network } from '../../../src/engine/network';
import { referenceBackend } from '../../../src/engine/reference';
import type { ParamLayer } from '../../../src/engine/layers/layer';
import { conv, countingBackend, dense, makeSpec } from '../engine/helpers';

test('each layer type is labelled with its sizes, its activation (none when linear) and a stride that differs from the window', () => {
  const spec = makeSpec([
    conv(3, 3, 1, 'valid'),
    conv(2, 2, 1, 'same', 'tanh'),
    { type: 'maxpool2d', poolSize: 2, stride: 2 },
    { type: 'maxpool2d', poolSize: 2, stride: 1 },
    { type: 'flatten' },
    dense(5, 'relu'),
    { type: 'leaky-relu' },
    dense(3),
  ]);
  const net = new Network(spec, [1, 9, 8], referenceBackend('float64'), 2);
  assert.deepEqual(
    net.layers.map((l) => l.label),
    [
      'conv2d 3×3×3 valid',
      'conv2d 2×2×2 same tanh',
      'maxpool2d 2×2',
      'maxpool2d 2×2 /1',
      'flatten [2×2×2]→8',
      'dense 8→5 relu',
      'leaky-relu',
      'dense 5→3',
    ],
  );
  const strided = new Network(
    makeSpec([conv(2, 3, 2, 'valid', 'relu'), conv(1, 2, 3, 'same')]),
    [1, 9, 9],
    referenceBackend('float64'),
    1,
  );
  assert.deepEqual(
    strided.layers.map((l) => l.label),
    ['conv2d 3×3×2 /2 valid relu', 'conv2d 2×2×1 /3 same'],
  );
  assert.deepEqual(
    net.layers.map((l) => l.type),
    ['conv2d', 'conv2d', 'maxpool2d', 'maxpool2d', 'flatten', 'dense', 'leaky-relu', 'dense'],
  );
});

test('a dense layer asked for per-example gradients before its first forward pass says so', () => {
  const net = new Network(makeSpec([dense(3), dense(2)]), [4], referenceBackend('float64'), 2);
  const layer = net.layers[1] as ParamLayer;
  const message = /^layers\[1\] has not run forward yet$/;
  assert.throws(() => layer.perExampleScalar('weight', 0, 2), { message });
  assert.throws(() => layer.perExampleTensor('weight', 2), { message });
  assert.throws(() => layer.perExampleSquaredNorms(2, new Float64Array(2)), { message });
  assert.throws(() => layer.backward(net.outputGrad, 2), { message });
});

/** A dense layer of in → out on a backend that records which kernels the per-example statistics call. */
function denseStatsCalls(inSize: number, outSize: number, m: number, both: boolean): string[] {
  const inner = referenceBackend('float64');
  const calls: string[] = [];
  const backend = {
    ...inner,
    denseGramStats: (...args: Parameters<typeof inner.denseGramStats>) => {
      calls.push('gram');
      inner.denseGramStats(...args);
    },
    denseNormsSquared: (...args: Parameters<typeof inner.denseNormsSquared>) => {
      calls.push('norms');
      inner.denseNormsSquared(...args);
    },
    gemm: (...args: Parameters<typeof inner.gemm>) => {
      calls.push('gemm');
      inner.gemm(...args);
    },
  };
  const net = new Network(makeSpec([dense(outSize)]), [inSize], backend, m);
  net.input.fill(0.5);
  net.forward(m);
  net.outputGrad.fill(0.25);
  net.backward(m);
  calls.length = 0;
  const layer = net.layers[0] as ParamLayer;
  if (both) layer.perExampleNormsAndDots!(m, new Float64Array(m), new Float64Array(m));
  else layer.perExampleDotsWithMean(m, new Float64Array(m));
  return calls;
}

test("a dense layer's cosines go through the Gram matrices exactly when m·(in + out) < c·in·out (c = 2 up to 256 inputs, else 1)", () => {
  // [in, out, m, Gram?]: by hand from the rule in dense.ts's gramIsCheaper
  const cases: [number, number, number, boolean][] = [
    [4, 3, 3, true], // 21 < 24
    [4, 3, 4, false], // 28 ≥ 24
    [4, 4, 4, false], // 32 = 32: not cheaper
    [4, 4, 3, true], // 24 < 32
    [256, 1, 1, true], // 257 < 2·256
    [257, 1, 1, false], // 258 ≥ 1·257
    [300, 2, 1, true], // 302 < 600
    [300, 2, 2, false], // 604 ≥ 600
  ];
  for (const [inSize, outSize, m, gram] of cases) {
    const what = `${inSize}→${outSize}, m = ${m}`;
    // dots only: the Gram kernel, or one gemm (A·G_W)
    assert.deepEqual(denseStatsCalls(inSize, outSize, m, false), gram ? ['gram'] : ['gemm'], `dots ${what}`);
    // norms and dots: the Gram kernel gives both, else the norms kernel and the gemm
    assert.deepEqual(denseStatsCalls(inSize, outSize, m, true), gram ? ['gram'] : ['norms', 'gemm'], `both ${what}`);
  }
});

test("a dense layer's per-example statistics write entries 0 … m−1 of their output only (the Gram path and the direct one)", () => {
  // [in, out]: 4→3 at m = 2 goes through the Gram matrices, 2→2 at m = 2 directly (by the rule above)
  for (const [inSize, outSize] of [
    [4, 3],
    [2, 2],
  ]) {
    const m = 2;
    const net = new Network(makeSpec([dense(outSize)]), [inSize], referenceBackend('float64'), 4);
    net.input.fill(0.5);
    net.forward(m);
    net.outputGrad.fill(0.25);
    net.backward(m);
    const layer = net.layers[0] as ParamLayer;
    const [dots, norms] = [new Float64Array(m + 1).fill(7), new Float64Array(m + 1).fill(7)];
    layer.perExampleDotsWithMean(m, dots);
    layer.perExampleNormsAndDots!(m, norms, dots);
    assert.equal(dots[m], 7, `${inSize}→${outSize} dots[m]`);
    assert.equal(norms[m], 7, `${inSize}→${outSize} norms[m]`);
  }
});

test("a dense layer's per-example weight tensor takes one maxBatch × in × out buffer, allocated on first use and reused", () => {
  const { backend, elements } = countingBackend('float64');
  const net = new Network(makeSpec([dense(3)]), [4], backend, 5);
  net.input.fill(0.5);
  net.forward(2);
  net.outputGrad.fill(0.25);
  net.backward(2);
  const layer = net.layers[0] as ParamLayer;
  const before = elements();
  assert.equal(layer.perExampleTensor('weight', 2).length, 2 * 12);
  assert.equal(elements() - before, 5 * 4 * 3);
  assert.equal(layer.perExampleTensor('weight', 5).length, 5 * 12);
  assert.equal(elements() - before, 5 * 4 * 3);
});

test('the layers without parameters compute their function: max over each window, the activation, the flat copy (by hand)', () => {
  const be = referenceBackend('float64');
  // one example 1×4×5: 2×2 windows of stride 2 over rows 0–3 and columns 0–3 (column 4 left over)
  const image = [3, -1, 0, 7, 9, 2, 5, -4, 1, 9, -6, -2, 8, 8, 9, 4, -3, -5, 0, 9];
  const pool = new Network(makeSpec([{ type: 'maxpool2d', poolSize: 2, stride: 2 }]), [1, 4, 5], be, 1);
  pool.input.set(image);
  assert.deepEqual(Array.from(pool.forward(1)), [5, 7, 4, 8]);
  // overlapping 3×3 windows of stride 1: 2 rows × 3 columns of maxima
  const overlap = new Network(makeSpec([{ type: 'maxpool2d', poolSize: 3, stride: 1 }]), [1, 4, 5], be, 1);
  overlap.input.set(image);
  assert.deepEqual(Array.from(overlap.forward(1)), [8, 8, 9, 8, 8, 9]);
  // two examples of 1×2×2 through flatten, then relu, then tanh
  const x = [0.5, -2, 3, -0.25, -1, 2, 0, 4];
  const chain = new Network(makeSpec([{ type: 'flatten' }, { type: 'relu' }, { type: 'tanh' }]), [1, 2, 2], be, 2);
  chain.input.set(x);
  const out = chain.forward(2);
  assert.deepEqual(Array.from(chain.layers[0].output), x);
  assert.deepEqual(
    Array.from(chain.layers[1].output),
    x.map((v) => Math.max(0, v)),
  );
  assert.deepEqual(
    Array.from(out),
    x.map((v) => Math.tanh(Math.max(0, v))),
  );
});

test('a conv layer on one thread adds its bias and runs its activation once forward, its derivative once backward (no activation when linear)', () => {
  for (const activation of ['relu', 'tanh', 'linear'] as const) {
    const inner = referenceBackend('float64');
    // values each pass touched: the bias added, the activation applied, its derivative
    const done = { bias: 0, activation: 0, backward: 0 };
    const backend = {
      ...inner,
      channelBiasActivation: (...args: Parameters<typeof inner.channelBiasActivation>) => {
        const [m, channels, positions, act] = args;
        done.bias += m * channels * positions;
        if (act !== 'linear') done.activation += m * channels * positions;
        inner.channelBiasActivation(...args);
      },
      biasActivation: (...args: Parameters<typeof inner.biasActivation>) => {
        const [m, n, act, , bias] = args;
        if (bias !== null) done.bias += m * n;
        if (act !== 'linear') done.activation += m * n;
        inner.biasActivation(...args);
      },
      activationBackward: (...args: Parameters<typeof inner.activationBackward>) => {
        done.backward += args[0];
        inner.activationBackward(...args);
      },
    };
    // 1×5×5 → 2 filters × 5×5 (same), batch 3: 150 values
    const net = new Network(makeSpec([conv(2, 3, 1, 'same', activation)]), [1, 5, 5], backend, 3);
    net.input.fill(0.5);
    net.forward(3);
    net.outputGrad.fill(0.25);
    net.backward(3);
    assert.deepEqual(done, { bias: 150, activation: activation === 'linear' ? 0 : 150, backward: 150 }, activation);
  }
});
