// The WASM backend's sgdStep wrapper (src/engine/wasm/update.ts) beyond the kernel's formula: its
// argument checks and their messages, the norms it returns (against a float64 sum written here),
// arrays outside the WASM memory (copied in and back), n = 0, and a large step split with the helper
// thread. Every expected number is the SGD rule evaluated in float64 in this file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWasmBackendSync, createWasmBackend } from '../../../src/engine/wasm/backend';
import { nodeSpawnHelper } from '../../../src/engine-host/spawnHelper';
import type { FloatArray } from '../../../src/engine/types';

const be = createWasmBackendSync({ initialBytes: 4 << 20 });

/** The SGD rule of Backend.sgdStep in float64 (from the float32 inputs). */
function sgdReference(
  lr: number,
  wd: number,
  mu: number,
  nesterov: boolean,
  grad: ArrayLike<number>,
  value: ArrayLike<number>,
  velocity: ArrayLike<number> | null,
) {
  const n = grad.length;
  const theta = new Float64Array(n),
    vel = new Float64Array(n),
    update = new Float64Array(n);
  let gg = 0,
    tt = 0,
    uu = 0;
  for (let i = 0; i < n; i++) {
    let g = grad[i] + wd * value[i];
    if (mu !== 0) {
      vel[i] = mu * velocity![i] + g;
      g = nesterov ? g + mu * vel[i] : vel[i];
    }
    theta[i] = value[i] - lr * g;
    update[i] = theta[i] - value[i];
    gg += grad[i] * grad[i];
    tt += value[i] * value[i];
    uu += update[i] * update[i];
  }
  return { theta, vel, update, norms: [gg, tt, uu] };
}

function fillFrom(x: FloatArray, seed: number): FloatArray {
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(seed + 1.7 * i) * 0.8;
  return x;
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rel = 1e-5) {
  assert.equal(actual.length >= expected.length, true, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const tol = rel * Math.max(1, Math.abs(expected[i]));
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) assert.fail(`${what}[${i}]: ${actual[i]}, expected ${expected[i]}`);
  }
}

test('sgdStep with norms: θ, v, update and [Σg², Σθ², Σu²] match float64 (plain, momentum, Nesterov)', () => {
  const n = 37;
  for (const [mu, nesterov] of [
    [0, false],
    [0.9, false],
    [0.5, true],
  ] as const) {
    const grad = fillFrom(be.alloc(n), 1),
      value = fillFrom(be.alloc(n), 2),
      velocity = fillFrom(be.alloc(n), 3),
      update = be.alloc(n);
    const ref = sgdReference(0.1, 0.01, mu, nesterov, grad, value, mu ? velocity : null);
    // norms filled with garbage first: every one of the three must be written
    const norms = new Float64Array([7, 7, 7, 7]);
    assert.equal(be.sgdStep(n, 0.1, 0.01, mu, nesterov, grad, value, mu ? velocity : null, update, norms), true);
    close(value, ref.theta, `θ (μ ${mu}, nesterov ${nesterov})`);
    close(update, ref.update, 'update', 1e-4);
    if (mu) close(velocity, ref.vel, 'velocity');
    close(norms.subarray(0, 3), ref.norms, 'norms', 1e-5);
    assert.equal(norms[3], 7, 'only three norms are written');
  }
});

test('sgdStep with norms on a non-finite gradient returns false; a huge finite step still returns true', () => {
  const n = 8;
  const grad = fillFrom(be.alloc(n), 4),
    value = fillFrom(be.alloc(n), 5);
  grad[3] = NaN;
  assert.equal(be.sgdStep(n, 0.1, 0, 0, false, grad, value, null, be.alloc(n), new Float64Array(3)), false);
  const g2 = fillFrom(be.alloc(n), 6),
    v2 = fillFrom(be.alloc(n), 7);
  assert.equal(be.sgdStep(n, 0.1, 0, 0, false, g2, v2, null, be.alloc(n), new Float64Array(3)), true);
});

test('sgdStep on arrays outside WASM memory copies θ, v and the update back (with and without norms)', () => {
  const n = 21;
  for (const withNorms of [false, true]) {
    const grad = fillFrom(new Float32Array(n), 8),
      value = fillFrom(new Float32Array(n), 9),
      velocity = fillFrom(new Float32Array(n), 10),
      update = new Float32Array(n);
    const ref = sgdReference(0.05, 0.02, 0.8, false, grad, value, velocity);
    const norms = withNorms ? new Float64Array(3) : null;
    const before = be.memoryInfo().copyCalls;
    assert.equal(be.sgdStep(n, 0.05, 0.02, 0.8, false, grad, value, velocity, update, norms), true);
    assert.ok(be.memoryInfo().copyCalls > before, 'took the copy path');
    close(value, ref.theta, 'θ');
    close(velocity, ref.vel, 'velocity');
    close(update, ref.update, 'update', 1e-4);
    if (norms) close(norms, ref.norms, 'norms');
  }
});

