// The label the panel's toolbar and the CLI show for the engine's threads must be true when it is
// shown (at the run's start): a run's helper thread joins only after HELPER_AFTER_MS of work worth
// sharing, so at the start it is not running, and a shorter run never has it. "2 threads" there
// was false; the label says "up to 2 threads" and when the second joins. A helper that runs from
// the start (helperAfterMs 0: chooseBackend waits for it) is "2 threads".

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { backendLabel } from '../../../src/engine/chooseBackend';
import { chooseEngineBackend, closeHelper, HELPER_AFTER_MS, type ThreadRuntime } from '../../../src/engine-host/threads';
import type { WasmBackend } from '../../../src/engine/wasm/backend';
import { referenceBackend } from '../../../src/engine/reference';

const twoCores: ThreadRuntime = { cpus: 2, sharedMemory: true, load: 1 };
const f32 = { dtype: 'float32' as const };

test('two threads with the deferred helper: the label says up to 2 and when the 2nd joins, and the helper indeed is not running yet', async () => {
  const choice = await chooseEngineBackend(f32, true, 2, twoCores);
  try {
    assert.equal(choice.threads, 2);
    assert.equal(HELPER_AFTER_MS, 250);
    assert.equal(backendLabel(choice), 'wasm-simd, up to 2 threads (the 2nd joins after 250 ms of training)');
    // what the label claims at this moment: no helper yet (the old label said "2 threads")
    assert.equal(await (choice.backend as WasmBackend).helperStarted(0), false);
  } finally {
    closeHelper(choice.backend);
  }
});

test('two threads with the helper started at once: the label says 2 threads, and the helper runs', async () => {
  const choice = await chooseEngineBackend(f32, true, 2, twoCores, 0);
  try {
    assert.equal(await (choice.backend as WasmBackend).helperStarted(0), true);
    assert.equal(backendLabel(choice), 'wasm-simd, 2 threads');
  } finally {
    closeHelper(choice.backend);
  }
});

test('one thread and the reference backend keep their labels', async () => {
  const one = await chooseEngineBackend(f32, true, 1, twoCores);
  assert.equal(backendLabel(one), 'wasm-simd, 1 thread');
  assert.equal(backendLabel({ backend: referenceBackend('float32'), threads: 1 }), 'reference-float32');
  // a later helper on one thread changes nothing (only two threads have a helper)
  assert.equal(backendLabel({ ...one, helperAfterMs: 250 }), 'wasm-simd, 1 thread');
});
