// The training history (every step's point and every epoch's statistics) as JSON and back,
// losslessly: non-finite numbers and −0 survive (see numbers.ts).

import type { StepPoint } from '../protocol';
import type { EpochStats } from '../engine/types';
import { decodeNumber, numberReplacer } from './numbers';
import { DataError } from '../errors/types';

export const HISTORY_FORMAT = 'gradient-lens-history';
export const HISTORY_VERSION = 1;

export interface HistoryExport {
  model: string;
  history: StepPoint[];
  epochs: EpochStats[];
}

export function historyToJson(h: HistoryExport): string {
  return JSON.stringify({ format: HISTORY_FORMAT, version: HISTORY_VERSION, ...h }, numberReplacer, 1);
}

/** Reads what historyToJson wrote; throws a DataError whose message names the JSON path on bad input. */
export function parseHistoryJson(text: string): HistoryExport {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new DataError('', `The history file is not valid JSON: ${(e as Error).message}.`);
  }
  const root = asObject(raw, '$');
  if (root.format !== HISTORY_FORMAT)
    throw new DataError(
      '',
      `$.format: expected "${HISTORY_FORMAT}", found ${JSON.stringify(root.format)}; this is not a Gradient Lens history file.`,
    );
  if (root.version !== HISTORY_VERSION)
    throw new DataError(
      '',
      `$.version: this reader understands version ${HISTORY_VERSION}, the file says ${JSON.stringify(root.version)}.`,
    );
  if (typeof root.model !== 'string') throw new DataError('', '$.model: expected the model name as a string.');
  if (!Array.isArray(root.history)) throw new DataError('', '$.history: expected an array of steps.');
  if (!Array.isArray(root.epochs)) throw new DataError('', '$.epochs: expected an array of epochs.');
  return {
    model: root.model,
    history: root.history.map((p, i) => decodeNumbers(p, `$.history[${i}]`) as StepPoint),
    epochs: root.epochs.map((p, i) => decodeNumbers(p, `$.epochs[${i}]`) as EpochStats),
  };
}

function asObject(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DataError('', `${where}: expected an object.`);
  return v as Record<string, unknown>;
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
