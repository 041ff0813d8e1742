// Two threads over one shared WASM memory: large products split by rows give bit-identical
// results to one thread, and so does a whole training run.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import type { FloatArray } from '../../../src/engine/types';
import { Trainer } from '../../../src/engine/trainer';
import { nodeSpawnHelper } from '../../../src/engine-host/spawnHelper';
import { dense, makeSpec, randomDataset } from './helpers';

type WasmModule = typeof import('../../../src/engine/wasm/backend');
let wasm: WasmModule;

before(async () => {
  const r = spawnSync(process.execPath, ['scripts/build-wasm.mjs'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  wasm = await import('../../../src/engine/wasm/backend');
});

/** Threads of this process now (Linux: /proc/self/task), or null elsewhere. */
function osThreads(): number | null {
  try {
    return readdirSync('/proc/self/task').length;
  } catch {
    return null;
  }
}

function same(a: FloatArray, b: FloatArray, what: string): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++)
    if (!Object.is(a[i], b[i])) assert.fail(`${what}: entry ${i} is ${a[i]} on two threads, ${b[i]} on one`);
}

test('large products on two threads are bit-identical to one thread, every form that reaches gemm_bn', async () => {
  const two = await wasm.createWasmBackend({ initialBytes: 64 << 20, spawnHelper: nodeSpawnHelper });
  const one = wasm.createWasmBackendSync({ initialBytes: 64 << 20, fma: two.fma });
  try {
    assert.equal(two.threads, 2);
    // A·B and Aᵀ·B (the MLP's big forward and weight-gradient products), A·Bᵀ packed, odd row counts
    const shapes: [boolean, boolean, number, number, number][] = [
      [false, false, 32, 128, 784],
      [true, false, 784, 128, 32],
      [false, true, 64, 200, 128],
      [false, false, 37, 129, 333],
    ];
    for (const [tA, tB, m, n, k] of shapes)
      for (const beta of [0, 0.5]) {
        const fill = (x: FloatArray, seed: number) => {
          for (let i = 0; i < x.length; i++) x[i] = Math.sin(seed * 1e-3 + i * 0.37);
          return x;
        };
        const a2 = fill(two.alloc(m * k), 1),
          b2 = fill(two.alloc(k * n), 2),
          c2 = fill(two.alloc(m * n), 3);
        const a1 = fill(one.alloc(m * k), 1),
          b1 = fill(one.alloc(k * n), 2),
          c1 = fill(one.alloc(m * n), 3);
        two.gemm(tA, tB, m, n, k, 0.75, a2, b2, beta, c2);
        one.gemm(tA, tB, m, n, k, 0.75, a1, b1, beta, c1);
        same(c2, c1, `gemm ${tA}/${tB} ${m}×${n}×${k} β=${beta}`);
      }
    assert.equal(two.splitProducts, 8, 'every product of these shapes was split');
  } finally {
    two.close();
  }
});

test('a training run on two threads is bit-identical to one thread', async () => {
  const spec = makeSpec([dense(256, 'relu'), dense(64, 'relu'), dense(5)], { dtype: 'float32', batchSize: 32, epochs: 2 });
  const data = randomDataset(3, 200, [784], 5);
  const twoBackend = await wasm.createWasmBackend({ initialBytes: 64 << 20, spawnHelper: nodeSpawnHelper });
  try {
    const two = new Trainer({ spec, train: data, validation: null, backend: twoBackend });
    const one = new Trainer({
      spec,
      train: data,
      validation: null,
      backend: wasm.createWasmBackendSync({ initialBytes: 64 << 20, fma: twoBackend.fma }),
    });
    for (let s = 0; s < 10; s++) assert.ok(Object.is(two.trainStep().loss, one.trainStep().loss), `loss of step ${s + 1}`);
    for (const layer of [0, 1, 2])
      same(two.parameter(layer, 'weight'), one.parameter(layer, 'weight'), `layers[${layer}].weight`);
    assert.ok(twoBackend.splitProducts >= 20, `products split: ${twoBackend.splitProducts}`);
  } finally {
    twoBackend.close();
  }
});

