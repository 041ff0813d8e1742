// What the worker reports about a step: the compact StepPoint kept in the history, and the rich
// StepDetail (heatmap, per-example gradients of the selected parameter, the batch's examples,
// histograms). Pure: runs in the worker, typed against the few Trainer methods it reads.

import type { ExampleInfo, HeatmapMode, LayerPoint, ParamSelection, StepDetail, StepPoint, Histogram } from '../protocol';
import type { FloatArray, LayerInfo, LayerStepStats, StepStats } from '../engine/types';
import type { Dataset } from '../data/dataset';
import type { ModelSpec } from '../model/spec';
import { buildHeatmap, compact, matrixView } from './heatmap';
import { buildHistogram } from './histogram';

/** The part of the engine's Trainer (src/engine/index.ts) the reports read. */
export interface TrainerView {
  readonly layers: LayerInfo[];
  perExampleGradient(sel: ParamSelection): number[];
  parameter(layer: number, kind: 'weight' | 'bias'): FloatArray;
  gradient(layer: number, kind: 'weight' | 'bias'): FloatArray;
  lastUpdate(layer: number, kind: 'weight' | 'bias'): FloatArray;
}

/** Example images are sent for at most this many examples of a batch (the rest get `image: null`):
 *  a full batch of 800 digits would be a 2 MB message for pictures nobody hovers at once. */
export const MAX_EXAMPLE_IMAGES = 32;

export function stepPoint(s: StepStats, time: number): StepPoint {
  return {
    step: s.step,
    epoch: s.epoch,
    examplesSeen: s.examplesSeen,
    time,
    loss: s.loss,
    accuracy: s.accuracy,
    noiseScale: s.noiseScale,
    layers: s.layers.map(layerPoint),
  };
}

function layerPoint(l: LayerStepStats): LayerPoint {
  const sorted = l.perExampleNorms.slice().sort((a, b) => a - b);
  const n = sorted.length;
  const median = n === 0 ? NaN : n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const cosineMean = l.cosineToMean.length ? l.cosineToMean.reduce((a, b) => a + b, 0) / l.cosineToMean.length : NaN;
  return {
    layer: l.layer,
    gradNorm: l.gradNorm,
    weightNorm: l.weightNorm,
    updateRatio: l.updateRatio,
    perExampleNormMin: n ? sorted[0] : NaN,
    perExampleNormMedian: median,
    perExampleNormMax: n ? sorted[n - 1] : NaN,
    cosineMean,
    noiseScale: l.noiseScale,
    deadFraction: l.deadFraction,
  };
}

/** The first layer's weight entry with the largest gradient in the last step: an interesting default. */
export function defaultSelection(trainer: TrainerView): ParamSelection | null {
  const info = trainer.layers.find((l) => l.params.some((p) => p.kind === 'weight'));
  if (!info) return null;
  const grad = trainer.gradient(info.index, 'weight');
  let best = 0;
  for (let i = 1; i < grad.length; i++) if (Math.abs(grad[i]) > Math.abs(grad[best])) best = i;
  return { layer: info.index, kind: 'weight', index: best };
}

/** True when the selection names an existing scalar parameter of this network. */
export function isValidSelection(trainer: TrainerView, sel: ParamSelection): boolean {
  const param = trainer.layers.find((l) => l.index === sel.layer)?.params.find((p) => p.kind === sel.kind);
  if (!param) return false;
  const size = param.shape.reduce((a, b) => a * b, 1);
  return Number.isInteger(sel.index) && sel.index >= 0 && sel.index < size;
}

export interface DetailOptions {
  selection: ParamSelection | null;
  mode: HeatmapMode;
  heatmapMaxCells: number;
  histograms: Histogram[];
}

export function buildDetail(
  trainer: TrainerView, stats: StepStats, spec: ModelSpec, train: Dataset, opts: DetailOptions,
): StepDetail {
  const sel = opts.selection;
  let heatmap = null;
  let perExample = null;
  if (sel) {
    const param = trainer.layers.find((l) => l.index === sel.layer)?.params.find((p) => p.kind === sel.kind);
    if (param) {
      const source = opts.mode === 'weight' ? trainer.parameter(sel.layer, sel.kind)
        : opts.mode === 'update' ? trainer.lastUpdate(sel.layer, sel.kind)
        : trainer.gradient(sel.layer, sel.kind);
      heatmap = buildHeatmap(source, matrixView(sel.kind, param.shape), opts.heatmapMaxCells,
        { layer: sel.layer, kind: sel.kind, mode: opts.mode });
      const values = trainer.perExampleGradient(sel);
      const after = trainer.parameter(sel.layer, sel.kind)[sel.index];
      const update = trainer.lastUpdate(sel.layer, sel.kind)[sel.index];
      perExample = {
        selection: sel,
        paramName: `${param.name}[${sel.index}]`,
        perExample: values,
        mean: values.reduce((a, b) => a + b, 0) / Math.max(1, values.length),
        learningRate: stats.learningRate,
        optimizer: spec.optimizer.type,
        before: after - update,
        after,
        update,
      };
    }
  }
  const image = train.inputShape.length === 3 ? imageReader(train) : null;
  const examples: ExampleInfo[] = stats.exampleIndices.map((index, i) => ({
    index,
    label: stats.labels[i],
    prediction: stats.predictions[i],
    loss: compact(stats.perExampleLoss[i]),
    image: image && i < MAX_EXAMPLE_IMAGES ? image(index) : null,
  }));
  return {
    step: stats.step,
    epoch: stats.epoch,
    heatmap,
    perExample,
    examples,
    imageShape: train.inputShape.length === 3 ? [train.inputShape[1], train.inputShape[2]] : null,
    histograms: opts.histograms,
  };
}

/** Pixels 0–255 of an example's first channel (inputs are floats in [0, 1]). */
function imageReader(train: Dataset): (index: number) => number[] {
  const [, h, w] = train.inputShape;
  const size = train.inputShape.reduce((a, b) => a * b, 1);
  return (index) => {
    const out = new Array<number>(h * w);
    const base = index * size;
    for (let p = 0; p < h * w; p++) out[p] = Math.max(0, Math.min(255, Math.round(train.x[base + p] * 255)));
    return out;
  };
}

/** One histogram of the batch weight gradient of every parameterised layer. */
export function gradientHistograms(trainer: TrainerView, step: number): Histogram[] {
  return trainer.layers
    .filter((l) => l.params.some((p) => p.kind === 'weight'))
    .map((l) => buildHistogram(trainer.gradient(l.index, 'weight'), l.index, step));
}
