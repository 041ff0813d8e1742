// "Is back-propagation applied n times on one example until it is right, before moving on?" The
// experiment that answers it: from the model's initial weights, back-propagate and update on ONE
// training example again and again (until its loss is under 1 % of its start, at most N times),
// beside normal shuffled training for the same number of updates from the same weights. Per
// update: that example's loss, the validation loss and accuracy of both runs, and the mean loss of
// the other training examples. Then a forgetting experiment: fit example A that way, then example
// B the same way, and watch A's loss rise again. A conclusion in plain words from the numbers.

import type { ModelSpec } from '../model/spec';
import type { Dataset } from '../data/dataset';
import type { Backend } from './backend';
import { Trainer, type NamedTensor } from './trainer';
import { referenceBackend } from './reference';

export interface RepeatOptions {
  spec: ModelSpec;
  train: Dataset;
  validation: Dataset | null;
  /** The training-set index of the example to repeat (default 0). */
  example?: number;
  /** At most this many updates (default 200). */
  times?: number;
  /** Stop once the example's loss is under this fraction of its start (default 0.01). */
  untilFraction?: number;
  backendFactory?: (spec: ModelSpec) => Backend;
}

export interface RepeatPoint {
  /** 0 = the initial weights, then after update k. */
  update: number;
  /** The repeated example's loss, after `update` updates on it alone. */
  exampleLoss: number;
  /** Mean loss of the other training examples (a fixed sample of at most 200), same weights. */
  otherExamplesLoss: number;
  validationLoss: number | null;
  validationAccuracy: number | null;
  /** Normal shuffled training (the file's batch size) after the same number of updates. */
  baselineExampleLoss: number;
  baselineValidationLoss: number | null;
  baselineValidationAccuracy: number | null;
}

export interface ForgettingPoint {
  /** Updates on example B, after fitting example A. */
  update: number;
  lossA: number;
  lossB: number;
}

export interface RepeatResult {
  example: { index: number; label: number };
  updates: number;
  /** The rate of the repeated updates: the file's rate scaled to one example (γ/M). */
  learningRate: number;
  /** The file's rate and batch size, which normal training uses. */
  baselineLearningRate: number;
  batchSize: number;
  initialExampleLoss: number;
  finalExampleLoss: number;
  initialValidationLoss: number | null;
  finalValidationLoss: number | null;
  finalValidationAccuracy: number | null;
  baselineValidationLoss: number | null;
  baselineValidationAccuracy: number | null;
  initialOtherExamplesLoss: number;
  finalOtherExamplesLoss: number;
  series: RepeatPoint[];
  forgetting: {
    exampleB: { index: number; label: number };
    updates: number;
    lossAFitted: number;
    lossAAfterB: number;
    series: ForgettingPoint[];
  } | null;
  conclusion: string;
}

export const REPEAT_DEFAULT_TIMES = 200;
const OTHER_SAMPLE = 200;