test('the zero-skipping products split across two threads too, bit-identical to one thread', async () => {
  const two = await wasm.createWasmBackend({ initialBytes: 64 << 20, spawnHelper: nodeSpawnHelper });
  const one = wasm.createWasmBackendSync({ initialBytes: 64 << 20, fma: two.fma });
  try {
    // an MNIST-like A: 80 % exact zeros
    const sparse = (x: FloatArray) => {
      for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37) > 0.7 ? Math.cos(i) : 0;
      return x;
    };
    for (const [tA, m, n, k] of [
      [false, 32, 128, 784],
      [true, 784, 128, 32],
      [false, 37, 130, 333],
    ] as const) {
      const split = two.splitProducts,
        skipped = two.sparseProducts;
      const out = [two, one].map((be) => {
        const a = sparse(be.alloc(m * k)),
          b = be.alloc(k * n),
          c = be.alloc(m * n);
        for (let i = 0; i < b.length; i++) b[i] = Math.sin(i * 0.11);
        be.gemm(tA, false, m, n, k, 0.5, a, b, 0, c);
        return c;
      });
      same(out[0], out[1], `sparse gemm ${tA ? 'Aᵀ' : 'A'}·B ${m}×${n}×${k}`);
      assert.equal(two.sparseProducts - skipped, 1, 'took the zero-skipping path');
      assert.equal(two.splitProducts - split, 1, 'was split');
    }
  } finally {
    two.close();
  }
});

test('a large SGD step on two threads is bit-identical to one thread, and a non-finite value in either part is reported', async () => {
  const two = await wasm.createWasmBackend({ initialBytes: 64 << 20, spawnHelper: nodeSpawnHelper });
  const one = wasm.createWasmBackendSync({ initialBytes: 64 << 20, fma: two.fma });
  try {
    const n = 100_003; // not a multiple of the chunks: the last one holds the remainder
    const fill = (x: FloatArray, seed: number) => {
      for (let i = 0; i < x.length; i++) x[i] = Math.sin(seed + i * 0.37);
      return x;
    };
    const buffers = new Map(
      [two, one].map((be) => [be, { grad: be.alloc(n), value: be.alloc(n), velocity: be.alloc(n), update: be.alloc(n) }]),
    );
    for (const [momentum, nesterov] of [
      [0, false],
      [0.9, false],
      [0.9, true],
    ] as const) {
      const run = (be: typeof two, poison: number | null) => {
        const { grad, value, velocity, update } = buffers.get(be)!;
        fill(grad, 1);
        fill(value, 2);
        fill(velocity, 3);
        if (poison !== null) grad[poison] = Infinity;
        const finite = be.sgdStep(n, 0.05, 1e-4, momentum, nesterov, grad, value, momentum ? velocity : null, update);
        return { finite, value, velocity, update };
      };
      const a = run(two, null),
        b = run(one, null);
      assert.equal(a.finite, true);
      assert.equal(b.finite, true);
      same(a.value, b.value, `θ after, momentum ${momentum} nesterov ${nesterov}`);
      same(a.update, b.update, `update, momentum ${momentum}`);
      same(a.velocity, b.velocity, `velocity, momentum ${momentum}`);
      // an infinite gradient at the first and at the last value: the caller's first chunk and the
      // helper's (it takes chunks from the back); repeated until the helper did take chunks
      for (const at of [0, n - 1]) {
        let helperTook = 0;
        for (let tries = 0; tries < 2000 && helperTook === 0; tries++) {
          const before = two.helperChunks;
          assert.equal(run(two, at).finite, false, `an infinite gradient at ${at} is reported`);
          helperTook = two.helperChunks - before;
        }
        assert.ok(helperTook > 0, 'the helper thread took part of the step');
      }
    }
  } finally {
    two.close();
  }
});

