// What the worker reports about a step: the compact StepPoint kept in the history, and the rich
// StepDetail (heatmap, per-example gradients of the selected parameter, the batch's examples,
// histograms). Pure: runs in the worker, typed against the few Trainer methods it reads.

import type { ExampleInfo, HeatmapMode, LayerPoint, ParamSelection, StepDetail, StepPoint, Histogram } from '../protocol';
import type { FloatArray, LayerInfo, LayerStepStats, StepStats } from '../engine/types';
import type { Dataset } from '../data/dataset';
import type { ModelSpec } from '../model/spec';
import { buildHeatmap, compact, matrixView } from './heatmap';
import { buildHistogram } from './histogram';
import { lastUpdateTerms, mostVariedWeight } from '../engine/walkthrough';

/** The part of the engine's Trainer (src/engine/index.ts) the reports read. */
export interface TrainerView {
  readonly layers: LayerInfo[];
  perExampleGradient(sel: ParamSelection): number[];
  parameter(layer: number, kind: 'weight' | 'bias'): FloatArray;
  gradient(layer: number, kind: 'weight' | 'bias'): FloatArray;
  lastUpdate(layer: number, kind: 'weight' | 'bias'): FloatArray;
  /** The optimizer's state after the last update (for the formula's terms); optional for fakes. */
  optimizerState?(layer: number, kind: 'weight' | 'bias'): { first: FloatArray | null; second: FloatArray | null };
  readonly step: number;
  /** Every gᵢ of one parameter in the last batch (M × size), to pick the default selection. */
  perExampleGradients?(layer: number, kind: 'weight' | 'bias'): FloatArray;
}

/** Example images are sent for at most this many examples of a batch (the rest get `image: null`):
 *  a full batch of 800 digits would be a 2 MB message for pictures nobody hovers at once. */
export const MAX_EXAMPLE_IMAGES = 32;
/** Pixels per detail message for all example images together (~2.4 JSON bytes each): keeps a
 *  detail of a 32-digit batch well under 64 KB. Images are shrunk by whole factors to fit. */
export const IMAGE_PIXEL_BUDGET = 10000;

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

/**
 * At most this many per-example weight gradients (M × |W|, summed over the layers searched) are read
 * to pick the default selection: a dense layer materialises them when asked (10,000 examples through
 * 784→512 would be 4·10⁹ numbers, 16 GB), and keeps them for the run.
 */
export const MAX_PER_EXAMPLE_ELEMENTS = 1 << 24;

/**
 * The weight whose per-example gradients vary most (searched in the layers whose M × |W| fit
 * `maxElements` together, first layers first); when none fit, the first layer's weight entry with
 * the largest batch gradient, which needs no per-example tensor (the detail then reads only that
 * entry's M values).
 */
export function defaultSelection(
  trainer: TrainerView,
  batchSize = 0,
  maxElements = MAX_PER_EXAMPLE_ELEMENTS,
): ParamSelection | null {
  const tensors = trainer.perExampleGradients;
  if (tensors && batchSize > 1) {
    let budget = maxElements;
    const layers = [];
    for (const l of trainer.layers) {
      const w = l.params.find((p) => p.kind === 'weight');
      const n = w ? batchSize * w.shape.reduce((a, b) => a * b, 1) : 0;
      if (n > budget) break;
      budget -= n;
      layers.push(l);
    }
    const varied = layers.length
      ? mostVariedWeight({ layers, perExampleGradients: (L, k) => tensors.call(trainer, L, k) }, batchSize)
      : null;
    if (varied) return varied;
  }
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
  trainer: TrainerView,
  stats: StepStats,
  spec: ModelSpec,
  train: Dataset,
  opts: DetailOptions,
): StepDetail {
  const sel = opts.selection;
  let heatmap = null;
  let perExample = null;
  if (sel) {
    const param = trainer.layers.find((l) => l.index === sel.layer)?.params.find((p) => p.kind === sel.kind);
    if (param) {
      const source =
        opts.mode === 'weight'
          ? trainer.parameter(sel.layer, sel.kind)
          : opts.mode === 'update'
            ? trainer.lastUpdate(sel.layer, sel.kind)
            : trainer.gradient(sel.layer, sel.kind);
      heatmap = buildHeatmap(source, matrixView(sel.kind, param.shape), opts.heatmapMaxCells, {
        layer: sel.layer,
        kind: sel.kind,
        mode: opts.mode,
      });
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
        terms: lastUpdateTerms(trainer, spec.optimizer, sel),
      };
    }
  }
  const images =
    train.inputShape.length === 3 ? imageReader(train, Math.min(MAX_EXAMPLE_IMAGES, stats.exampleIndices.length)) : null;
  const examples: ExampleInfo[] = stats.exampleIndices.map((index, i) => ({
    index,
    label: stats.labels[i],
    prediction: stats.predictions[i],
    loss: compact(stats.perExampleLoss[i]),
    image: images && i < MAX_EXAMPLE_IMAGES ? images.read(index) : null,
  }));
  return {
    step: stats.step,
    epoch: stats.epoch,
    heatmap,
    perExample,
    examples,
    imageShape: images ? images.shape : null,
    histograms: opts.histograms,
  };
}

/** Smallest whole shrink factor that fits `count` images of h × w into the pixel budget. */
export function imageShrinkFactor(count: number, h: number, w: number, budget = IMAGE_PIXEL_BUDGET): number {
  let f = 1;
  while (count * Math.ceil(h / f) * Math.ceil(w / f) > budget && f < Math.max(h, w)) f++;
  return f;
}

/** Pixels 0–255 of an example's first channel (inputs are floats in [0, 1]), averaged over f × f blocks. */
function imageReader(train: Dataset, count: number): { shape: [number, number]; read(index: number): number[] } {
  const [, h, w] = train.inputShape;
  const size = train.inputShape.reduce((a, b) => a * b, 1);
  const f = imageShrinkFactor(count, h, w);
  const oh = Math.ceil(h / f);
  const ow = Math.ceil(w / f);
  return {
    shape: [oh, ow],
    read(index) {
      const out = new Array<number>(oh * ow);
      const base = index * size;
      for (let r = 0; r < oh; r++) {
        for (let c = 0; c < ow; c++) {
          let sum = 0;
          let n = 0;
          for (let y = r * f; y < Math.min(h, (r + 1) * f); y++) {
            for (let x = c * f; x < Math.min(w, (c + 1) * f); x++) {
              sum += train.x[base + y * w + x];
              n++;
            }
          }
          out[r * ow + c] = Math.max(0, Math.min(255, Math.round((sum / n) * 255)));
        }
      }
      return out;
    },
  };
}

/** One histogram of the batch weight gradient of every parameterised layer. */
export function gradientHistograms(trainer: TrainerView, step: number): Histogram[] {
  return trainer.layers
    .filter((l) => l.params.some((p) => p.kind === 'weight'))
    .map((l) => buildHistogram(trainer.gradient(l.index, 'weight'), l.index, step));
}
