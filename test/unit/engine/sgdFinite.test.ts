// sgdStep says whether every updated value is finite (Backend.sgdStep): the trainer then skips the
// non-finite checks of the gradients and weights. Checked on both backends, at positions in the
// SIMD body and the scalar tail, with and without the statistics' norms; and the trainer's report
// through trainStep (checks after the update) equals the one through stepPhases (gradient checked
// before it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../../src/engine/backend';
import { Trainer } from '../../../src/engine/trainer';
import { referenceBackend } from '../../../src/engine/reference';
import { loadWasm } from './wasmFixtures';
import { dense, makeSpec, randomDataset } from './helpers';

async function backends(): Promise<[string, Backend][]> {
  const wasm = await loadWasm();
  return [
    ['reference', referenceBackend('float32')],
    ['wasm', wasm.createWasmBackendSync()],
    ['wasm plain SIMD', wasm.createWasmBackendSync({ fma: false })],
  ];
}

function step(
  be: Backend,
  grad: Float32Array,
  value: Float32Array,
  lr: number,
  momentum: number,
  norms: boolean,
  out = new Float64Array(3),
): boolean {
  const n = grad.length;
  const velocity = momentum !== 0 ? be.alloc(n) : null;
  const g = be.alloc(n);
  g.set(grad);
  const v = be.alloc(n);
  v.set(value);
  return be.sgdStep(n, lr, 0.01, momentum, momentum !== 0, g, v, velocity, be.alloc(n), norms ? out : null);
}

test('sgdStep returns true for finite updates and false for a non-finite gradient or an overflowing value', async () => {
  const n = 23; // 5 vectors of 4 and a scalar tail of 3
  for (const [name, be] of await backends()) {
    for (const norms of [false, true]) {
      for (const momentum of [0, 0.9]) {
        const what = `${name} norms=${norms} μ=${momentum}`;
        const grad = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
        const value = Float32Array.from({ length: n }, (_, i) => Math.cos(i));
        const nn = new Float64Array(3);
        const ok = step(be, grad, value, 0.1, momentum, norms, nn);
        assert.equal(ok, true, `${what} ${nn}`);
        for (const at of [0, 6, 19, 20, 22]) {
          for (const bad of [Infinity, -Infinity, NaN]) {
            const g = grad.slice();
            g[at] = bad;
            assert.equal(step(be, g, value, 0.1, momentum, norms), false, `${what}: grad[${at}] = ${bad}`);
            // a learning rate of 0 still carries it: 0·∞ is NaN
            assert.equal(step(be, g, value, 0, momentum, norms), false, `${what}: grad[${at}] = ${bad}, lr 0`);
          }
          const v = value.slice();
          v[at] = 3e38; // finite, but θ − lr·g leaves float32's range
          const g = grad.slice();
          g[at] = -1e38;
          assert.equal(step(be, g, v, 10, momentum, norms), false, `${what}: θ[${at}] overflows`);
        }
      }
    }
  }
});

test('a non-finite gradient on the WASM backend is reported the same by trainStep and stepPhases', async () => {
  const wasm = await loadWasm();
  const reports = ['trainStep', 'stepPhases'].map((how) => {
    // Example 4's features are 3.4e38: finite outputs and deltas, an overflowing weight gradient
    const data = randomDataset(1, 6, [20], 3);
    for (let j = 0; j < 20; j++) data.x[4 * 20 + j] = 3.4e38;
    const spec = makeSpec([dense(3)], { batchSize: 6, dtype: 'float32', loss: 'mse' });
    const trainer = new Trainer({ spec, train: data, validation: null, backend: wasm.createWasmBackendSync() });
    trainer.parameter(0, 'weight').fill(1e-37);
    if (how === 'trainStep') return { s: trainer.trainStep() };
    const phases = trainer.stepPhases();
    let r = phases.next();
    while (!r.done) r = phases.next();
    return { s: r.value };
  });
  const [fused, observed] = reports.map((r) => r.s);
  assert.ok(fused.nonFinite);
  assert.equal(fused.nonFinite.where, 'gradient');
  assert.equal(fused.nonFinite.example, fused.exampleIndices.indexOf(4));
  assert.deepEqual(fused.nonFinite, observed.nonFinite);
});

test('a clean WASM step reports nothing through either path', async () => {
  const wasm = await loadWasm();
  const data = randomDataset(2, 12, [20], 3);
  const spec = makeSpec([dense(8, 'relu'), dense(3)], { batchSize: 6, dtype: 'float32' });
  const trainer = new Trainer({ spec, train: data, validation: null, backend: wasm.createWasmBackendSync() });
  assert.equal(trainer.trainStep().nonFinite, null);
  const phases = trainer.stepPhases();
  let r = phases.next();
  while (!r.done) r = phases.next();
  assert.equal(r.value.nonFinite, null);
});

test('a WASM buffer allocated after kernel calls starts at zero (an optimizer velocity is allocated so)', async () => {
  const wasm = await loadWasm();
  const be = wasm.createWasmBackendSync();
  const n = 8;
  const [g, v, u] = [be.alloc(n), be.alloc(n), be.alloc(n)];
  g.fill(3);
  v.fill(2);
  // the statistics' sums go through scratch above the allocations: nonzero, where alloc hands out next
  const norms = new Float64Array(3);
  be.sgdStep(n, 0.1, 0, 0, false, g, v, null, u, norms);
  assert.ok(norms[0] > 0);
  const fresh = be.alloc(64);
  assert.equal(
    fresh.findIndex((x) => x !== 0),
    -1,
  );
});
