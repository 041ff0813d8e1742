// Waiting for a condition, never for a fixed time: poll `probe` until it returns something other than
// undefined, null or false, or the deadline passes. Deadlines are generous (a loaded 2-core CI machine
// is many times slower than a quiet one); the error names what was awaited and what was last seen.

/**
 * @template T
 * @param {() => Promise<T | undefined | null | false> | T | undefined | null | false} probe
 * @param {{ what: string, timeoutMs: number, intervalMs?: number, lastSeen?: () => string }} o
 * @returns {Promise<T>}
 */
export async function waitUntil(probe, o) {
  const end = Date.now() + o.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > end) {
      const seen = o.lastSeen ? ` (last seen: ${o.lastSeen()})` : '';
      throw new Error(`timed out after ${o.timeoutMs / 1000} s waiting for ${o.what}${seen}`);
    }
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 200));
  }
}

/**
 * Resolves with the promise's value, or with `onTimeout` once the deadline passes.
 * @template T, U
 * @param {Promise<T>} promise
 * @param {number} timeoutMs
 * @param {U} onTimeout
 * @returns {Promise<T | U>}
 */
export function withDeadline(promise, timeoutMs, onTimeout) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const deadline = new Promise((/** @type {(v: U) => void} */ r) => (timer = setTimeout(() => r(onTimeout), timeoutMs)));
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
