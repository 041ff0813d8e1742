// Run by noWasm.oracle.test.ts in a Node started with --no-expose-wasm: prints, as one JSON line,
// whether WebAssembly exists and what each backend request gets.
import { chooseBackend, chooseBackendSync } from '../../../src/engine/chooseBackend';

const f32 = { dtype: 'float32' as const };
const spawnHelper = () => ({ terminate() {} });

void (async () => {
  const out: unknown[] = [typeof (globalThis as { WebAssembly?: unknown }).WebAssembly];
  for (const threads of [1, 2] as const) {
    const opts = { useWasm: true, threads, spawnHelper };
    for (const c of [await chooseBackend(f32, opts), chooseBackendSync(f32, opts)])
      out.push([c.backend.name, c.threads, c.fallbackReason]);
  }
  console.log(JSON.stringify(out));
})();
