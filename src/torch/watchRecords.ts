// What a `gradlens.watch` script's lines become for the views: its run description (a script has
// no model file: the layers are its modules), a step record per optimizer step, and the detail of
// the weight entry it follows (each example's gradient beside the batch mean, and the optimizer's
// update written with the numbers torch applied). Only what the script measured is shown; what it
// cannot know (the examples' labels, the accuracy, the learning rate of an optimizer Gradient Lens
// cannot write out) stays empty or is said plainly. Pure: no vscode, no Node APIs.

import type { LayerInfo, LayerStepStats } from '../engine/types';
import type { ModelSpec } from '../model/spec';
import type { StepDetail, UpdateTerms } from '../protocol';
import type { RunDescription, StepRecord } from '../run/source';
import type { WatchFollowed, WatchHello, WatchLayer, WatchStep } from './watchListener';

/** "PyTorch script train.py": how views name a watched script's run. */
export function scriptLabel(hello: Pick<WatchHello, 'script'>): string {
  const name = hello.script ? (hello.script.split(/[\\/]/).pop() ?? hello.script) : 'a script';
  return `PyTorch script ${name}`;
}

function layerInfo(l: WatchLayer): LayerInfo {
  const w = l.params.find((p) => p.name === 'weight') ?? l.params[0];
  const shape = w?.shape ?? [];
  // torch keeps Linear and Conv2d weights as [out, in, …].
  const [out, inp] = [shape[0] ?? 0, shape[1] ?? shape[0] ?? 0];
  return {
    index: l.index,
    type: l.type,
    label: `${l.name} ${l.type}${shape.length >= 2 ? ` ${inp}→${out}` : ''}`,
    inputShape: [inp],
    outputShape: [out],
    params: l.params.map((p) => ({
      name: `${l.name}.${p.name}`,
      layer: l.index,
      kind: p.name.includes('bias') ? ('bias' as const) : ('weight' as const),
      shape: p.shape,
    })),
  };
}

/**
 * The run as the views know it. The spec carries what the views read of one (its name, the batch
 * size once a step told it; epochs 0: not known); a script has no layers list, data or loss file
 * entry of ours, and its optimizer's numbers come with each step's detail.
 */
export function watchDescription(hello: WatchHello, batchSize: number, perExampleNote?: string): RunDescription {
  const label = scriptLabel(hello);
  const spec: ModelSpec = {
    name: label,
    seed: 0,
    dtype: 'float32',
    data: { source: hello.script ?? '', validationSplit: 0 },
    layers: [],
    loss: 'cross-entropy',
    optimizer: {
      type: 'sgd',
      learningRate: NaN,
      momentum: 0,
      nesterov: false,
      weightDecay: 0,
      beta1: 0,
      beta2: 0,
      epsilon: 0,
    },
    batchSize,
    epochs: 0,
  };
  return {
    file: label,
    spec,
    layers: hello.layers.map(layerInfo),
    trainSize: 0,
    validationSize: 0,
    numClasses: 0,
    backend: `PyTorch ${hello.torch}, pid ${hello.pid}${hello.optimizer ? `, ${hello.optimizer}` : ''}`,
    ...(perExampleNote ? { perExampleNote } : {}),
  };
}

/** gᵢ = scale·cᵢ: M for a mean-reduced loss (cᵢ = gᵢ/M), 1 for a sum; null when the reduction is not known. */
function exampleScale(msg: WatchStep, m: number): number | null {
  if (msg.reduction === 'mean') return m;
  if (msg.reduction === 'sum') return 1;
  return null;
}

/** One optimizer step as a step record. `seen`: examples before this step. */
export function watchRecord(msg: WatchStep, startTime: number, seen: number): StepRecord {
  const m = msg.batchSize ?? 0;
  const layers: LayerStepStats[] = msg.layers.map((l) => {
    const scale = l.perExampleNorms ? exampleScale(msg, l.perExampleNorms.length) : null;
    return {
      layer: l.layer,
      gradNorm: l.gradNorm ?? NaN,
      weightNorm: l.weightNorm,
      updateRatio: l.updateRatio ?? NaN,
      // ‖gᵢ‖ only where the loss's reduction says what the shares are; the shares themselves are not ‖gᵢ‖.
      perExampleNorms: scale === null ? [] : l.perExampleNorms!.map((x) => x * scale),
      cosineToMean: l.cosineToMean ?? [],
      noiseScale: NaN,
      deadFraction: null,
    };
  });
  return {
    step: msg.step,
    epoch: 0,
    batchInEpoch: msg.step - 1,
    batchSize: m,
    examplesSeen: seen + m,
    loss: msg.loss ?? NaN,
    perExampleLoss: [],
    accuracy: NaN,
    exampleIndices: [],
    labels: [],
    predictions: [],
    layers,
    noiseScale: NaN,
    learningRate: msg.learningRate ?? NaN,
    nonFinite: null,
    time: Math.max(0, msg.time - startTime),
  };
}

