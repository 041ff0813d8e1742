// The markdown of a layer hover: the layer's latest statistics with one plain sentence each.
// Pure (no `vscode`); hover.ts wraps it in a trusted MarkdownString.

import type { DeepReadonly, LayerPoint } from '../protocol';
import type { LayerInfo } from '../engine/types';
import { formatPercent, formatSci, formatValue } from './format';

export interface LayerHoverInput {
  /** The layer's latest point (parameterised layers only). */
  point: DeepReadonly<LayerPoint>;
  /** The engine's description of the layer, when the run knows it. */
  info: DeepReadonly<LayerInfo> | undefined;
  step: number;
  epoch: number;
  /** Command id for the "open the panel" link. */
  openPanelCommand: string;
}

/** Escapes the characters that would break a markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** A markdown table of the layer's statistics and what each one means. */
export function layerHoverMarkdown(input: LayerHoverInput): string {
  const { point, info } = input;
  const title = info ? `${info.label}` : `layer ${point.layer}`;
  const rows: [string, string, string][] = [
    ['Gradient norm ‖∇‖', formatSci(point.gradNorm, 2), 'Size of the batch-mean gradient that becomes the update θ ← θ − γ·∇.'],
    ['Weight norm ‖θ‖', formatSci(point.weightNorm, 2), "Size of this layer's parameters before the update."],
    [
      'Update ratio ‖Δθ‖/‖θ‖',
      formatSci(point.updateRatio, 2),
      'How much one step changes the weights; around 1e-3 is typical, far above jumps around, far below barely learns.',
    ],
    [
      'Per-example ‖gᵢ‖ min / median / max',
      `${formatSci(point.perExampleNormMin)} / ${formatSci(point.perExampleNormMedian)} / ${formatSci(point.perExampleNormMax)}`,
      'Gradient size of single examples; a max far above the median means a few examples dominate the batch.',
    ],
    [
      'Cosine agreement',
      formatValue(point.cosineMean),
      'Mean cos(gᵢ, batch gradient): near 1 the examples agree on the direction, near 0 the mean is mostly noise.',
    ],
    [
      'Noise scale B',
      formatSci(point.noiseScale, 2),
      'tr(Σ)/‖∇‖²: batches much smaller than this are dominated by gradient noise.',
    ],
  ];
  if (point.deadFraction !== null) {
    rows.push([
      'Dead ReLU units',
      formatPercent(point.deadFraction),
      'Units that output 0 for every example of the batch; they receive no gradient.',
    ]);
  }
  const lines = [
    `**Gradient Lens · layers[${point.layer}]** ${cell(title)} — step ${input.step}, epoch ${input.epoch}`,
    '',
    '| Statistic | Value | Meaning |',
    '|---|---:|---|',
    ...rows.map(([name, value, meaning]) => `| ${cell(name)} | ${cell(value)} | ${cell(meaning)} |`),
    '',
    `[$(graph) Open the gradient panel](command:${input.openPanelCommand})`,
  ];
  return lines.join('\n');
}

/** A short line for a layer without parameters (flatten, pooling, activations). */
export function parameterFreeLayerMarkdown(layer: number, info: DeepReadonly<LayerInfo> | undefined): string {
  const label = info ? `${info.label} [${info.inputShape.join(', ')}] → [${info.outputShape.join(', ')}]` : `layer ${layer}`;
  return `**Gradient Lens · layers[${layer}]** ${cell(label)} — no parameters; gradients pass through to the layer before.`;
}
