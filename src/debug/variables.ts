// Expression values as DAP variables: a tensor shows its dtype and shape first, then its summary,
// and its children (rows, or numbers for a vector) are paged through `indexedVariables` and only
// computed when the client asks for that page. References live until the run moves on.

import type { DebugProtocol } from '@vscode/debugprotocol';
import { formatNumber, formatValue, sizeOf, summarize, tensor, typeLabel, type Tensor, type Value } from './expr';

/** What a variables reference points at: a lazily evaluated value. */
type Container = { value: () => Value | undefined; evaluateName?: string };

export class VariableStore {
  private readonly containers = new Map<number, Container>();
  private next = 1000;

  /** Forgets every reference (the run moved: the values are stale). */
  reset(): void {
    this.containers.clear();
    this.next = 1000;
  }

  /** A reference for a value with children, or 0 for a leaf. */
  ref(value: () => Value | undefined, evaluateName?: string): number {
    const id = this.next++;
    this.containers.set(id, { value, evaluateName });
    return id;
  }

  /** The variable for one named value (for a scope, a record field or an evaluate result). */
  variable(name: string, v: Value, evaluateName?: string): DebugProtocol.Variable {
    if (typeof v === 'number' || typeof v === 'boolean') {
      return {
        name,
        value: typeof v === 'number' ? formatNumber(v) : String(v),
        type: typeof v,
        variablesReference: 0,
        evaluateName,
      };
    }
    const variablesReference = this.ref(() => v, evaluateName);
    if (v.kind === 'tensor') {
      const paged = v.shape.length > 0 && sizeOf(v.shape) > 0;
      return {
        name,
        value: formatValue(v),
        type: typeLabel(v),
        variablesReference,
        evaluateName,
        indexedVariables: paged ? v.shape[0] : undefined,
        namedVariables: paged ? 0 : undefined,
      };
    }
    if (v.kind === 'list')
      return {
        name,
        value: formatValue(v),
        type: 'list',
        variablesReference,
        evaluateName,
        indexedVariables: v.length,
        namedVariables: 0,
      };
    return { name, value: formatValue(v), type: 'record', variablesReference, evaluateName };
  }

  /** Children of a reference; `start`/`count` page through indexed children. */
  children(ref: number, args: { filter?: 'indexed' | 'named'; start?: number; count?: number }): DebugProtocol.Variable[] {
    const c = this.containers.get(ref);
    if (!c) return [];
    const v = c.value();
    if (v === undefined || typeof v !== 'object') return [];
    const base = c.evaluateName;
    if (v.kind === 'record') {
      if (args.filter === 'indexed') return [];
      return v.names().flatMap((n) => {
        const child = v.get(n);
        return child === undefined ? [] : [this.variable(n, child, base ? `${base}.${n}` : n)];
      });
    }
    if (args.filter === 'named') return [];
    const length = v.kind === 'list' ? v.length : (v.shape[0] ?? 0);
    const start = Math.max(0, args.start ?? 0);
    const end = Math.min(length, start + (args.count ?? length));
    const out: DebugProtocol.Variable[] = [];
    for (let i = start; i < end; i++) {
      const child = v.kind === 'list' ? v.at(i) : row(v, i);
      out.push(this.variable(`[${i}]`, child, base ? `${base}[${i}]` : undefined));
    }
    return out;
  }
}

/** Row i of a tensor (a view, no copy), or the number at i of a vector. */
export function row(t: Tensor, i: number): Value {
  if (t.shape.length === 1) return t.data[i];
  const inner = t.shape.slice(1),
    size = sizeOf(inner);
  const data = t.data as Float32Array;
  return tensor(
    inner,
    typeof data.subarray === 'function'
      ? data.subarray(i * size, (i + 1) * size)
      : Array.from(t.data).slice(i * size, (i + 1) * size),
    t.dtype,
  );
}

export { summarize };
