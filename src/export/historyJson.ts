// The training history (every step's point and every epoch's statistics) as JSON and back,
// losslessly: non-finite numbers and −0 survive (see numbers.ts).

import type { DeepReadonly, StepPoint } from '../protocol';
import type { EpochStats } from '../engine/types';
import { decodeNumber, numberReplacer } from './numbers';
import { DataError } from '../errors/types';
import { readExportHeader } from './header';

export const HISTORY_FORMAT = 'gradient-lens-history';
export const HISTORY_VERSION = 1;

export interface HistoryExport {
  model: string;
  history: StepPoint[];
  epochs: EpochStats[];
}

export function historyToJson(h: DeepReadonly<HistoryExport>): string {
  return JSON.stringify({ format: HISTORY_FORMAT, version: HISTORY_VERSION, ...h }, numberReplacer, 1);
}

/** Reads what historyToJson wrote; throws a DataError whose message names the JSON path on bad input. */
export function parseHistoryJson(text: string): HistoryExport {
  const root = readExportHeader(text, 'history', HISTORY_FORMAT, HISTORY_VERSION);
  if (!Array.isArray(root.history)) throw new DataError('', '$.history: expected an array of steps.');
  if (!Array.isArray(root.epochs)) throw new DataError('', '$.epochs: expected an array of epochs.');
  return {
    model: root.model,
    history: root.history.map((p, i) => decodeNumbers(p, `$.history[${i}]`) as StepPoint),
    epochs: root.epochs.map((p, i) => decodeNumbers(p, `$.epochs[${i}]`) as EpochStats),
  };
}

/** Turns the encoded strings back into numbers, everywhere in a plain tree (other strings stay). */
function decodeNumbers(v: unknown, where: string): unknown {
  if (Array.isArray(v)) return v.map((x, i) => decodeNumbers(x, `${where}[${i}]`));
  if (typeof v === 'string') return decodeNumber(v) ?? v;
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = decodeNumbers(x, `${where}.${k}`);
    return out;
  }
  return v;
}
