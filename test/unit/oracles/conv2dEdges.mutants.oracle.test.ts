// The conv2d layer (src/engine/layers/conv2d.ts) against a direct convolution written here as
// plain float64 loops over the input pixels (no im2col, no gemm): the forward output, the
// per-example weight and bias gradients, their norms, their dots with the batch gradient, the batch
// gradient and the input gradient, on one thread, in chunks smaller than the batch, and on a backend
// that splits the batch into two parts. The output sizes and paddings are worked out by hand
// (TensorFlow's `same`: total pad = max((out − 1)·s + k − size, 0), the smaller half before).
// Also what the layer allocates (by arithmetic) and where the activation runs on a splitting backend.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Conv2dLayer } from '../../../src/engine/layers/conv2d';
import { referenceBackend } from '../../../src/engine/reference';
import type { Backend } from '../../../src/engine/backend';
import type { Activation } from '../../../src/model/spec';

type Act = 'linear' | 'relu' | 'tanh' | 'sigmoid';

/** y = f(z) and g·f′(z), by hand. */
const ACT: Record<Act, { f: (z: number) => number; d: (z: number, g: number) => number }> = {
  linear: { f: (z) => z, d: (_z, g) => g },
  relu: { f: (z) => (z > 0 ? z : 0), d: (z, g) => (z > 0 ? g : 0) },
  tanh: { f: Math.tanh, d: (z, g) => g * (1 - Math.tanh(z) ** 2) },
  sigmoid: {
    f: (z) => 1 / (1 + Math.exp(-z)),
    d: (z, g) => {
      const s = 1 / (1 + Math.exp(-z));
      return g * s * (1 - s);
    },
  },
};

/** A small deterministic stream of values in (−1, 1) (a 31-bit LCG), away from 0 by at least 0.05. */
function values(n: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
    const u = s / 0x7fffffff; // [0, 1)
    out[i] = (u < 0.5 ? -1 : 1) * (0.05 + 0.95 * Math.abs(2 * u - 1));
  }
  return out;
}

interface Case {
  C: number;
  H: number;
  W: number;
  F: number;
  k: number;
  s: number;
  padding: 'same' | 'valid';
  act: Act;
  /** By hand: the output size and the zero rows/columns before the image. */
  outH: number;
  outW: number;
  top: number;
  left: number;
}

