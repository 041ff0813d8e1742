// A read-only record of named values, each computed when first asked for (Variables, expressions).

import type { RecordValue, Value } from './expr';

export function record(label: string, fields: [string, () => Value | undefined][]): RecordValue {
  const map = new Map(fields);
  return {
    kind: 'record',
    label,
    names: () => [...map.keys()].filter((n) => map.get(n)!() !== undefined),
    get: (n) => map.get(n)?.(),
  };
}
