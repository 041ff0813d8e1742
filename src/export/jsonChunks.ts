// JSON text in pieces, for values too large to hold as one string (V8 strings stop at about 512 M
// characters, and a batch snapshot can be bigger). The pieces joined are exactly
// JSON.stringify(value): arrays of numbers come out one array per piece, everything else is
// walked. Pure.

export function* jsonChunks(value: unknown): Generator<string> {
  if (Array.isArray(value)) {
    if (value.every((x) => typeof x === 'number')) {
      yield JSON.stringify(value);
      return;
    }
    yield '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) yield ',';
      const v = value[i];
      // JSON.stringify writes null for array holes, undefined and functions.
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') yield 'null';
      else yield* jsonChunks(v);
    }
    yield ']';
    return;
  }
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON !== 'function') {
    yield '{';
    let first = true;
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      yield `${first ? '' : ','}${JSON.stringify(k)}:`;
      first = false;
      yield* jsonChunks(v);
    }
    yield '}';
    return;
  }
  yield JSON.stringify(value) ?? 'null';
}
