// The WASM backend's entry points (src/engine/wasm/backend.ts) and the decoder of its embedded
// module (base64.ts): the memory's bounds and their messages, pages rounded up and the maximum
// rounded down (seen as where the memory stops growing), the counters and helper state without a
// helper, helperStarted's wait, and the four module variants (shared or not × with or without the
// relaxed-SIMD fused multiply-add kernels, switched on in this process at the end through V8's
// flag). base64 against Node's own decoder (Buffer), an independent implementation. The two-thread
// sizes (twoThreadSizes.ts) against their terms as its comments list them, added up by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { createWasmBackend, createWasmBackendSync, wasmFmaSupported, wasmSimdSupported } from '../../../src/engine/wasm/backend';
import { decodeBase64 } from '../../../src/engine/wasm/base64';
import { CONTROL_OFFSET, type SpawnHelper } from '../../../src/engine/wasm/team';
import { gramListFloats, gramScratchFloats, SPLIT_FLOATS } from '../../../src/engine/wasm/twoThreadSizes';
import { Rng } from '../../../src/engine/random';
import { withoutShared } from '../engine/wasmFixtures';

const PAGE = 65536;
const rng = new Rng(41204);

test('base64: every length 0..48 of random bytes, with and without padding, line breaks and spaces, as Buffer decodes them', () => {
  for (let length = 0; length <= 48; length++) {
    const bytes = Uint8Array.from({ length }, () => Math.floor(rng.next() * 256));
    const text = Buffer.from(bytes).toString('base64');
    for (const variant of [text, text.replace(/=/g, ''), text.replace(/(.{5})/g, '$1\n ').replace(/=/g, ' = ')]) {
      const out = decodeBase64(variant);
      assert.deepEqual(
        Array.from(out),
        Array.from(Buffer.from(variant, 'base64')),
        `${length} bytes from ${JSON.stringify(variant)}`,
      );
      assert.deepEqual(Array.from(out), Array.from(bytes));
    }
  }
  // every character of the alphabet, each at every position of a group of four
  const all = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (const text of [all, all.slice(1) + all[0], all.slice(2) + all.slice(0, 2), all.slice(3) + all.slice(0, 3)])
    assert.deepEqual(Array.from(decodeBase64(text)), Array.from(Buffer.from(text, 'base64')), text);
});

test('base64: a character outside the alphabet is named by its offset in the text without spaces and padding', () => {
  assert.throws(() => decodeBase64('QUJD#'), { message: 'base64: invalid character at offset 4' });
  assert.throws(() => decodeBase64(' Q U\nJ-'), { message: 'base64: invalid character at offset 3' });
  assert.throws(() => decodeBase64('QQ==.'), { message: 'base64: invalid character at offset 2' });
  assert.throws(() => decodeBase64('\u0000'), { message: 'base64: invalid character at offset 0' });
});

test('memory bounds: maximumBytes in (0, 2 GiB], initialBytes in (0, maximumBytes], each refused with its message', () => {
  for (const max of [0, -1, NaN, 2 ** 31 + 1])
    assert.throws(() => createWasmBackendSync({ maximumBytes: max }), {
      message: `WASM backend: maximumBytes must be between 1 and 2 GiB, got ${max}`,
    });
  for (const [initial, max] of [
    [0, 2 * PAGE],
    [-5, 2 * PAGE],
    [NaN, 2 * PAGE],
    [2 * PAGE + 1, 2 * PAGE],
  ])
    assert.throws(() => createWasmBackendSync({ initialBytes: initial, maximumBytes: max }), {
      message: `WASM backend: initialBytes must be between 1 and ${max} bytes, got ${initial}`,
    });
  // the bounds themselves are allowed
  assert.equal(createWasmBackendSync({ initialBytes: 2 * PAGE, maximumBytes: 2 * PAGE }).memoryInfo().reservedBytes, 2 * PAGE);
  assert.equal(createWasmBackendSync({ initialBytes: 1, maximumBytes: 1 }).memoryInfo().reservedBytes, PAGE);
  assert.equal(createWasmBackendSync({ initialBytes: PAGE, maximumBytes: 2 ** 31 }).memoryInfo().reservedBytes, PAGE);
  // defaults: 16 MiB, or the maximum when it is smaller
  assert.equal(createWasmBackendSync().memoryInfo().reservedBytes, 16 << 20);
  assert.equal(createWasmBackendSync({ maximumBytes: 3 * PAGE }).memoryInfo().reservedBytes, 3 * PAGE);
});