test('a deferred helper starts only after work worth sharing has kept coming for helperAfterMs; until then the caller does it all', async () => {
  const afterMs = 40;
  const threadsBefore = osThreads();
  const two = await wasm.createWasmBackend({ initialBytes: 64 << 20, spawnHelper: nodeSpawnHelper, helperAfterMs: afterMs });
  const one = wasm.createWasmBackendSync({ initialBytes: 64 << 20, fma: two.fma });
  try {
    const n = 192; // 7 M multiply-adds: worth splitting
    const operands = [two, one].map((be) => {
      const a = be.alloc(n * n),
        b = be.alloc(n * n);
      for (let i = 0; i < a.length; i++) [a[i], b[i]] = [Math.sin(i * 0.3), Math.cos(i * 0.7)];
      return { a, b, c: be.alloc(n * n) };
    });
    const multiply = () => {
      two.gemm(false, false, n, n, n, 1, operands[0].a, operands[0].b, 0, operands[0].c);
      one.gemm(false, false, n, n, n, 1, operands[1].a, operands[1].b, 0, operands[1].c);
      same(operands[0].c, operands[1].c, `gemm ${n}³ with the helper ${two.splitProducts > 0 ? 'running' : 'not started'}`);
    };
    const first = performance.now();
    multiply();
    assert.equal(await two.helperStarted(0), false, 'no helper after the first product');
    assert.equal(two.splitProducts, 0);
    // (earlier tests' helpers may still be ending: at most as many threads as before, not one more)
    if (threadsBefore !== null) assert.ok(osThreads()! <= threadsBefore, 'no thread started yet');
    while (two.splitProducts === 0) {
      multiply();
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(
      performance.now() - first >= afterMs,
      'the helper was started no earlier than helperAfterMs after the first product',
    );
    assert.equal(await two.helperStarted(0), true);
  } finally {
    two.close();
  }
});

/** count rows of 784 features, 80 % of them zero (an MNIST-like input: layer 0's Gram skips the zeros), labels 0..4. */
function sparseDataset(count: number, bad: number | null = null) {
  const x = randomDataset(7, count, [784], 5).x;
  for (let i = 0; i < x.length; i++) if (i % 5 !== 0) x[i] = 0;
  if (bad !== null) x[3 * 784 + 400] = bad;
  return { ...randomDataset(7, count, [784], 5), x };
}

test('the full statistics with the dense layers’ Gram work on the helper (during the update) are bit-identical to one thread', async () => {
  // 206 examples in batches of 32: the last batch of an epoch has 14 (not a multiple of 4)
  const spec = makeSpec([dense(64, 'relu'), dense(32, 'relu'), dense(5)], { dtype: 'float32', batchSize: 32, epochs: 2 });
  for (const bad of [null, NaN, Infinity]) {
    const data = sparseDataset(206, bad);
    const twoBackend = await wasm.createWasmBackend({ initialBytes: 64 << 20, spawnHelper: nodeSpawnHelper });
    try {
      const two = new Trainer({ spec, train: data, validation: null, backend: twoBackend, stats: 'full' });
      const one = new Trainer({
        spec,
        train: data,
        validation: null,
        backend: wasm.createWasmBackendSync({ initialBytes: 64 << 20, fma: twoBackend.fma }),
        stats: 'full',
      });
      for (let s = 0; s < 14; s++) {
        const a = two.trainStep(),
          b = one.trainStep();
        const what = `${bad} step ${s + 1} (batch ${a.batchSize})`;
        assert.ok(Object.is(a.noiseScale, b.noiseScale), `${what}: noise scale ${a.noiseScale} vs ${b.noiseScale}`);
        a.layers.forEach((l, k) => {
          const o = b.layers[k];
          same(Float64Array.from(l.perExampleNorms), Float64Array.from(o.perExampleNorms), `${what} layer ${k} ‖gᵢ‖`);
          same(Float64Array.from(l.cosineToMean), Float64Array.from(o.cosineToMean), `${what} layer ${k} cosines`);
          for (const key of ['gradNorm', 'noiseScale', 'deadFraction', 'updateRatio'] as const)
            assert.ok(Object.is(l[key], o[key]), `${what} layer ${k} ${key}: ${l[key]} vs ${o[key]}`);
          assert.equal(l.perExampleNorms.length, a.batchSize);
        });
      }
      // layers 0 and 1 of every step took the Gram path on the helper (layer 2, 32→5, goes the direct way)
      assert.equal(twoBackend.deferredGramStats, 2 * 14);
      // deferStats: false keeps them on this thread (the bench's comparison), with the same numbers
      const here = await wasm.createWasmBackend({ initialBytes: 64 << 20, spawnHelper: nodeSpawnHelper, deferStats: false });
      try {
        const t = new Trainer({ spec, train: data, validation: null, backend: here, stats: 'full' });
        const again = new Trainer({ spec, train: data, validation: null, backend: twoBackend, stats: 'full' });
        const [a, b] = [t.trainStep(), again.trainStep()];
        same(
          Float64Array.from(a.layers[0].cosineToMean),
          Float64Array.from(b.layers[0].cosineToMean),
          `${bad} cosines, deferStats false`,
        );
        assert.equal(here.deferredGramStats, 0);
        assert.ok(here.splitProducts > 0, 'two threads all the same');
      } finally {
        here.close();
      }
    } finally {
      twoBackend.close();
    }
  }
});
