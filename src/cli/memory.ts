// The memory a CLI run may plan for: `--memory-limit` when given, else half of the machine's
// memory. A batch snapshot also lives in the JavaScript heap, so it is held to a share of V8's
// heap limit as well (past that V8 aborts with a native stack trace instead of an error).

import * as os from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { UsageError } from '../errors/types';

export const DEFAULT_MEMORY_SHARE = 0.5;
const HEAP_SHARE = 0.6;

export function defaultMemoryLimit(): number {
  return Math.floor(os.totalmem() * DEFAULT_MEMORY_SHARE);
}

/** The limit for data held in the JavaScript heap (the batch snapshot's arrays). */
export function heapLimit(memoryLimit: number): number {
  return Math.min(memoryLimit, Math.floor(getHeapStatistics().heap_size_limit * HEAP_SHARE));
}

/** `--memory-limit`: bytes, or a number with k, M, G or T (powers of 1024), e.g. `512M`, `2.5G`. */
export function parseMemoryLimit(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)i?[bB]?\s*$/.exec(v);
  const scale: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };
  const bytes = m ? Number(m[1]) * scale[m[2].toLowerCase()] : NaN;
  if (!Number.isFinite(bytes) || bytes < 2 ** 20) {
    throw new UsageError(`${flag}: expected a size of at least 1M such as 512M or 4G, got ${JSON.stringify(v.slice(0, 40))}`);
  }
  return Math.floor(bytes);
}
