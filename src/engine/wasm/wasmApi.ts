// The slice of the WebAssembly JS API this backend uses, typed locally: the project's tsconfig has
// no DOM lib and @types/node 20 does not declare the WebAssembly namespace. Reading it from
// globalThis also lets us report "no WebAssembly here" as a clear error instead of a ReferenceError.

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  /** Adds `pages` 64 KiB pages; throws a RangeError beyond the maximum or when the runtime refuses. */
  grow(pages: number): number;
}
export type WasmModule = object;
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
type Imports = Record<string, Record<string, unknown>>;

export interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Imports) => WasmInstance;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: Imports): Promise<WasmInstance>;
  validate(bytes: Uint8Array): boolean;
}

export function wasmApi(): WasmApi {
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) throw new Error('this JavaScript runtime has no WebAssembly');
  return api;
}