export function repeatOneExample(o: RepeatOptions): RepeatResult {
  const n = o.train.count;
  const a = o.example ?? 0;
  if (!Number.isInteger(a) || a < 0 || a >= n)
    throw new RangeError(`example ${a} is not a training example: choose 0 to ${n - 1}`);
  const times = Math.max(1, Math.floor(o.times ?? REPEAT_DEFAULT_TIMES));
  const until = o.untilFraction ?? 0.01;
  const validation = o.validation && o.validation.count > 0 ? o.validation : null;
  const make = (train: Dataset, spec: ModelSpec, val: Dataset | null): Trainer =>
    new Trainer({
      spec,
      train,
      validation: val,
      backend: o.backendFactory?.(spec) ?? referenceBackend(spec.dtype),
      stats: 'none',
    });
  // One example per update: the file's rate scaled to M = 1 (γ·1/M, as the comparison's linear
  // scaling), so the step is no bigger than one example's share of a normal batch update.
  const batchSize = Math.min(Math.max(1, o.spec.batchSize), n);
  const rate = Number((o.spec.optimizer.learningRate / batchSize).toPrecision(3));
  const single = (epochs: number): ModelSpec => ({
    ...o.spec,
    batchSize: 1,
    epochs,
    optimizer: { ...o.spec.optimizer, learningRate: rate },
  });

  // Every run starts from the file's initial weights (the seeded initialisation of the normal run).
  const baseline = make(
    o.train,
    { ...o.spec, epochs: Math.ceil(times / Math.ceil(n / Math.min(o.spec.batchSize, n))) + 1 },
    null,
  );
  const initial = baseline.getWeights();
  const repeated = make(subset(o.train, [a]), single(times), validation);
  repeated.setWeights(initial);
  const others = Array.from({ length: n }, (_, i) => i)
    .filter((i) => i !== a)
    .slice(0, OTHER_SAMPLE);
  const otherEval = make(subset(o.train, others.length ? others : [a]), single(1), null);
  const exampleEval = make(subset(o.train, [a]), single(1), validation);

  const measure = (t: Trainer, w: NamedTensor[] | null): { example: number; val: number | null; acc: number | null } => {
    if (w) t.setWeights(w);
    const e = t.evaluate();
    return { example: e.trainLoss, val: e.validationLoss, acc: e.validationAccuracy };
  };
  const otherLoss = (w: NamedTensor[]): number => measure(otherEval, w).example;
  const start = measure(repeated, null);
  const series: RepeatPoint[] = [
    {
      update: 0,
      exampleLoss: start.example,
      otherExamplesLoss: otherLoss(initial),
      validationLoss: start.val,
      validationAccuracy: start.acc,
      baselineExampleLoss: start.example,
      baselineValidationLoss: start.val,
      baselineValidationAccuracy: start.acc,
    },
  ];
  let k = 0;
  while (k < times && series[series.length - 1].exampleLoss >= until * start.example) {
    repeated.trainStep();
    baseline.trainStep();
    k++;
    const w = repeated.getWeights();
    const r = measure(repeated, null);
    const b = measure(exampleEval, baseline.getWeights());
    series.push({
      update: k,
      exampleLoss: r.example,
      otherExamplesLoss: otherLoss(w),
      validationLoss: r.val,
      validationAccuracy: r.acc,
      baselineExampleLoss: b.example,
      baselineValidationLoss: b.val,
      baselineValidationAccuracy: b.acc,
    });
  }
  const last = series[series.length - 1];
  const fitted = repeated.getWeights();

  // Forgetting: from the weights that fit A, fit B (another label) the same way; follow A's loss.
  const bIndex = firstOtherLabel(o.train, a);
  let forgetting: RepeatResult['forgetting'] = null;
  if (bIndex >= 0) {
    const fitB = make(subset(o.train, [bIndex]), single(times), null);
    fitB.setWeights(fitted);
    const lossB0 = fitB.evaluate().trainLoss;
    const points: ForgettingPoint[] = [{ update: 0, lossA: last.exampleLoss, lossB: lossB0 }];
    for (let j = 1; j <= times && points[points.length - 1].lossB >= until * lossB0; j++) {
      fitB.trainStep();
      const w = fitB.getWeights();
      points.push({ update: j, lossA: measure(exampleEval, w).example, lossB: fitB.evaluate().trainLoss });
    }
    forgetting = {
      exampleB: { index: bIndex, label: o.train.y[bIndex] },
      updates: points.length - 1,
      lossAFitted: last.exampleLoss,
      lossAAfterB: points[points.length - 1].lossA,
      series: points,
    };
  }

  const result: RepeatResult = {
    example: { index: a, label: o.train.y[a] },
    updates: k,
    learningRate: rate,
    baselineLearningRate: o.spec.optimizer.learningRate,
    batchSize,
    initialExampleLoss: start.example,
    finalExampleLoss: last.exampleLoss,
    initialValidationLoss: start.val,
    finalValidationLoss: last.validationLoss,
    finalValidationAccuracy: last.validationAccuracy,
    baselineValidationLoss: last.baselineValidationLoss,
    baselineValidationAccuracy: last.baselineValidationAccuracy,
    initialOtherExamplesLoss: series[0].otherExamplesLoss,
    finalOtherExamplesLoss: last.otherExamplesLoss,
    series,
    forgetting,
    conclusion: '',
  };
  result.conclusion = concludeRepeat(result);
  return result;
}

