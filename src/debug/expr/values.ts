// What an expression evaluates to: numbers, booleans, tensors (shape + flat row-major data), and
// read-only records and lists that resolve their members lazily (so `layers[1].grad` only copies
// what is asked for).

export type Dtype = 'float32' | 'float64' | 'int32';

export interface Tensor {
  kind: 'tensor';
  shape: number[];
  data: ArrayLike<number>;
  dtype: Dtype;
}

export interface RecordValue {
  kind: 'record';
  /** What the record is, for messages (`layers[1]`). */
  label: string;
  names(): string[];
  get(name: string): Value | undefined;
  /** A one-line summary shown instead of the list of names. */
  summary?(): string;
}

export interface ListValue {
  kind: 'list';
  label: string;
  length: number;
  at(i: number): Value;
}

export type Value = number | boolean | Tensor | RecordValue | ListValue;

/** Where names are looked up: the stopped frame's scalars, tensors and records. */
export interface Scope {
  names(): string[];
  get(name: string): Value | undefined;
}

export function tensor(shape: number[], data: ArrayLike<number>, dtype: Dtype = 'float32'): Tensor {
  return { kind: 'tensor', shape, data, dtype };
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function describeKind(v: Value): string {
  if (typeof v === 'number') return 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  if (v.kind === 'tensor') return `a tensor ${typeLabel(v)}`;
  if (v.kind === 'list') return `a list of ${v.length}`;
  return `${v.label} (a record)`;
}

/** `float32[784×128]`: dtype and shape, the first thing a user wants to know of a tensor. */
export function typeLabel(t: Tensor): string {
  return `${t.dtype}[${t.shape.join('×')}]`;
}

export interface Summary {
  min: number;
  max: number;
  mean: number;
  norm: number;
  nonFinite: number;
}

export function summarize(data: ArrayLike<number>): Summary {
  let min = Infinity,
    max = -Infinity,
    sum = 0,
    sq = 0,
    nonFinite = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sq += v * v;
  }
  const finite = data.length - nonFinite;
  return { min: finite ? min : NaN, max: finite ? max : NaN, mean: finite ? sum / finite : NaN, norm: Math.sqrt(sq), nonFinite };
}

export function formatNumber(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-4 || a >= 1e6) ? v.toExponential(4) : String(Number(v.toPrecision(6)));
}

/** One line for the Debug Console, a watch or a variable's value. */
export function formatValue(v: Value): string {
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return String(v);
  if (v.kind === 'tensor') {
    const n = v.data.length;
    if (n <= 8) return `${typeLabel(v)} [${Array.from(v.data, formatNumber).join(', ')}]`;
    const s = summarize(v.data);
    const bad = s.nonFinite ? `  non-finite ${s.nonFinite}` : '';
    return `${typeLabel(v)}  min ${formatNumber(s.min)}  max ${formatNumber(s.max)}  mean ${formatNumber(s.mean)}  norm ${formatNumber(s.norm)}${bad}`;
  }
  if (v.kind === 'list') return `${v.label} (${v.length})`;
  return v.summary ? v.summary() : `${v.label} {${v.names().join(', ')}}`;
}
