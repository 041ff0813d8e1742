// Evaluates a parsed expression against a scope. Safe by construction: the tree can only read
// names of the scope, index tensors, and call the functions listed here (no eval, no property
// access beyond what records expose).

import type { Expr, IndexPart, Range } from './ast';
import { namesIn } from './ast';
import { parseExpression } from './parse';
import { ExprError } from './tokenize';
import { describeKind, sizeOf, summarize, tensor, type Scope, type Tensor, type Value } from './values';

type Reducer = (t: Tensor) => number;

const REDUCERS: Record<string, Reducer> = {
  norm: (t) => summarize(t.data).norm,
  mean: (t) => mean(t.data),
  sum: (t) => {
    let s = 0;
    for (let i = 0; i < t.data.length; i++) s += t.data[i];
    return s;
  },
  min: (t) => {
    let m = Infinity;
    for (let i = 0; i < t.data.length; i++) m = Math.min(m, t.data[i]);
    return m;
  },
  max: (t) => {
    let m = -Infinity;
    for (let i = 0; i < t.data.length; i++) m = Math.max(m, t.data[i]);
    return m;
  },
  size: (t) => t.data.length,
  count_nonfinite: (t) => summarize(t.data).nonFinite,
};

const ELEMENTWISE: Record<string, (x: number) => number> = {
  abs: Math.abs,
  sqrt: Math.sqrt,
  exp: Math.exp,
  log: Math.log,
};

/** Every function a user can call, for messages and completion. */
export const FUNCTIONS = [...Object.keys(REDUCERS), ...Object.keys(ELEMENTWISE), 'cos', 'shape', 'isfinite'];

export function evaluate(e: Expr, scope: Scope): Value {
  switch (e.type) {
    case 'number':
      return e.value;
    case 'name': {
      const v = scope.get(e.name);
      if (v === undefined) throw unknownName(e.name, scope.names(), e.range);
      return v;
    }
    case 'unary': {
      const v = evaluate(e.operand, scope);
      if (e.op === '!') return !truthy(v, e.operand.range);
      return e.op === '-' ? arith('*', -1, v, e.range) : arith('*', 1, v, e.range);
    }
    case 'binary':
      return binary(e.op, e.left, e.right, scope, e.range);
    case 'call':
      return call(
        e.callee,
        e.args.map((a) => evaluate(a, scope)),
        e.range,
      );
    case 'member':
      return member(evaluate(e.object, scope), e.name, e.range);
    case 'method': {
      const obj = evaluate(e.object, scope);
      if (typeof obj === 'object' && obj.kind === 'tensor')
        return call(e.name, [obj, ...e.args.map((a) => evaluate(a, scope))], e.range);
      throw new ExprError(`.${e.name}() needs a tensor, but this is ${describeKind(obj)}`, e.range.offset, e.range.length);
    }
    case 'index':
      return index(evaluate(e.object, scope), e.indices, scope, e.range);
  }
}

/** A condition's truth; NaN (a value this stop point does not have yet) is false. */
export function truthy(v: Value, range: Range): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  throw new ExprError(`a condition must be true or false, but this is ${describeKind(v)}`, range.offset, range.length);
}

/** Parses and checks that every name exists in `known` (a breakpoint condition before the run reaches it). */
export function checkExpression(text: string, known: readonly string[]): Expr {
  const e = parseExpression(text);
  for (const n of namesIn(e)) {
    if (!known.includes(n.name)) throw unknownName(n.name, known, n.range);
  }
  return e;
}

function binary(op: string, l: Expr, r: Expr, scope: Scope, range: Range): Value {
  if (op === '&&') return truthy(evaluate(l, scope), l.range) && truthy(evaluate(r, scope), r.range);
  if (op === '||') return truthy(evaluate(l, scope), l.range) || truthy(evaluate(r, scope), r.range);
  const a = evaluate(l, scope),
    b = evaluate(r, scope);
  if (op === '==' || op === '!=') {
    if (typeof a === 'object' || typeof b === 'object') {
      throw new ExprError(
        `"${op}" compares numbers or booleans, not ${describeKind(typeof a === 'object' ? a : b)}`,
        range.offset,
        range.length,
      );
    }
    return op === '==' ? Number(a) === Number(b) : Number(a) !== Number(b);
  }
  if (op === '<' || op === '<=' || op === '>' || op === '>=') {
    const x = scalar(a, l.range, op),
      y = scalar(b, r.range, op);
    return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
  }
  return arith(op, a, b, range);
}

