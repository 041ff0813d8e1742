// The snapshot as its readers see it: every field, array and nested object read-only, so the
// compiler refuses a reader that writes into the one copy every view shares (the session hands the
// same object to the panel, the sidebar, the editor features, the status bar and the exports).
// Only the reducer (src/run/reducer.ts) changes a snapshot, and only its own.

import type { SessionSnapshot } from './shared';

export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends ReadonlyArray<infer E>
    ? ReadonlyArray<DeepReadonly<E>>
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

/** A session snapshot that may be read, never changed. */
export type ReadonlySnapshot = DeepReadonly<SessionSnapshot>;
