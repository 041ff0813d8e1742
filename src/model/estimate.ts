// What a run will need, in bytes, before anything is allocated: parameters (values, gradients,
// optimizer state), the activations of one batch (forward and backward buffers of the training
// network and of the evaluation network), the per-example gradient buffers the run will use, and
// the size of a batch snapshot. Derived from the same shape arithmetic the engine sizes its buffers with
// (shapes.ts), buffer by buffer as the layers allocate them, so a model that would not fit is
// refused with a message instead of failing inside the engine. Pure: the editor may call it too.

import type { LayerSpec, ModelSpec, Shape } from './spec';
import { inferShapes, window2d } from './shapes';
import { ResourceError } from '../errors/types';
import type { Location } from '../errors/location';
// The engine's one chunk size for conv columns (imported from the layer, not the engine's index,
// so the editor's estimate does not load the trainer).
import { DEFAULT_CHUNK, denseGramIsCheaper } from '../engine/layers/layer';
// What the WASM backend allocates for its second thread (no imports: the editor may load it).
import { gramListFloats, gramScratchFloats, SPLIT_FLOATS } from '../engine/wasm/twoThreadSizes';

/** Examples per chunk of the evaluation network (the trainer's EVAL_CHUNK). */
export const EVAL_CHUNK = 256;

/**
 * Bytes one number takes in a batch snapshot while it is built: a JavaScript array element (8) and
 * the slack of arrays grown row by row. The JSON text is streamed, never held whole.
 */
export const SNAPSHOT_BYTES_PER_NUMBER = 16;

export interface LayerEstimate {
  index: number;
  type: LayerSpec['type'];
  parameters: number;
  /** Values, gradients and optimizer state of this layer's parameters. */
  parameterBytes: number;
  /** Forward and backward buffers for a training batch and an evaluation chunk. */
  activationBytes: number;
  /** Per-example gradients of this layer's parameters, for one training batch. */
  perExampleBytes: number;
  total: number;
}

export interface RunEstimate {
  /** Examples per training step, as the trainer will use it (batchSize capped by the data). */
  batch: number;
  parameters: number;
  parameterBytes: number;
  activationBytes: number;
  perExampleBytes: number;
  /** Everything a training run allocates (the data itself excluded: it is already loaded). */
  runBytes: number;
  /** Numbers in a batch snapshot (inputs, targets, losses, values, gradients, per-example gradients). */
  snapshotNumbers: number;
  /** Memory a batch snapshot takes while it is built and written (SNAPSHOT_BYTES_PER_NUMBER each). */
  snapshotBytes: number;
  layers: LayerEstimate[];
}

export interface EstimateInput {
  spec: ModelSpec;
  inputShape: Shape;
  numClasses: number;
  /** Training examples (caps the batch) and the larger of training/validation (caps the evaluation chunk). */
  trainCount: number;
  evalCount?: number;
  /**
   * Who asks for every dense gᵢ(W) at once (M × |W|; the engine allocates them on first use only):
   * `snapshot` for a batch snapshot (the evaluation network, a chunk at a time), `training` for a
   * view that reads the training batch's per-example tensors. Conv layers keep theirs always.
   */
  perExampleTensors?: { snapshot?: boolean; training?: boolean };
  /**
   * The engine threads of a float32 run (default 1). 2 adds what the second thread needs: a second
   * column-gradient block per conv layer and network, the helper's call list and scratch (wasm/
   * split.ts) and the dense layers' deferred Gram statistics scratch (wasm/deferredStats.ts). A
   * refusal made before the threads are known counts 2 (MemoryCheck.threads): the upper bound.
   */
  threads?: 1 | 2;
}

