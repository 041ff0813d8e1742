// JSON has no NaN, ±Infinity or −0, yet the histories hold them (noise scale is NaN when M = 1).
// They are written as the strings "NaN", "Infinity", "-Infinity", "-0" so an export reads back
// exactly. Finite numbers are written by JSON.stringify, whose shortest form round-trips exactly.

import { DataError } from '../errors/types';

export type EncodedNumber = number | 'NaN' | 'Infinity' | '-Infinity' | '-0';

export function encodeNumber(x: number): EncodedNumber {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (Object.is(x, -0)) return '-0';
  return x;
}

/** Decodes a value written by encodeNumber; null when it is not one. */
export function decodeNumber(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (v === '-0') return -0;
  return null;
}

/** JSON.stringify replacer that keeps non-finite numbers and −0. */
export function numberReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' ? encodeNumber(value) : value;
}

/** Text form for CSV cells: shortest round-trip form; "NaN", "Infinity", "-Infinity", "-0" spelled out. */
export function numberCell(x: number | null): string {
  if (x === null) return '';
  return Object.is(x, -0) ? '-0' : String(x);
}

export function parseNumberCell(cell: string): number | null {
  if (cell === '') return null;
  const v = Number(cell);
  if (Number.isNaN(v) && cell !== 'NaN') throw new DataError('', `"${cell}" is not a number`);
  return v;
}
