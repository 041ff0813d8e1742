// The one rule for which backend a run uses: the WASM SIMD kernels for a float32 model when the
// user allows them (setting gradientLens.useWasm, CLI --no-wasm) and they load in this runtime;
// the plain TypeScript reference backend otherwise (always for float64: WASM SIMD is float32).
// Both give the same numbers within float32 rounding, so falling back is safe; the reason is
// returned so the caller can say why it is slower.

import type { Backend } from './backend';
import type { DType } from '../model/spec';
import { referenceBackend } from './reference';
import { createWasmBackend, createWasmBackendSync } from './wasm/backend';

export interface BackendChoice {
  backend: Backend;
  /** Why WASM was asked for and not used (it failed to load), else null. */
  fallbackReason: string | null;
}

export interface BackendRequest {
  useWasm: boolean;
}

function wantsWasm(spec: { dtype: DType }, opts: BackendRequest): boolean {
  return spec.dtype === 'float32' && opts.useWasm;
}

export async function chooseBackend(spec: { dtype: DType }, opts: BackendRequest): Promise<BackendChoice> {
  if (wantsWasm(spec, opts)) {
    try {
      return { backend: await createWasmBackend(), fallbackReason: null };
    } catch (e) {
      return { backend: referenceBackend(spec.dtype), fallbackReason: `WASM kernels unavailable: ${messageOf(e)}` };
    }
  }
  return { backend: referenceBackend(spec.dtype), fallbackReason: null };
}

/** The same choice, synchronously (Node and workers; a browser main thread needs chooseBackend). */
export function chooseBackendSync(spec: { dtype: DType }, opts: BackendRequest): BackendChoice {
  if (wantsWasm(spec, opts)) {
    try {
      return { backend: createWasmBackendSync(), fallbackReason: null };
    } catch (e) {
      return { backend: referenceBackend(spec.dtype), fallbackReason: `WASM kernels unavailable: ${messageOf(e)}` };
    }
  }
  return { backend: referenceBackend(spec.dtype), fallbackReason: null };
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