/** The estimate, or null when the network does not fit its input (the shape check reports that). */
export function estimateRun(input: EstimateInput): RunEstimate | null {
  const { spec, inputShape } = input;
  const { shapes, error } = inferShapes(spec.layers, inputShape);
  if (error) return null;
  const bytes = spec.dtype === 'float64' ? 8 : 4;
  const batch = Math.max(1, Math.min(spec.batchSize, input.trainCount));
  const evalBatch = Math.max(1, Math.min(EVAL_CHUNK, Math.max(input.trainCount, input.evalCount ?? 0)));
  const nets = batch + evalBatch;
  const asked = input.perExampleTensors ?? {};
  const denseRows = (asked.training ? batch : 0) + (asked.snapshot ? evalBatch : 0);
  // Conv columns are kept for one chunk of each network's examples.
  const colRows = Math.min(batch, DEFAULT_CHUNK) + Math.min(evalBatch, DEFAULT_CHUNK);
  const optimizerCopies = spec.optimizer.type === 'adam' ? 2 : spec.optimizer.momentum !== 0 ? 1 : 0;
  // two threads only on the WASM backend, which is float32
  const two = input.threads === 2 && spec.dtype !== 'float64';
  let gramJobs = 0; // dense layers whose Gram statistics the helper runs (two threads)
  const layers: LayerEstimate[] = [];
  let inShape = inputShape;
  for (let i = 0; i < spec.layers.length; i++) {
    const layer = spec.layers[i];
    const out = shapes[i];
    const inSize = size(inShape);
    const outSize = size(out);
    // Every layer but the first keeps ∂L/∂input for the layer before it.
    const inputGrad = i > 0 ? inSize : 0;
    let parameters = 0;
    let perExample = 0; // per-example buffer elements, all examples
    let perRow: number; // activation elements per example (training and evaluation networks alike)
    let fixed = 0; // elements not kept per example of both networks (a chunk, the training batch, none)
    switch (layer.type) {
      case 'dense': {
        const act = layer.activation === 'linear' ? 0 : 1;
        parameters = inSize * layer.units + layer.units;
        perRow = layer.units * (3 + act) + inputGrad;
        perExample = inSize * layer.units * denseRows;
        // two threads: the training batch's Gram statistics on the helper, in scratch of their own
        if (two && denseGramIsCheaper(batch, inSize, layer.units)) {
          fixed = gramScratchFloats(batch, inSize, layer.units);
          gramJobs++;
        }
        break;
      }
      case 'conv2d': {
        const [c, h, w] = inShape;
        const p = window2d(h, w, layer.kernelSize, layer.stride, layer.padding);
        const positions = p.outH * p.outW;
        const k = c * layer.kernelSize * layer.kernelSize;
        const act = layer.activation === 'linear' ? 0 : 1;
        parameters = layer.filters * k + layer.filters;
        perRow = layer.filters * positions * (2 + act) + inputGrad;
        perExample = (layer.filters * k + layer.filters) * nets;
        // the columns of a chunk, and one example's column gradient in each network (two where the
        // backend splits the examples between two threads); the training batch's per-example
        // reductions for the statistics (two batch-long results)
        fixed = k * positions * (colRows + 2 * (two ? 2 : 1)) + 2 * batch;
        break;
      }
      // maxpool2d keeps no argmax (the backward pass finds the winner again from input and output)
      default:
        perRow = outSize + inputGrad;
    }
    // Values (shared), a gradient in each network, the update, and the optimizer's state.
    const parameterBytes = parameters * (4 + optimizerCopies) * bytes;
    const activationBytes = (perRow * nets + fixed) * bytes;
    const perExampleBytes = perExample * bytes;
    layers.push({
      index: i,
      type: layer.type,
      parameters,
      parameterBytes,
      activationBytes,
      perExampleBytes,
      total: parameterBytes + activationBytes + perExampleBytes,
    });
    inShape = out;
  }
  const outputs = size(shapes[shapes.length - 1] ?? [input.numClasses]);
  // the input and output-gradient buffers of each network and the outputs' per-example labels,
  // predictions (int32) and losses (float64); the statistics' one-number scratch; with two threads,
  // the helper's call list and scratch for split layers and the deferred Gram statistics' call list
  const engineElements = 1 + (two ? SPLIT_FLOATS + (gramJobs > 0 ? gramListFloats(gramJobs) : 0) : 0);
  const ioBytes = ((size(inputShape) + outputs) * nets + engineElements) * bytes + nets * 16;
  const sum = (f: (l: LayerEstimate) => number): number => layers.reduce((a, l) => a + f(l), 0);
  const parameters = sum((l) => l.parameters);
  const parameterBytes = sum((l) => l.parameterBytes);
  const activationBytes = sum((l) => l.activationBytes) + ioBytes;
  const perExampleBytes = sum((l) => l.perExampleBytes);
  const targets = spec.loss === 'mse' ? input.numClasses : 1;
  const snapshotNumbers = batch * (size(inputShape) + targets + 1) + parameters * (2 + batch);
  return {
    batch,
    parameters,
    parameterBytes,
    activationBytes,
    perExampleBytes,
    runBytes: parameterBytes + activationBytes + perExampleBytes,
    snapshotNumbers,
    snapshotBytes: snapshotNumbers * SNAPSHOT_BYTES_PER_NUMBER,
    layers,
  };
}

