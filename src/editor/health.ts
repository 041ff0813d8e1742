// Gradient-health rules: the latest per-layer statistics of a run → findings shown as
// diagnostics on the layer's line. Pure (no `vscode`), so the rules are unit-tested directly.

import type { LayerPoint } from '../protocol';
import type { NonFiniteReport } from '../engine/types';
import { formatPercent, formatSci } from './format';

export interface HealthThresholds {
  /** A layer's batch-gradient norm above this is "exploding" (setting gradientLens.health.explodingGradNorm). */
  explodingGradNorm: number;
  /** Below this, for layers before the last parameterised one, "vanishing" (gradientLens.health.vanishingGradNorm). */
  vanishingGradNorm: number;
  /** Dead-ReLU fraction above this is reported (gradientLens.health.deadReluFraction). */
  deadReluFraction: number;
}

export const DEFAULT_THRESHOLDS: HealthThresholds = {
  explodingGradNorm: 100,
  vanishingGradNorm: 1e-6,
  deadReluFraction: 0.5,
};

export type HealthKind = 'exploding-gradient' | 'vanishing-gradient' | 'dead-relu' | 'non-finite';

export interface HealthFinding {
  /** Index into spec.layers, or -1 when it concerns the loss rather than a layer. */
  layer: number;
  severity: 'error' | 'warning';
  kind: HealthKind;
  message: string;
}

/** `layers[2]` for a layer, `loss` for the loss: the JSON path the message starts with, like parse problems. */
export function layerPath(layer: number): string {
  return layer < 0 ? 'loss' : `layers[${layer}]`;
}

/**
 * Findings for the latest step. `layers` are that step's per-layer points (parameterised layers
 * only); `nonFinite` is the session's NaN/Inf report, if any. At most one finding per layer and
 * kind; a non-finite value makes the other rules meaningless for that layer, so it wins.
 */
export function assessHealth(
  layers: readonly LayerPoint[],
  nonFinite: NonFiniteReport | null | undefined,
  thresholds: HealthThresholds = DEFAULT_THRESHOLDS,
): HealthFinding[] {
  const findings: HealthFinding[] = [];
  const nonFiniteLayers = new Set<number>();

  if (nonFinite) {
    nonFiniteLayers.add(nonFinite.layer);
    const example = nonFinite.example >= 0 ? ` (example ${nonFinite.example} of the batch)` : '';
    findings.push({
      layer: nonFinite.layer,
      severity: 'error',
      kind: 'non-finite',
      message: `${layerPath(nonFinite.layer)}: a NaN or infinite ${nonFinite.where} value appeared here${example}: ${nonFinite.message}`,
    });
  }

  // "Before the last" means closer to the input than the last parameterised layer: the output
  // layer's gradient comes straight from the loss, so a tiny one there is not vanishing.
  const lastParamLayer = layers.reduce((last, p) => Math.max(last, p.layer), -1);

  for (const p of layers) {
    const path = layerPath(p.layer);
    if (!Number.isFinite(p.gradNorm)) {
      if (nonFiniteLayers.has(p.layer)) continue;
      nonFiniteLayers.add(p.layer);
      findings.push({
        layer: p.layer,
        severity: 'error',
        kind: 'non-finite',
        message: `${path}: the gradient norm is ${formatSci(p.gradNorm)}; training has diverged. Lower the learning rate or check the data for NaN values.`,
      });
      continue;
    }
    if (nonFiniteLayers.has(p.layer)) continue;
    if (p.gradNorm > thresholds.explodingGradNorm) {
      findings.push({
        layer: p.layer,
        severity: 'warning',
        kind: 'exploding-gradient',
        message: `${path}: exploding gradient: norm ${formatSci(p.gradNorm)} is above ${formatSci(thresholds.explodingGradNorm, 0)}. Lower the learning rate or normalise the inputs.`,
      });
    } else if (p.layer < lastParamLayer && p.gradNorm < thresholds.vanishingGradNorm) {
      findings.push({
        layer: p.layer,
        severity: 'warning',
        kind: 'vanishing-gradient',
        message: `${path}: vanishing gradient: norm ${formatSci(p.gradNorm)} is below ${formatSci(thresholds.vanishingGradNorm, 0)}, so this layer barely learns. Try ReLU instead of sigmoid/tanh or fewer layers.`,
      });
    }
    if (p.deadFraction !== null && p.deadFraction > thresholds.deadReluFraction) {
      findings.push({
        layer: p.layer,
        severity: 'warning',
        kind: 'dead-relu',
        message: `${path}: ${formatPercent(p.deadFraction)} of the ReLU units are dead (zero for every example of the batch), so they get no gradient. Lower the learning rate or use leaky-relu.`,
      });
    }
  }
  return findings;
}

/** A stable key of a list of findings, to skip republishing diagnostics when nothing changed. */
export function findingsKey(findings: readonly HealthFinding[]): string {
  return findings.map((f) => `${f.layer}|${f.kind}|${f.severity}|${f.message}`).join('\n');
}