function scalar(v: Value, range: Range, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v.kind === 'tensor' && v.data.length === 1) return v.data[0];
  throw new ExprError(
    `"${what}" needs a number here, but this is ${describeKind(v)} (reduce it first, e.g. norm(…) or mean(…))`,
    range.offset,
    range.length,
  );
}

function arith(op: string, a: Value, b: Value, range: Range): Value {
  const f = OPS[op];
  const ta = asTensorOrNumber(a, range, op),
    tb = asTensorOrNumber(b, range, op);
  if (typeof ta === 'number' && typeof tb === 'number') return f(ta, tb);
  if (typeof ta === 'number') return map(tb as Tensor, (x) => f(ta, x));
  if (typeof tb === 'number') return map(ta, (x) => f(x, tb));
  if (ta.shape.join() !== tb.shape.join()) {
    throw new ExprError(
      `"${op}" needs tensors of the same shape, got [${ta.shape.join('×')}] and [${tb.shape.join('×')}]`,
      range.offset,
      range.length,
    );
  }
  const out = new Float64Array(ta.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(ta.data[i], tb.data[i]);
  return tensor(ta.shape.slice(), out, 'float64');
}

const OPS: Record<string, (x: number, y: number) => number> = {
  '+': (x, y) => x + y,
  '-': (x, y) => x - y,
  '*': (x, y) => x * y,
  '/': (x, y) => x / y,
  '%': (x, y) => x % y,
};

function asTensorOrNumber(v: Value, range: Range, op: string): number | Tensor {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v.kind === 'tensor') return v;
  throw new ExprError(`"${op}" works on numbers and tensors, not ${describeKind(v)}`, range.offset, range.length);
}

function map(t: Tensor, f: (x: number) => number): Tensor {
  const out = new Float64Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(t.data[i]);
  return tensor(t.shape.slice(), out, 'float64');
}

function call(name: string, args: Value[], range: Range): Value {
  const err = (msg: string): ExprError => new ExprError(msg, range.offset, range.length);
  const one = (): Tensor | number => {
    if (args.length !== 1) throw err(`${name}(…) takes one argument, got ${args.length}`);
    const v = args[0];
    if (typeof v === 'number') return v;
    if (typeof v === 'object' && v.kind === 'tensor') return v;
    throw err(`${name}(…) needs a tensor or a number, but got ${describeKind(v)}`);
  };
  if (name in REDUCERS) {
    const v = one();
    return typeof v === 'number' ? REDUCERS[name](tensor([1], [v])) : REDUCERS[name](v);
  }
  if (name in ELEMENTWISE) {
    const v = one();
    return typeof v === 'number' ? ELEMENTWISE[name](v) : map(v, ELEMENTWISE[name]);
  }
  if (name === 'isfinite') {
    const v = one();
    return typeof v === 'number' ? Number.isFinite(v) : summarize(v.data).nonFinite === 0;
  }
  if (name === 'shape') {
    const v = one();
    const shape = typeof v === 'number' ? [] : v.shape;
    return tensor([shape.length], shape, 'int32');
  }
  if (name === 'cos') {
    if (args.length !== 2) throw err(`cos(a, b) takes two tensors, got ${args.length} argument${args.length === 1 ? '' : 's'}`);
    const [a, b] = args;
    if (typeof a !== 'object' || a.kind !== 'tensor' || typeof b !== 'object' || b.kind !== 'tensor')
      throw err('cos(a, b) takes two tensors');
    if (a.data.length !== b.data.length)
      throw err(`cos(a, b) needs tensors of the same size, got ${a.data.length} and ${b.data.length}`);
    let ab = 0,
      aa = 0,
      bb = 0;
    for (let i = 0; i < a.data.length; i++) {
      ab += a.data[i] * b.data[i];
      aa += a.data[i] ** 2;
      bb += b.data[i] ** 2;
    }
    return ab / Math.sqrt(aa * bb);
  }
  throw err(`unknown function "${name}" (functions: ${FUNCTIONS.join(', ')})`);
}