test('pages: the initial size rounded up, the maximum rounded down (but never below the initial); growth stops there', () => {
  const up = createWasmBackendSync({ initialBytes: PAGE + 1, maximumBytes: 4 * PAGE + PAGE - 1 });
  assert.equal(up.memoryInfo().reservedBytes, 2 * PAGE, 'initial rounded up');
  up.alloc((4 * PAGE - 1024) / 4); // fits in 4 pages: grows to them
  assert.equal(up.memoryInfo().reservedBytes, 4 * PAGE);
  assert.equal(up.memoryInfo().outsideAllocs, 0);
  up.alloc(PAGE / 4); // a fifth page would be needed: the maximum is 4 pages (rounded down)
  assert.equal(up.memoryInfo().outsideAllocs, 1);
  assert.equal(up.memoryInfo().reservedBytes, 4 * PAGE);
  // initial and maximum both PAGE + 1 bytes: 2 pages (the maximum raised to the initial), and it never grows
  const same = createWasmBackendSync({ initialBytes: PAGE + 1, maximumBytes: PAGE + 1 });
  assert.equal(same.memoryInfo().reservedBytes, 2 * PAGE);
  same.alloc((2 * PAGE - 1024) / 4);
  assert.equal(same.memoryInfo().outsideAllocs, 0);
  same.alloc(PAGE / 4);
  assert.equal(same.memoryInfo().outsideAllocs, 1);
  assert.equal(same.memoryInfo().grows, 0);
});

test('one thread: its counters are 0, no helper, close() is harmless; zeros default to skip', async () => {
  for (const be of [
    createWasmBackendSync({ initialBytes: PAGE }),
    await createWasmBackend({ initialBytes: PAGE, zeros: 'dense' }),
  ]) {
    assert.equal(be.name, 'wasm-simd');
    assert.equal(be.dtype, 'float32');
    assert.equal(be.threads, 1);
    assert.equal(be.splitProducts, 0);
    assert.equal(be.helperChunks, 0);
    assert.equal(be.sparseProducts, 0);
    assert.equal(be.deferredGramStats, 0);
    assert.equal(be.helperSpawned, false);
    assert.equal(await be.helperStarted(), false);
    assert.equal(be.splitExamples, undefined, 'no splitting of examples on one thread');
    be.close();
    assert.equal(be.memoryInfo().shared, true);
  }
  assert.equal(createWasmBackendSync({ initialBytes: PAGE }).zeros, 'skip');
  assert.equal(createWasmBackendSync({ initialBytes: PAGE, zeros: 'dense' }).zeros, 'dense');
});

/** A helper that says it has started `afterMs` after it is spawned (no thread: a timer). */
function lateHelper(afterMs: number | null, spawned: { count: number }): SpawnHelper {
  return (_source, init) => {
    spawned.count++;
    if (afterMs !== null) setTimeout(() => Atomics.store(new Int32Array(init.memory.buffer, init.control, 4), 1, 1), afterMs);
    return { terminate() {} };
  };
}