function size(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Bytes for people: 1.5 GB, 320 MB, 12 kB (powers of 1000, like the memory a system monitor shows). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let u = 0;
  let v = n;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${Math.round(v)} bytes` : `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

/** The layer that needs the most memory (the one to name in a refusal). */
export function largestLayer(e: RunEstimate): LayerEstimate | undefined {
  return e.layers.reduce<LayerEstimate | undefined>((best, l) => (!best || l.total > best.total ? l : best), undefined);
}

/** How one layer is described in a refusal: `layers[0] (dense, 1000000 units)`. */
export function describeLayer(spec: LayerSpec, index: number): string {
  switch (spec.type) {
    case 'dense':
      return `layers[${index}] (dense, ${spec.units} units)`;
    case 'conv2d':
      return `layers[${index}] (conv2d, ${spec.filters} filters of ${spec.kernelSize}×${spec.kernelSize}, ${spec.padding} padding)`;
    case 'maxpool2d':
      return `layers[${index}] (maxpool2d ${spec.poolSize}×${spec.poolSize})`;
    default:
      return `layers[${index}] (${spec.type})`;
  }
}

export interface MemoryRefusal {
  /** The layer to point at (index into `layers`). */
  layer: number;
  detail: string;
  bytes: number;
  limit: number;
  what: string;
}

/**
 * Null when the run fits in `limit` bytes; otherwise why not, naming the layer that needs the
 * most. `snapshot` adds the batch snapshot (which holds every per-example gradient at once).
 */
export function checkMemory(
  spec: ModelSpec,
  e: RunEstimate,
  limit: number,
  snapshot = false,
  limitName = 'the memory limit',
): MemoryRefusal | null {
  const hint = 'use fewer units or filters (or a larger stride or pool), a smaller batchSize, or raise the memory limit';
  if (e.runBytes > limit) {
    const l = largestLayer(e);
    const index = l?.index ?? 0;
    const parts = `parameters ${formatBytes(e.parameterBytes)}, activations ${formatBytes(e.activationBytes)}, per-example gradients ${formatBytes(e.perExampleBytes)}`;
    return {
      layer: index,
      bytes: e.runBytes,
      limit,
      what: 'a training run',
      detail:
        `${describeLayer(spec.layers[index], index)}: training needs about ${formatBytes(e.runBytes)} (${parts}, at batch size ${e.batch}), ` +
        `over ${limitName} of ${formatBytes(limit)}; this layer needs ${formatBytes(l?.total ?? 0)} of it. To fit: ${hint}`,
    };
  }
  if (snapshot && e.runBytes + e.snapshotBytes > limit) {
    const l = e.layers.reduce((best, x) => (x.parameters > best.parameters ? x : best), e.layers[0]);
    return {
      layer: l.index,
      bytes: e.runBytes + e.snapshotBytes,
      limit,
      what: 'a batch snapshot',
      detail:
        `${describeLayer(spec.layers[l.index], l.index)}: the batch snapshot holds ${e.snapshotNumbers.toLocaleString('en-US')} numbers ` +
        `(every per-example gradient of ${e.batch} examples; this layer has ${l.parameters.toLocaleString('en-US')} parameters), about ` +
        `${formatBytes(e.snapshotBytes)} to build, over ${limitName} of ${formatBytes(limit)}. To fit: a smaller batchSize, a smaller layer, or raise the memory limit`,
    };
  }
  return null;
}

export interface MemoryCheck {
  spec: ModelSpec;
  /** The loaded training data (its shape, classes and size) and the validation set's size. */
  inputShape: Shape;
  numClasses: number;
  trainCount: number;
  validationCount?: number;
  /** Bytes the run may plan for (the CLI's --memory-limit, the extension's setting). */
  limit: number;
  /** Also check that a batch snapshot fits, against `snapshotLimit` (default `limit`). */
  snapshot?: boolean;
  snapshotLimit?: number;
  /** Where layer i is in the model file, for the error's location (the CLI and the editor know the text). */
  locateLayer?: (layer: number) => Location | undefined;
  /** How the limit is named in the message (default "the memory limit"). */
  limitName?: string;
  /** The run's engine threads when known (EstimateInput.threads); default 2, the upper bound (a refusal comes before the threads are chosen). */
  threads?: 1 | 2;
}

/**
 * The one memory rule, for the CLI and the training worker alike: a ResourceError naming the layer,
 * its place and the estimate when the run (or its snapshot) would not fit; null when it fits.
 */
export function memoryRefusal(c: MemoryCheck): ResourceError | null {
  const e = estimateRun({
    spec: c.spec,
    inputShape: c.inputShape,
    numClasses: c.numClasses,
    trainCount: c.trainCount,
    evalCount: Math.max(c.trainCount, c.validationCount ?? 0),
    perExampleTensors: { snapshot: c.snapshot === true },
    threads: c.threads ?? 2,
  });
  if (!e) return null;
  const snapshotLimited = c.snapshot === true && c.snapshotLimit !== undefined && c.snapshotLimit < c.limit;
  const r = checkMemory(
    c.spec,
    e,
    snapshotLimited ? c.snapshotLimit! : c.limit,
    c.snapshot,
    snapshotLimited ? 'the share of the JavaScript heap a snapshot may use' : (c.limitName ?? 'the memory limit'),
  );
  if (!r) return null;
  return new ResourceError(r.detail, { what: r.what, bytes: r.bytes, limit: r.limit, layer: r.layer }, c.locateLayer?.(r.layer));
}