/** The update of the followed entry with every term, when the optimizer is one the formula writes out exactly. */
export function watchTerms(f: WatchFollowed, step: number): UpdateTerms | null {
  const a = f.optimizerBefore,
    b = f.optimizerAfter;
  if (!a || !b || b.maximize || b.learningRate === null) return null;
  const lr = b.learningRate;
  const wd = b.weightDecay;
  const gradient = f.grad + wd * f.before;
  const base = { step, learningRate: lr, batchGradient: f.grad, weightDecay: wd, gradient, before: f.before, after: f.after };
  if (b.kind === 'sgd' && !b.dampening) {
    const mu = b.momentum ?? 0;
    const nesterov = mu !== 0 && !!b.nesterov;
    const v = mu === 0 ? null : (b.first ?? null);
    if (mu !== 0 && v === null) return null;
    const direction = mu === 0 ? gradient : nesterov ? gradient + mu * v! : v!;
    return {
      ...base,
      optimizer: 'sgd',
      momentum: mu,
      nesterov,
      firstBefore: mu === 0 ? null : (a.first ?? 0),
      firstAfter: v,
      secondBefore: null,
      secondAfter: null,
      beta1: 0,
      beta2: 0,
      epsilon: 0,
      firstCorrected: null,
      secondCorrected: null,
      direction,
      predictedAfter: f.before - lr * direction,
    };
  }
  if (b.kind === 'adam' && !b.amsgrad && b.step && b.first != null && b.second != null && b.beta1 != null && b.beta2 != null) {
    const t = b.step;
    const eps = b.epsilon ?? 0;
    const mHat = b.first / (1 - Math.pow(b.beta1, t));
    const vHat = b.second / (1 - Math.pow(b.beta2, t));
    const direction = mHat / (Math.sqrt(vHat) + eps);
    return {
      ...base,
      step: t,
      optimizer: 'adam',
      momentum: 0,
      nesterov: false,
      firstBefore: a.first ?? 0,
      firstAfter: b.first,
      secondBefore: a.second ?? 0,
      secondAfter: b.second,
      beta1: b.beta1,
      beta2: b.beta2,
      epsilon: eps,
      firstCorrected: mHat,
      secondCorrected: vHat,
      direction,
      predictedAfter: f.before - lr * direction,
    };
  }
  return null;
}

const fmt = (x: number): string =>
  Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : x.toPrecision(4);

/** "fc1.weight[3, 17]": the entry in torch's own layout. */
export function entryName(f: Pick<WatchFollowed, 'name' | 'index' | 'shape'>): string {
  const idx: number[] = [];
  let rest = f.index;
  for (let d = f.shape.length - 1; d >= 0; d--) {
    idx.unshift(rest % f.shape[d]);
    rest = Math.floor(rest / f.shape[d]);
  }
  return `${f.name}.weight[${idx.join(', ')}]`;
}

/** What the numbers of the followed entry are, in words that follow them. */
function detailNote(msg: WatchStep, f: WatchFollowed, terms: UpdateTerms | null): string {
  const m = f.perExample.length;
  const check = msg.layers.find((l) => l.layer === f.layer)?.sumCheck;
  const sums = `they add up to .grad = ${fmt(f.grad)}${check != null ? ` (relative difference of the layer's sum ${check.toExponential(1)})` : ''}`;
  const how = msg.reductionDeclared ? 'as the script declared' : 'read from the loss tensor';
  const parts: string[] = [];
  if (msg.reduction === 'mean')
    parts.push(
      `From the hooks of ${f.name}: example i's share cᵢ of .grad, times M = ${m} because the loss is a mean over the batch (${how}), so gᵢ = M·cᵢ; ${sums}.`,
    );
  else if (msg.reduction === 'sum')
    parts.push(
      `The loss sums over the batch (${how}): each gᵢ is example i's share of .grad, and the optimizer stepped with .grad = Σᵢ gᵢ = M·G = ${fmt(f.grad)}, M = ${m} times the mean above.`,
    );
  else
    parts.push(
      `Gradient Lens could not tell whether this loss is a mean or a sum over the batch: the bars are each example's share cᵢ of .grad as back-propagated (with a mean loss cᵢ = gᵢ/M); ${sums}. Pass reduction="mean" or "sum" to gradlens.watch to say which.`,
    );
  if ((msg.backwardCalls ?? 1) > 1)
    parts.push(
      `This step back-propagated ${msg.backwardCalls} losses (gradient accumulation): the shares are those of the last one only.`,
    );
  if (!terms) {
    const o = f.optimizerAfter;
    const lr = o?.learningRate;
    parts.push(
      `${o?.type ?? 'This optimizer'}: Gradient Lens writes the update out only for torch.optim.SGD (without dampening) and torch.optim.Adam (without amsgrad), so it shows θ before and after and the update applied${lr != null ? `; the optimizer's learning rate is ${fmt(lr)}, but how it combined it with G is not shown` : '; its learning rate is not known'}.`,
    );
  }
  if (msg.lossFrom === 'backward') parts.push('The loss is the value the script called .backward() on.');
  return parts.join(' ');
}

/** The followed entry's detail (null when the step carries none). */
export function watchDetail(msg: WatchStep): StepDetail | null {
  const f = msg.followed;
  if (!f || f.perExample.length === 0) return null;
  const m = f.perExample.length;
  const scale = exampleScale(msg, m) ?? 1;
  const g = f.perExample.map((c) => c * scale);
  const terms = watchTerms(f, msg.step);
  const kind = f.optimizerAfter?.kind;
  return {
    step: msg.step,
    epoch: 0,
    heatmap: null,
    perExample: {
      selection: { layer: f.layer, kind: 'weight', index: f.index },
      paramName: entryName(f),
      perExample: g,
      mean: g.reduce((s, x) => s + x, 0) / m,
      learningRate: f.optimizerAfter?.learningRate ?? NaN,
      optimizer: kind ?? f.optimizerAfter?.type ?? 'an unknown optimizer',
      before: f.before,
      after: f.after,
      update: f.after - f.before,
      terms,
      note: detailNote(msg, f, terms),
    },
    examples: [],
    imageShape: null,
    histograms: [],
  };
}