function member(obj: Value, name: string, range: Range): Value {
  if (typeof obj === 'object' && obj.kind === 'record') {
    const v = obj.get(name);
    if (v === undefined) throw unknownName(name, obj.names(), range, `${obj.label} has no "${name}"`);
    return v;
  }
  if (typeof obj === 'object' && obj.kind === 'tensor') {
    if (name === 'shape') return call('shape', [obj], range);
    if (name === 'size') return obj.data.length;
    if (name === 'T') return transpose(obj, range);
  }
  if (typeof obj === 'object' && obj.kind === 'list' && name === 'length') return obj.length;
  throw new ExprError(`${describeKind(obj)} has no ".${name}"`, range.offset, range.length);
}

function transpose(t: Tensor, range: Range): Tensor {
  if (t.shape.length !== 2) throw new ExprError(`.T needs a 2-D tensor, got [${t.shape.join('×')}]`, range.offset, range.length);
  const [r, c] = t.shape;
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j];
  return tensor([c, r], out, t.dtype);
}

function index(obj: Value, parts: IndexPart[], scope: Scope, range: Range): Value {
  const intAt = (e: Expr, len: number, allowEnd: boolean): number => {
    const v = evaluate(e, scope);
    if (typeof v !== 'number' || !Number.isInteger(v))
      throw new ExprError(
        `an index must be a whole number, got ${typeof v === 'number' ? v : describeKind(v)}`,
        e.range.offset,
        e.range.length,
      );
    const k = v < 0 ? v + len : v;
    if (k < 0 || k > len || (!allowEnd && k === len))
      throw new ExprError(`index ${v} is out of range 0…${len - 1}`, e.range.offset, e.range.length);
    return k;
  };
  if (typeof obj === 'object' && obj.kind === 'list') {
    if (parts.length !== 1 || parts[0].type !== 'at')
      throw new ExprError(`${obj.label} takes one index, e.g. ${obj.label}[0]`, range.offset, range.length);
    return obj.at(intAt(parts[0].value, obj.length, false));
  }
  if (typeof obj !== 'object' || obj.kind !== 'tensor') {
    throw new ExprError(`${describeKind(obj)} cannot be indexed`, range.offset, range.length);
  }
  if (parts.length > obj.shape.length) {
    throw new ExprError(
      `${parts.length} indices for a tensor of ${obj.shape.length} dimension${obj.shape.length === 1 ? '' : 's'} [${obj.shape.join('×')}]`,
      range.offset,
      range.length,
    );
  }
  // Per dimension: the kept range [start, end) and whether the dimension stays.
  const dims = obj.shape.map((len, d) => {
    const p = parts[d];
    if (!p) return { start: 0, end: len, keep: true };
    if (p.type === 'at') {
      const k = intAt(p.value, len, false);
      return { start: k, end: k + 1, keep: false };
    }
    const start = p.start ? intAt(p.start, len, true) : 0;
    const end = p.end ? intAt(p.end, len, true) : len;
    if (end < start) throw new ExprError(`the slice ${start}:${end} is empty`, p.range.offset, p.range.length);
    return { start, end, keep: true };
  });
  const outShape = dims.filter((d) => d.keep).map((d) => d.end - d.start);
  const strides = obj.shape.map((_, d) => sizeOf(obj.shape.slice(d + 1)));
  const out = new Float64Array(sizeOf(dims.map((d) => d.end - d.start)));
  let n = 0;
  const walk = (d: number, base: number): void => {
    if (d === dims.length) {
      out[n++] = obj.data[base];
      return;
    }
    for (let k = dims[d].start; k < dims[d].end; k++) walk(d + 1, base + k * strides[d]);
  };
  walk(0, 0);
  if (outShape.length === 0) return out[0];
  return tensor(outShape, out, obj.dtype);
}

function mean(data: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i];
  return s / data.length;
}

function unknownName(name: string, known: readonly string[], range: Range, lead = `unknown name "${name}"`): ExprError {
  const near = known.find((k) => k.toLowerCase() === name.toLowerCase()) ?? known.find((k) => editDistance(k, name) <= 2);
  const hint = near ? ` (did you mean "${near}"?)` : known.length ? ` (names here: ${known.join(', ')})` : '';
  return new ExprError(`${lead}${hint}`, range.offset, range.length);
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}