/** The plain-words conclusion; every comparison word follows the numbers. */
export function concludeRepeat(r: RepeatResult): string {
  const s: string[] = [];
  const share = r.finalExampleLoss / r.initialExampleLoss;
  s.push(
    `Updating on example #${r.example.index} (label ${r.example.label}) alone, ${r.updates} times with γ = ${r.learningRate} (the file's rate ÷ ${r.batchSize}, one example's share), took its loss from ${f(r.initialExampleLoss)} to ${f(r.finalExampleLoss)} (${(100 * share).toFixed(share < 0.01 ? 2 : 1)} % of its start).`,
  );
  if (r.finalValidationLoss !== null && r.baselineValidationLoss !== null && r.initialValidationLoss !== null) {
    const worse = r.finalValidationLoss > r.baselineValidationLoss;
    s.push(
      `Over those updates the validation loss went from ${f(r.initialValidationLoss)} to ${f(r.finalValidationLoss)} (accuracy ${p(r.finalValidationAccuracy)}), while normal shuffled training with batches of ${r.batchSize} made the same ${r.updates} updates and reached ${f(r.baselineValidationLoss)} (accuracy ${p(r.baselineValidationAccuracy)}): ` +
        (worse
          ? 'the repeated example was learned, the task was not.'
          : 'here repeating one example did not generalise worse than normal training.'),
    );
  }
  s.push(
    `The mean loss of the other training examples went from ${f(r.initialOtherExamplesLoss)} to ${f(r.finalOtherExamplesLoss)}${r.finalOtherExamplesLoss > r.initialOtherExamplesLoss ? ', up: fitting one example pushed the others away' : ''}.`,
  );
  if (r.forgetting) {
    const g = r.forgetting;
    const rose = g.lossAAfterB > g.lossAFitted;
    s.push(
      `Then fitting example #${g.exampleB.index} (label ${g.exampleB.label}) the same way ${rose ? `raised #${r.example.index}'s loss again, from ${f(g.lossAFitted)} to ${f(g.lossAAfterB)}` : `left #${r.example.index}'s loss at ${f(g.lossAAfterB)} (from ${f(g.lossAFitted)})`}${rose ? ': what one example taught, the next undid.' : '.'}`,
    );
  }
  s.push(
    'That is why training does not repeat an example until it is right: each example is back-propagated once per pass, and each update follows the mean gradient of a batch of many.',
  );
  return s.join(' ');
}

function firstOtherLabel(d: Dataset, a: number): number {
  for (let i = 0; i < d.count; i++) if (i !== a && d.y[i] !== d.y[a]) return i;
  return -1;
}

function subset(d: Dataset, indices: number[]): Dataset {
  const size = d.inputShape.reduce((x, y) => x * y, 1);
  const x = new (d.x.constructor as Float32ArrayConstructor)(indices.length * size);
  const y = new Int32Array(indices.length);
  indices.forEach((k, i) => {
    x.set(d.x.subarray(k * size, (k + 1) * size), i * size);
    y[i] = d.y[k];
  });
  return { ...d, count: indices.length, x, y };
}

/** A loss: every one the conclusion shows is a number (the validation sentence is left out without them). */
function f(x: number): string {
  return x < 1e-3 ? x.toExponential(1) : x.toPrecision(3);
}
function p(x: number | null): string {
  return x === null ? 'n/a' : `${(100 * x).toFixed(1)} %`;
}
