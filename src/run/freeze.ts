// Deep-freezing of the snapshots a Run hands out, for tests and development builds: a reader that
// writes into the shared snapshot then throws (in strict mode) where it writes, instead of
// silently changing what every other view sees. Production leaves snapshots unfrozen (the
// ReadonlySnapshot type keeps readers from writing at compile time).

/**
 * Freezes `value` and everything it reaches. An object found frozen already is taken as frozen
 * through and through (this function freezes children before their parent), so freezing the next
 * copy of a long history only visits what is new in it: the arrays and the newest points.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  // A typed array with elements cannot be frozen; a snapshot is plain JSON and never holds one.
  if (ArrayBuffer.isView(value)) return value;
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return Object.freeze(value);
}