/** Everything the layer computes, the direct way, for m examples x (m × C·H·W) and upstream gradients g (m × F·outH·outW). */
function direct(c: Case, w: Float64Array, b: Float64Array, x: Float64Array, g: Float64Array, m: number) {
  const { C, H, W, F, k, s, outH, outW, top, left } = c;
  const P = outH * outW;
  const K = C * k * k;
  const at = (i: number, ch: number, y: number, xx: number) => i * C * H * W + (ch * H + y) * W + xx;
  const z = new Float64Array(m * F * P);
  const y = new Float64Array(m * F * P);
  const delta = new Float64Array(m * F * P);
  const gw = new Float64Array(m * F * K);
  const gb = new Float64Array(m * F);
  const dx = new Float64Array(m * C * H * W);
  for (let i = 0; i < m; i++)
    for (let f = 0; f < F; f++)
      for (let oy = 0; oy < outH; oy++)
        for (let ox = 0; ox < outW; ox++) {
          let sum = b[f];
          for (let ch = 0; ch < C; ch++)
            for (let ky = 0; ky < k; ky++)
              for (let kx = 0; kx < k; kx++) {
                const iy = oy * s - top + ky,
                  ix = ox * s - left + kx;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                sum += w[((f * C + ch) * k + ky) * k + kx] * x[at(i, ch, iy, ix)];
              }
          const o = (i * F + f) * P + oy * outW + ox;
          z[o] = sum;
          y[o] = ACT[c.act].f(sum);
          delta[o] = ACT[c.act].d(sum, g[o]);
        }
  for (let i = 0; i < m; i++)
    for (let f = 0; f < F; f++)
      for (let oy = 0; oy < outH; oy++)
        for (let ox = 0; ox < outW; ox++) {
          const d = delta[(i * F + f) * P + oy * outW + ox];
          gb[i * F + f] += d;
          for (let ch = 0; ch < C; ch++)
            for (let ky = 0; ky < k; ky++)
              for (let kx = 0; kx < k; kx++) {
                const iy = oy * s - top + ky,
                  ix = ox * s - left + kx;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                const wi = ((f * C + ch) * k + ky) * k + kx;
                gw[i * F * K + wi] += d * x[at(i, ch, iy, ix)];
                dx[at(i, ch, iy, ix)] += d * w[wi];
              }
        }
  const meanW = new Float64Array(F * K);
  const meanB = new Float64Array(F);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < F * K; j++) meanW[j] += gw[i * F * K + j] / m;
    for (let j = 0; j < F; j++) meanB[j] += gb[i * F + j] / m;
  }
  const norms: number[] = [];
  const dots: number[] = [];
  for (let i = 0; i < m; i++) {
    let n2 = 0,
      dot = 0;
    for (let j = 0; j < F * K; j++) {
      n2 += gw[i * F * K + j] ** 2;
      dot += gw[i * F * K + j] * meanW[j];
    }
    for (let j = 0; j < F; j++) {
      n2 += gb[i * F + j] ** 2;
      dot += gb[i * F + j] * meanB[j];
    }
    norms.push(n2);
    dots.push(dot);
  }
  return { z, y, delta, gw, gb, dx, meanW, meanB, norms, dots };
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, n = expected.length): void {
  assert.ok(actual.length >= n, `${what}: length ${actual.length} < ${n}`);
  let scale = 1e-300;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < n; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    assert.ok(err <= 1e-12 * scale, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

/** The reference backend splitting every batch into two parts, [0, ⌈m/2⌉) and [⌈m/2⌉, m), run one after the other (as the WASM backend's two threads would). */
function splittingBackend(inner: Backend, log?: string[]): Backend {
  const tag = (name: string): Backend => ({
    ...inner,
    channelBiasActivation: (...args: Parameters<Backend['channelBiasActivation']>) => {
      log?.push(`${name} channelBiasActivation ${args[0]} ${args[3]}`);
      inner.channelBiasActivation(...args);
    },
    activationBackward: (...args: Parameters<Backend['activationBackward']>) => {
      log?.push(`${name} activationBackward ${args[0]} ${args[1]}`);
      inner.activationBackward(...args);
    },
  });
  const parts = [tag('part0'), tag('part1')];
  const self: Backend = {
    ...tag('main'),
    biasActivation: (...args: Parameters<Backend['biasActivation']>) => {
      log?.push(`main biasActivation ${args[0]}×${args[1]} ${args[2]} ${args[4] === null ? 'no bias' : 'bias'}`);
      inner.biasActivation(...args);
    },
    splitExamples: (m, run) => {
      const h = Math.ceil(m / 2);
      run(parts[0], 0, h, 0);
      run(parts[1], h, m, 1);
    },
  };
  return self;
}

/** The reference backend refusing a gemmEach whose B or C holds fewer than `count` matrices (the contract: a WASM kernel would read and write past them). */
function strict(inner: Backend): Backend {
  return {
    ...inner,
    gemmEach: (count, m, n, k, a, b, c) => {
      assert.ok(b.length >= count * k * n, `gemmEach: B holds ${b.length} < ${count}·${k}·${n}`);
      assert.ok(c.length >= count * m * n, `gemmEach: C holds ${c.length} < ${count}·${m}·${n}`);
      inner.gemmEach(count, m, n, k, a, b, c);
    },
  };
}

function build(c: Case, backend: Backend, maxBatch: number, chunk: number, needsInputGrad: boolean, seed: number) {
  const K = c.C * c.k * c.k;
  const w = values(c.F * K, seed);
  const b = values(c.F, seed + 1);
  const weight = backend.alloc(c.F * K);
  weight.set(w);
  const bias = backend.alloc(c.F);
  bias.set(b);
  const layer = new Conv2dLayer(
    2,
    [c.C, c.H, c.W],
    { filters: c.F, kernelSize: c.k, stride: c.s, padding: c.padding },
    c.act as Activation,
    { weight, bias },
    { backend, maxBatch, needsInputGrad, chunk },
  );
  return { layer, w, b };
}

/** Runs forward and backward on m examples and checks every output against the direct computation. */
function check(c: Case, backend: Backend, maxBatch: number, chunk: number, m: number, what: string): void {
  const { layer, w, b } = build(c, backend, maxBatch, chunk, true, 17);
  const P = c.outH * c.outW;
  const K = c.C * c.k * c.k;
  assert.deepEqual(layer.outputShape, [c.F, c.outH, c.outW], `${what} shape`);
  assert.equal(layer.positionsPerUnit, P, `${what} positionsPerUnit`);
  assert.deepEqual(
    [layer.geometry.padTop, layer.geometry.padLeft, layer.geometry.outH, layer.geometry.outW],
    [c.top, c.left, c.outH, c.outW],
    `${what} geometry`,
  );
  const x = values(maxBatch * c.C * c.H * c.W, 5);
  const g = values(maxBatch * c.F * P, 9);
  const input = backend.alloc(x.length);
  input.set(x);
  const outputGrad = backend.alloc(g.length);
  outputGrad.set(g);
  const want = direct(c, w, b, x, g, m);
  // twice: the second pass must not depend on what the first left in the buffers
  for (const pass of [1, 2]) {
    const tag = `${what} (pass ${pass})`;
    layer.forward(input, m);
    close(layer.preActivation, want.z, `${tag} z`);
    close(layer.output, want.y, `${tag} y`);
    layer.backward(outputGrad, m);
    close(layer.delta, want.delta, `${tag} δ`);
    close(layer.perExampleTensor('weight', m), want.gw, `${tag} gᵢ(W)`);
    close(layer.perExampleTensor('bias', m), want.gb, `${tag} gᵢ(b)`);
    assert.equal(layer.perExampleTensor('weight', m).length, m * c.F * K, `${tag} gᵢ(W) length`);
    assert.equal(layer.perExampleTensor('bias', m).length, m * c.F, `${tag} gᵢ(b) length`);
    close(layer.weight.grad, want.meanW, `${tag} mean gradient W`);
    close(layer.bias.grad, want.meanB, `${tag} mean gradient b`);
    close(layer.inputGrad!, want.dx, `${tag} ∂x`);
    // entries beyond m are not written
    const norms = new Float64Array(maxBatch + 1).fill(-7);
    const dots = new Float64Array(maxBatch + 1).fill(-7);
    layer.perExampleSquaredNorms(m, norms);
    layer.perExampleDotsWithMean(m, dots);
    close(norms, want.norms, `${tag} ‖gᵢ‖²`);
    close(dots, want.dots, `${tag} gᵢ·G`);
    assert.equal(norms[m], -7, `${tag} norms[m]`);
    assert.equal(dots[m], -7, `${tag} dots[m]`);
    // one entry of each kind, for every example: the last weight entry and the last filter's bias
    const last = c.F * K - 1;
    close(
      layer.perExampleScalar('weight', last, m),
      Array.from({ length: m }, (_, i) => want.gw[i * c.F * K + last]),
      `${tag} scalar W`,
    );
    close(
      layer.perExampleScalar('bias', c.F - 1, m),
      Array.from({ length: m }, (_, i) => want.gb[i * c.F + c.F - 1]),
      `${tag} scalar b`,
    );
    assert.equal(layer.perExampleScalar('bias', 0, m).length, m);
  }
}

// 2×5×4 → 3 × 3×2, k 3, stride 2, same: pad rows (3−1)·2 + 3 − 5 = 2 → 1 before; columns (2−1)·2 + 3 − 4 = 1 → 0 before
const strided: Case = { C: 2, H: 5, W: 4, F: 3, k: 3, s: 2, padding: 'same', act: 'relu', outH: 3, outW: 2, top: 1, left: 0 };
// 2×5×4 → 2 × 4×3, k 2, stride 1, valid
const valid: Case = { C: 2, H: 5, W: 4, F: 2, k: 2, s: 1, padding: 'valid', act: 'tanh', outH: 4, outW: 3, top: 0, left: 0 };
// 1×4×6 → 2 × 4×6, k 2, stride 1, same: pad 1 each way, 0 before (all after)
const evenSame: Case = { C: 1, H: 4, W: 6, F: 2, k: 2, s: 1, padding: 'same', act: 'sigmoid', outH: 4, outW: 6, top: 0, left: 0 };
// 3×4×5 → 2 × 4×5, k 3, stride 1, same, linear: pad 2 each way, 1 before
const linear: Case = { C: 3, H: 4, W: 5, F: 2, k: 3, s: 1, padding: 'same', act: 'linear', outH: 4, outW: 5, top: 1, left: 1 };

test('conv2d on one thread, the whole batch in one chunk: every output equals the direct convolution', () => {
  for (const c of [strided, valid, evenSame, linear]) {
    check(c, referenceBackend('float64'), 4, 64, 3, `${c.act} ${c.padding} /${c.s}`);
  }
});

test('conv2d with a batch larger than its chunk (columns unrolled again per chunk) equals the direct convolution', () => {
  for (const c of [strided, valid, linear]) {
    check(c, strict(referenceBackend('float64')), 5, 2, 5, `${c.act} chunk 2 of 5`);
    check(c, strict(referenceBackend('float64')), 5, 2, 3, `${c.act} chunk 2 of 3`);
  }
  // a chunk of 0 is read as 1
  check(strided, referenceBackend('float64'), 3, 0, 3, 'chunk 0');
});

test('conv2d on a backend that splits the batch into two parts equals the direct convolution (every activation)', () => {
  for (const c of [strided, valid, evenSame, linear]) {
    check(c, splittingBackend(strict(referenceBackend('float64'))), 4, 64, 3, `${c.act} split`);
    check(c, splittingBackend(strict(referenceBackend('float64'))), 4, 64, 4, `${c.act} split, m = maxBatch`);
  }
});

test('on a splitting backend, relu runs inside each part; tanh and sigmoid run over the whole batch on this thread (bias in the parts)', () => {
  const run = (act: Act, split: boolean): string[] => {
    const log: string[] = [];
    const inner = referenceBackend('float64');
    const be = splittingBackend(inner, log);
    // without splitExamples: the same logging kernels on one thread
    const backend: Backend = split ? be : { ...be, splitExamples: undefined };
    const c: Case = { ...valid, act };
    const { layer } = build(c, backend, 4, 64, true, 3);
    const input = backend.alloc(4 * 40);
    input.set(values(160, 1));
    const g = backend.alloc(4 * 24);
    g.set(values(96, 2));
    layer.forward(input, 3);
    layer.backward(g, 3);
    return log;
  };
  // valid: 2 filters of 4×3 = 12 positions; parts of 2 and 1 examples; 3·2 = 6 planes, 72 values
  assert.deepEqual(run('relu', true), [
    'part0 channelBiasActivation 2 relu',
    'part1 channelBiasActivation 1 relu',
    'part0 activationBackward 48 relu',
    'part1 activationBackward 24 relu',
  ]);
  for (const act of ['tanh', 'sigmoid'] as const) {
    assert.deepEqual(run(act, true), [
      'part0 channelBiasActivation 2 linear',
      'part1 channelBiasActivation 1 linear',
      `main biasActivation 6×12 ${act} no bias`,
      `main activationBackward 72 ${act}`,
    ]);
    // one thread: tanh and sigmoid are no different from relu
    assert.deepEqual(run(act, false), [`main channelBiasActivation 3 ${act}`, `main activationBackward 72 ${act}`]);
  }
});

test('conv2d allocates, by arithmetic: its parameters, z, y, δ, ∂x, the chunk of columns, one ∂cols block per part, gᵢ(W), gᵢ(b), and two maxBatch reductions on first use', () => {
  for (const split of [false, true]) {
    const inner = referenceBackend('float64');
    const sizes: number[] = [];
    const counting: Backend = {
      ...(split ? splittingBackend(inner) : inner),
      alloc: (n: number) => {
        sizes.push(n);
        return inner.alloc(n);
      },
    };
    // strided: K = 2·3·3 = 18, P = 3·2 = 6, F = 3, input 40 values, output 18; maxBatch 5, chunk 2
    const weight = inner.alloc(54);
    weight.set(values(54, 4));
    const bias = inner.alloc(3);
    const layer = new Conv2dLayer(
      1,
      [2, 5, 4],
      { filters: 3, kernelSize: 3, stride: 2, padding: 'same' },
      'relu',
      { weight, bias },
      { backend: counting, maxBatch: 5, needsInputGrad: true, chunk: 2 },
    );
    assert.deepEqual(
      sizes,
      [
        54, // weight gradient
        3, // bias gradient
        5 * 18, // z
        5 * 18, // y (relu)
        5 * 18, // δ
        5 * 40, // ∂x
        2 * 18 * 6, // the columns of one chunk
        (split ? 2 : 1) * 18 * 6, // ∂cols, one per part
        5 * 3 * 18, // gᵢ(W)
        5 * 3, // gᵢ(b)
      ],
      split ? 'split' : 'one thread',
    );
    const input = inner.alloc(5 * 40);
    input.set(values(200, 8));
    const g = inner.alloc(5 * 18);
    g.set(values(90, 6));
    for (const m of [5, 3]) {
      layer.forward(input, m);
      layer.backward(g, m);
      layer.perExampleSquaredNorms(m, new Float64Array(m));
      layer.perExampleDotsWithMean(m, new Float64Array(m));
    }
    assert.deepEqual(sizes.slice(10), [5, 5], 'the reductions, once');
  }
});

test('a first conv layer (no input gradient wanted) computes no ∂x and still its parameter gradients', () => {
  const backend = referenceBackend('float64');
  const { layer, w, b } = build(strided, backend, 3, 64, false, 11);
  assert.equal(layer.inputGrad, null);
  const x = values(3 * 40, 21);
  const g = values(3 * 18, 22);
  const input = backend.alloc(x.length);
  input.set(x);
  const outputGrad = backend.alloc(g.length);
  outputGrad.set(g);
  const want = direct(strided, w, b, x, g, 3);
  layer.forward(input, 3);
  layer.backward(outputGrad, 3);
  close(layer.weight.grad, want.meanW, 'mean gradient W');
  close(layer.bias.grad, want.meanB, 'mean gradient b');
});

test('on a splitting backend each part folds ∂cols back from its own K×P block (the two parts may run at the same time)', () => {
  const blocks: string[] = [];
  const inner = referenceBackend('float64');
  const split = splittingBackend(inner);
  const backend: Backend = {
    ...split,
    splitExamples: (m, run) =>
      split.splitExamples!(m, (part, start, end, p) =>
        run(
          {
            ...part,
            col2im: (batch, g, cols, image) => {
              blocks.push(`part ${p}: [${cols.byteOffset / 8}, ${cols.byteOffset / 8 + cols.length})`);
              part.col2im(batch, g, cols, image);
            },
          },
          start,
          end,
          p,
        ),
      ),
  };
  // strided: K = 2·3·3 = 18, P = 3·2 = 6: blocks of 108; 3 examples, parts of 2 and 1
  const { layer } = build(strided, backend, 3, 64, true, 2);
  const input = inner.alloc(3 * 40);
  input.set(values(120, 3));
  const g = inner.alloc(3 * 18);
  g.set(values(54, 4));
  layer.forward(input, 3);
  layer.backward(g, 3);
  assert.deepEqual(blocks, ['part 0: [0, 108)', 'part 0: [0, 108)', 'part 1: [108, 216)']);
});