test('createWasmBackend waits for the helper (helperAfterMs 0 too); helperStarted waits up to its timeout, then says false', async () => {
  for (const helperAfterMs of [undefined, 0]) {
    const spawned = { count: 0 };
    const be = await createWasmBackend({ initialBytes: PAGE, spawnHelper: lateHelper(20, spawned), helperAfterMs });
    assert.equal(be.threads, 2);
    assert.equal(spawned.count, 1);
    assert.equal(be.helperSpawned, true);
    assert.equal(await be.helperStarted(0), true, `helperAfterMs ${helperAfterMs}: started by the time it resolves`);
    assert.equal(typeof be.splitExamples, 'function');
  }
  // deferred: it resolves at once, nothing spawned
  const spawned = { count: 0 };
  const deferred = await createWasmBackend({ initialBytes: PAGE, spawnHelper: lateHelper(0, spawned), helperAfterMs: 1e9 });
  assert.equal(spawned.count, 0);
  assert.equal(deferred.helperSpawned, false);
  assert.equal(await deferred.helperStarted(), false);
  // sync: spawned at once, started later; helperStarted waits for it
  const sync = createWasmBackendSync({ initialBytes: PAGE, spawnHelper: lateHelper(30, { count: 0 }) });
  assert.equal(sync.helperSpawned, true);
  assert.equal(await sync.helperStarted(0), false, 'not yet');
  assert.equal(await sync.helperStarted(5000), true);
  // a helper that never starts: false after the timeout, not before
  const never = createWasmBackendSync({ initialBytes: PAGE, spawnHelper: lateHelper(null, { count: 0 }) });
  const t0 = Date.now();
  assert.equal(await never.helperStarted(40), false);
  assert.ok(Date.now() - t0 >= 40, 'waited the timeout');
  assert.equal(never.splitProducts, 0);
  // helperStarted(0) looks once: on a clock that stands still it does not wait for the helper
  const frozen = createWasmBackendSync({ initialBytes: PAGE, spawnHelper: lateHelper(20, { count: 0 }) });
  const realNow = Date.now;
  const at = realNow();
  Date.now = () => at;
  try {
    assert.equal(await frozen.helperStarted(0), false, 'timeout 0: at once');
  } finally {
    Date.now = realNow;
  }
  assert.equal(await frozen.helperStarted(), true);
  // close stops the helper
  let terminated = 0;
  const closing = createWasmBackendSync({
    initialBytes: PAGE,
    spawnHelper: () => ({ terminate: () => void terminated++ }),
  });
  closing.close();
  assert.equal(terminated, 1, 'close terminates the helper');
  // the control block the helper is given is team.ts's
  let control = -1;
  createWasmBackendSync({
    initialBytes: PAGE,
    spawnHelper: (_s, init) => ((control = init.control), { terminate() {} }),
  });
  assert.equal(control, CONTROL_OFFSET);
});

test('the statistics deferred to the helper (denseGramStatsLater) only with two threads and deferStats not false', () => {
  const spawn = lateHelper(0, { count: 0 });
  const on = createWasmBackendSync({ initialBytes: PAGE, spawnHelper: spawn });
  const off = createWasmBackendSync({ initialBytes: PAGE, spawnHelper: spawn, deferStats: false });
  const one = createWasmBackendSync({ initialBytes: PAGE });
  assert.equal(typeof on.denseGramStatsLater, 'function');
  assert.equal(off.denseGramStatsLater, undefined);
  assert.equal(one.denseGramStatsLater, undefined);
  assert.equal(typeof off.splitExamples, 'function', 'the examples are split all the same');
});