test('sgdStep: momentum 0 needs no velocity; n = 0 returns true, zeroes the norms and writes nothing', () => {
  const grad = fillFrom(be.alloc(4), 11),
    value = fillFrom(be.alloc(4), 12);
  const ref = sgdReference(0.1, 0, 0, false, grad, value, null);
  assert.equal(be.sgdStep(4, 0.1, 0, 0, true, grad, value, null, be.alloc(4)), true);
  close(value, ref.theta, 'θ (momentum 0, nesterov flag ignored)');
  const norms = new Float64Array([5, 5, 5]);
  const untouched = Float32Array.from(value);
  assert.equal(be.sgdStep(0, 0.1, 0, 0.9, false, grad, value, be.alloc(0), be.alloc(0), norms), true);
  assert.deepEqual([...norms], [0, 0, 0]);
  assert.deepEqual([...value], [...untouched]);
});

test('sgdStep argument errors say which array is short', () => {
  const ok = () => be.alloc(5);
  assert.throws(() => be.sgdStep(5, 0.1, 0, 0.9, false, ok(), ok(), null, ok()), {
    message: 'sgdStep: momentum needs a velocity buffer',
  });
  assert.throws(() => be.sgdStep(5, 0.1, 0, 0.9, false, ok(), ok(), be.alloc(4), ok()), {
    message: 'sgdStep velocity: needs 5 elements, the array has 4',
  });
  assert.throws(() => be.sgdStep(5, 0.1, 0, 0, false, ok(), ok(), null, ok(), new Float64Array(2)), {
    message: 'sgdStep: norms needs 3 elements, the array has 2',
  });
  for (const [i, name] of ['grad', 'value', 'update'].entries()) {
    const arrays = [ok(), ok(), ok()];
    arrays[i] = be.alloc(4);
    assert.throws(() => be.sgdStep(5, 0.1, 0, 0, false, arrays[0], arrays[1], null, arrays[2]), {
      message: `sgdStep ${name}: needs 5 elements, the array has 4`,
    });
  }
});

test('with two threads a large SGD step is split with the helper (and gives the float64 numbers); with norms it is not', async () => {
  const two = await createWasmBackend({ spawnHelper: nodeSpawnHelper, initialBytes: 8 << 20 });
  try {
    assert.equal(two.threads, 2);
    const n = 1 << 16;
    const grad = fillFrom(two.alloc(n), 13),
      value = fillFrom(two.alloc(n), 14),
      velocity = fillFrom(two.alloc(n), 15),
      update = two.alloc(n);
    const ref = sgdReference(0.1, 0.001, 0.9, true, grad, value, velocity);
    const before = two.splitProducts;
    assert.equal(two.sgdStep(n, 0.1, 0.001, 0.9, true, grad, value, velocity, update), true);
    assert.equal(two.splitProducts, before + 1, 'one job handed to the two threads');
    close(value, ref.theta, 'θ');
    close(velocity, ref.vel, 'velocity');
    close(update, ref.update, 'update', 1e-4);
    const norms = new Float64Array(3);
    assert.equal(two.sgdStep(n, 0.1, 0, 0, false, grad, value, null, update, norms), true);
    assert.equal(two.splitProducts, before + 1, 'the step with norms stays on this thread');
  } finally {
    two.close();
  }
});

test('sgdStep with norms in a full memory says it has no scratch for them', () => {
  // one 64 KiB page that cannot grow: the operands and a filler end 16 bytes short of it, and the
  // three float64 sums need 32 (24 rounded up to 16-byte blocks)
  const full = createWasmBackendSync({ initialBytes: 65536, maximumBytes: 65536 });
  const [grad, value, update] = [full.alloc(16), full.alloc(16), full.alloc(16)];
  full.alloc((65536 - 128 - 3 * 64 - 16) / 4);
  assert.equal(full.memoryInfo().allocatedBytes, 65536 - 16);
  assert.equal(full.sgdStep(16, 0.1, 0, 0, false, grad, value, null, update), true, 'without norms: no scratch needed');
  assert.throws(() => full.sgdStep(16, 0.1, 0, 0, false, grad, value, null, update, new Float64Array(3)), {
    message: 'WASM backend: no scratch space left for the update norms',
  });
});
