// A WASM context for the wrapper oracles (wasmGemm, wasmElementwise): a real shared memory, its
// arena and the real kernels module, with every kernel call's name recorded in `calls`, so a test
// can tell which kernel a wrapper chose (the choice is otherwise visible only as speed).
import { KERNEL_MODULES_BASE64 } from '../../../src/engine/wasm/kernels.generated';
import { decodeBase64 } from '../../../src/engine/wasm/base64';
import { Arena, PAGE_BYTES } from '../../../src/engine/wasm/arena';
import type { KernelExports } from '../../../src/engine/wasm/exports';
import { wasmApi, type WasmMemory } from '../../../src/engine/wasm/wasmApi';
import type { SpawnHelper } from '../../../src/engine/wasm/team';
import { nodeSpawnHelper } from '../../../src/engine-host/spawnHelper';

const api = wasmApi();
const module = new api.Module(decodeBase64(KERNEL_MODULES_BASE64.plainShared));

export interface CountingContext {
  memory: WasmMemory;
  arena: Arena;
  k: KernelExports;
  /** The names of the kernels called, in order (clear it with `calls.length = 0`). */
  calls: string[];
}

/** pages: the memory's initial 64 KiB pages, maxPages its maximum (the arena grows up to it). */
export function countingContext(pages = 64, maxPages = 256): CountingContext {
  const memory = new api.Memory({ initial: pages, maximum: maxPages, shared: true });
  const raw = new api.Instance(module, { env: { memory } }).exports as unknown as Record<string, (...a: number[]) => number>;
  const calls: string[] = [];
  const k = Object.fromEntries(
    Object.entries(raw).map(([name, f]) => [
      name,
      typeof f === 'function'
        ? (...args: number[]) => {
            calls.push(name);
            return f(...args);
          }
        : f,
    ]),
  ) as unknown as KernelExports;
  return { memory, arena: new Arena(memory, true, maxPages * PAGE_BYTES), k, calls };
}

/**
 * A helper thread that only says it runs (the word the team reads as "started") and then ends: it
 * never takes a job, so every call list handed to it is run by the calling thread when it waits.
 */
export const idleHelper: SpawnHelper = (_source, init) =>
  nodeSpawnHelper('function (init) { Atomics.store(new Int32Array(init.memory.buffer, init.control, 4), 1, 1); }', init);