test('the module variants: shared or not, with or without fused multiply-adds (relaxed SIMD, switched on here at the end)', async () => {
  assert.equal(wasmSimdSupported(), true);
  const fmaAtStart = wasmFmaSupported();
  if (!fmaAtStart) {
    assert.throws(() => createWasmBackendSync({ fma: true }), {
      message: 'WASM backend: this runtime has no relaxed SIMD, so no fused multiply-add kernels',
    });
    await assert.rejects(createWasmBackend({ fma: true }), { message: /no relaxed SIMD/ });
    assert.equal(createWasmBackendSync({ initialBytes: PAGE }).fma, false);
  }
  // without shared memories: one thread, and asking for two says why
  const plain = withoutShared(() => createWasmBackendSync({ initialBytes: PAGE, fma: false }));
  assert.equal(plain.memoryInfo().shared, false);
  assert.equal(plain.fma, false);
  assert.throws(
    () => withoutShared(() => createWasmBackendSync({ initialBytes: PAGE, spawnHelper: lateHelper(0, { count: 0 }) })),
    {
      message: 'shared memories are not available here',
    },
  );
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  assert.equal(wasmFmaSupported(), true, 'relaxed SIMD on');
  // (the asynchronous creation first: it compiles each variant's module, the synchronous one finds it cached)
  for (const shared of [true, false])
    for (const fma of [true, false, undefined]) {
      const opts = { initialBytes: PAGE, fma };
      const asyncBe = await (shared ? createWasmBackend(opts) : withoutShared(() => createWasmBackend(opts)));
      const be = shared ? createWasmBackendSync(opts) : withoutShared(() => createWasmBackendSync(opts));
      for (const b of [asyncBe, be]) {
        assert.equal(b.memoryInfo().shared, shared);
        assert.equal(b.fma, fma !== false, `shared ${shared} fma ${fma}`);
        // the kernels run: a 4×8 product against its float64 value
        const [m, n, k] = [4, 8, 3];
        const a = b.alloc(m * k),
          x = b.alloc(k * n),
          c = b.alloc(m * n);
        a.set(Array.from({ length: m * k }, (_, i) => i - 5));
        x.set(Array.from({ length: k * n }, (_, i) => (i % 7) - 3));
        b.gemm(false, false, m, n, k, 1, a, x, 0, c);
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let p = 0; p < k; p++) s += a[i * k + p] * x[p * n + j];
            assert.equal(c[i * n + j], s);
          }
      }
    }
});

test('two-thread sizes: the Gram scratch of a layer and the call list, term by term as the comments list them', () => {
  // m examples (m4: m rounded up to 4), p inputs, q outputs: KΔ m², the results 4m (two float64
  // per example), the sparse KA m4² with its panels m4·p and lists (m4/4)·(p + 1), the dense KA's
  // transposed copy m·max(p, q), KΔ's m·q, and 5 reservations rounded to 16 bytes (5·4)
  for (const [m, p, q, floats] of [
    [1, 1, 1, 1 + 4 + 16 + 4 + 1 * 2 + 1 + 1 + 20], // m4 = 4
    [5, 3, 7, 25 + 20 + 64 + 24 + 2 * 4 + 35 + 35 + 20], // m4 = 8
    [6, 9, 2, 36 + 24 + 64 + 72 + 2 * 10 + 54 + 12 + 20], // m4 = 8, p > q
    [14, 64, 32, 196 + 56 + 256 + 1024 + 4 * 65 + 896 + 448 + 20], // m4 = 16
    [32, 784, 64, 1024 + 128 + 1024 + 25088 + 8 * 785 + 25088 + 2048 + 20], // m4 = 32
  ])
    assert.equal(gramScratchFloats(m, p, q), floats, `${m}×${p}×${q}`);
  // a count word, then 64 words per layer; 2 floats a word
  assert.deepEqual([0, 1, 3].map(gramListFloats), [2, 130, 386]);
  assert.equal(SPLIT_FLOATS, 2 * 4096 + 65536);
});

test('a runtime with no WebAssembly: no SIMD, no fused multiply-adds, and creating a backend says why', async () => {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'WebAssembly')!;
  Reflect.deleteProperty(globalThis, 'WebAssembly');
  try {
    assert.equal(typeof (globalThis as { WebAssembly?: unknown }).WebAssembly, 'undefined');
    assert.equal(wasmSimdSupported(), false);
    assert.equal(wasmFmaSupported(), false);
    assert.throws(() => createWasmBackendSync({ fma: false }), { message: 'this JavaScript runtime has no WebAssembly' });
    await assert.rejects(createWasmBackend({ fma: false }), { message: 'this JavaScript runtime has no WebAssembly' });
  } finally {
    Object.defineProperty(globalThis, 'WebAssembly', saved);
  }
  assert.equal(wasmSimdSupported(), true, 'back');
});
