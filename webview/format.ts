// Number formatting for a panel full of tiny and huge numbers: short, signed, never "NaN" surprises.

export function num(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined) return '–';
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  const s = a >= 1e4 || a < 1e-3 ? x.toExponential(digits - 1) : x.toPrecision(digits);
  return s.replace(/-/g, '−');
}

/** A number as it appears inside a formula: negative values in parentheses. */
export function term(x: number, digits = 3): string {
  const s = num(x, digits);
  return x < 0 ? `(${s})` : s;
}

export function pct(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return `${(x * 100).toFixed(1)}%`;
}
