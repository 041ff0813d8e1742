// Mutation-oriented oracles for src/engine/chooseBackend.ts (issue 14): which backend and how many
// threads each request gets, and the reason it gives when it falls back, word for word, from the
// rule in the file's header: WASM only for float32 and when allowed; two threads only with a helper
// that starts; a helper that cannot start means one thread and a reason, never a failed run.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { backendLabel, chooseBackend, chooseBackendSync, type BackendChoice } from '../../../src/engine/chooseBackend';
import type { SpawnHelper } from '../../../src/engine/wasm/team';
import type { WasmBackend } from '../../../src/engine/wasm/backend';

const f32 = { dtype: 'float32' as const };
const f64 = { dtype: 'float64' as const };
const failing: SpawnHelper = () => {
  throw new Error('no worker threads here');
};
/** A helper that is "spawned" but never runs: its thread never answers. */
const silent: SpawnHelper = () => ({ terminate: () => {} });

function close(c: BackendChoice): void {
  (c.backend as Partial<WasmBackend>).close?.();
}

test('float64 or WASM not allowed: the reference backend, one thread, no reason (nothing asked for was refused)', async () => {
  for (const choose of [chooseBackend, async (...a: Parameters<typeof chooseBackendSync>) => chooseBackendSync(...a)]) {
    for (const [spec, useWasm, name] of [
      [f64, true, 'reference-float64'],
      [f32, false, 'reference-float32'],
      [f64, false, 'reference-float64'],
    ] as const) {
      const c = await choose(spec, { useWasm, threads: 2, spawnHelper: failing });
      assert.equal(c.backend.name, name);
      assert.equal(c.threads, 1);
      assert.equal(c.fallbackReason, null);
      assert.equal(c.helperAfterMs, undefined);
    }
  }
});

test('float32 with WASM allowed: the WASM backend on one thread; two asked for without a way to start a helper is one, without a reason', async () => {
  for (const opts of [{ useWasm: true }, { useWasm: true, threads: 1 as const }, { useWasm: true, threads: 2 as const }]) {
    for (const c of [await chooseBackend(f32, opts), chooseBackendSync(f32, opts)]) {
      assert.equal(c.backend.name, 'wasm-simd');
      assert.equal(c.threads, 1);
      assert.equal(c.fallbackReason, null);
      assert.equal(backendLabel(c), 'wasm-simd, 1 thread');
      close(c);
    }
  }
});

test('a helper that cannot be spawned: waiting for it, one thread, and the reason says what runs instead', async () => {
  for (const c of [
    await chooseBackend(f32, { useWasm: true, threads: 2, spawnHelper: failing }),
    // synchronously too: a helper asked for at once that could not be spawned is not a second thread
    chooseBackendSync(f32, { useWasm: true, threads: 2, spawnHelper: failing }),
  ]) {
    assert.equal(c.backend.name, 'wasm-simd');
    assert.equal(c.threads, 1);
    assert.equal(c.fallbackReason, 'two engine threads unavailable (the second thread did not start); training on one thread');
    assert.equal(backendLabel(c), 'wasm-simd, 1 thread');
    close(c);
  }
});

test('a helper that never starts: waiting for it gives one thread and says so; deferred, the choice is two threads at once', async () => {
  const waited = await chooseBackend(f32, { useWasm: true, threads: 2, spawnHelper: silent });
  assert.equal(waited.threads, 1);
  assert.equal(waited.fallbackReason, 'two engine threads unavailable (the second thread did not start); training on one thread');
  close(waited);
  for (const c of [
    await chooseBackend(f32, { useWasm: true, threads: 2, spawnHelper: silent, helperAfterMs: 250 }),
    chooseBackendSync(f32, { useWasm: true, threads: 2, spawnHelper: silent, helperAfterMs: 250 }),
  ]) {
    assert.equal(c.threads, 2);
    assert.equal(c.helperAfterMs, 250);
    assert.equal(c.fallbackReason, null);
    assert.equal(backendLabel(c), 'wasm-simd, up to 2 threads (the 2nd joins after 250 ms of training)');
    close(c);
  }
  // synchronously, a helper asked for at once is two threads from the start (products split once it runs)
  const sync = chooseBackendSync(f32, { useWasm: true, threads: 2, spawnHelper: silent });
  assert.equal(sync.threads, 2);
  assert.equal(sync.helperAfterMs, undefined, 'no deferral: the field is absent');
  assert.equal(backendLabel(sync), 'wasm-simd, 2 threads');
  close(sync);
});

test('a helper is spawned only when two threads are asked for; helperAfterMs 0 means at once, waited for', async () => {
  for (const opts of [
    { useWasm: true, spawnHelper: silent },
    { useWasm: true, threads: 1 as const, spawnHelper: silent },
  ]) {
    for (const c of [await chooseBackend(f32, opts), chooseBackendSync(f32, opts)]) {
      assert.equal(c.threads, 1);
      assert.equal(c.fallbackReason, null);
      close(c);
    }
  }
  const waited = await chooseBackend(f32, { useWasm: true, threads: 2, spawnHelper: silent, helperAfterMs: 0 });
  assert.equal(waited.threads, 1, 'helperAfterMs 0 is not deferred: the helper must start, and this one never does');
  close(waited);
  const sync = chooseBackendSync(f32, { useWasm: true, threads: 2, spawnHelper: failing, helperAfterMs: 0 });
  assert.equal(sync.threads, 1, 'helperAfterMs 0 is not deferred: the helper must have been spawned');
  close(sync);
});

test('labels: the reference backend is named alone, whatever its threads field says', () => {
  const ref = chooseBackendSync(f64, { useWasm: true });
  assert.equal(backendLabel(ref), 'reference-float64');
  assert.equal(backendLabel({ ...ref, threads: 2 }), 'reference-float64');
});
