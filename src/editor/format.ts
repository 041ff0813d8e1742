// Number and label formatting for text shown beside the code (decorations, hovers, status bar).
// Pure: no `vscode` import, so it is unit-tested with node:test.

import type { LayerPoint } from '../protocol';

/**
 * Compact scientific notation: `3.2e-2`, `1.1e+3`, `0`. Exponents carry no leading zeros so the
 * text stays short enough to sit at the end of a line of code.
 */
export function formatSci(x: number, fractionDigits = 1): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '∞';
  if (x === -Infinity) return '-∞';
  if (x === 0) return '0';
  const [mantissa, exponent] = x.toExponential(fractionDigits).split('e');
  const sign = exponent.startsWith('-') ? '-' : '+';
  const digits = exponent.replace(/^[+-]/, '');
  return `${mantissa}e${sign}${digits}`;
}

/**
 * A human-scale number: plain with 3 significant digits when it reads well as a decimal
 * (0.01 ≤ |x| < 10 000), scientific otherwise. Used for losses and other quantities near 1.
 */
export function formatValue(x: number): string {
  if (!Number.isFinite(x)) return formatSci(x);
  if (x === 0) return '0';
  const magnitude = Math.abs(x);
  if (magnitude >= 0.01 && magnitude < 10_000) {
    // toPrecision may give `12.0`; drop trailing zeros after the point, keep integers whole.
    const text = magnitude >= 1000 ? x.toFixed(0) : x.toPrecision(3);
    return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
  }
  return formatSci(x);
}

/** A fraction in [0, 1] as a percentage without decimals (`73%`), or `n/a` for null. */
export function formatPercent(fraction: number | null): string {
  if (fraction === null) return 'n/a';
  if (!Number.isFinite(fraction)) return formatSci(fraction);
  return `${Math.round(fraction * 100)}%`;
}

/**
 * The text at the end of a layer's first line: gradient norm and update ratio, the two numbers
 * that tell at a glance whether a layer learns (‖∇‖ far from 0 and ∞, Δ/θ around 1e-3).
 */
export function layerDecorationText(point: LayerPoint): string {
  const parts = [`‖∇‖ ${formatSci(point.gradNorm)}`, `Δ/θ ${formatSci(point.updateRatio)}`];
  if (point.deadFraction !== null && point.deadFraction > 0) parts.push(`dead ${formatPercent(point.deadFraction)}`);
  return parts.join(' · ');
}
