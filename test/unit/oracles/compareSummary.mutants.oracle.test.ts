// The comparison's summary, word for word: each expected text below was written out by hand from
// the runs' numbers (ratios, rounding, thousands separators, byte units, which runs a sentence
// names), never from what summarizeComparison printed. Each case sits on a boundary the words
// depend on: σ and speed ratios above, at and below 1, momentum spans that some runs never reach,
// the noise scale equal to a batch size, 1024 bytes and 1 MiB, numbers below 1e-3 and from 1e5 on.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { summarizeComparison } from '../../../src/engine/compareSummary';
import type { CompareResult, CompareRun, RateMode } from '../../../src/engine/compare';

type Fields = Partial<CompareRun> & Pick<CompareRun, 'batchSize' | 'learningRate'>;

function run(f: Fields): CompareRun {
  return {
    rateMode: 'file',
    rateTrials: [],
    rateTrialExamples: 0,
    momentum: 0,
    steps: 10,
    examplesSeen: 100,
    seconds: 1,
    examplesPerSecond: 100,
    activationBytes: 0,
    validation: null,
    stepLossSigma: null,
    noiseScale: null,
    notApplicable: {},
    points: [],
    checkpoints: [],
    initialWeightsFingerprint: 1,
    seed: 1,
    ...f,
  };
}

function result(
  runs: CompareRun[],
  o: { rateMode: RateMode; examples: number; sweepExamples?: number; chosenBy?: 'validation' | 'training' },
): CompareResult {
  return {
    runs,
    rateMode: o.rateMode,
    examples: o.examples,
    sweepExamples: o.sweepExamples ?? 0,
    seconds: 1,
    chosenBy: o.chosenBy ?? 'validation',
    summary: '',
  };
}

/** Compares sentence by sentence, so a failure names the sentence that differs. */
function sameText(actual: string, expected: string[]): void {
  const split = (s: string): string[] => s.split(/(?<=[.)]) (?=[A-Z])/);
  assert.deepEqual(split(actual), split(expected.join(' ')));
  assert.equal(actual, expected.join(' '));
}

const trials = (...rates: number[]) => rates.map((learningRate) => ({ learningRate, loss: 1 }));
const diverged = { validation: 'the run diverged (the loss became NaN or infinite)' };
const noValidation = { validation: 'the model file holds out no validation set (data.validationSplit is 0)' };

test('a sweep over M = 1, 100 and the full batch, given out of order: every sentence with its numbers', () => {
  const runs = [
    run({
      batchSize: 100,
      learningRate: 0.05,
      rateTrials: trials(0.005, 0.0158, 0.05, 0.158, 0.5),
      momentum: 0.75,
      steps: 30,
      validation: { loss: 0.3, accuracy: 0.9 },
      stepLossSigma: 0.05,
      examplesPerSecond: 45000.4,
      activationBytes: 80000,
      noiseScale: 250,
    }),
    run({
      batchSize: 1,
      learningRate: 0.0005,
      rateTrials: trials(0.00005, 0.000158, 0.0005, 0.00158, 0.005),
      momentum: 0.75,
      steps: 3000,
      validation: { loss: 0.41234, accuracy: 0.875 },
      stepLossSigma: 0.6,
      examplesPerSecond: 1500,
      activationBytes: 800,
    }),
    run({
      batchSize: 1000,
      learningRate: 0.5,
      rateTrials: trials(0.05, 0.158, 0.5, 1.58, 5),
      momentum: 0.75,
      steps: 3,
      notApplicable: diverged,
      stepLossSigma: 0.02,
      examplesPerSecond: 60000,
      activationBytes: 8 * 1048576,
      noiseScale: 300,
    }),
  ];
  const given = runs.map((r) => r.batchSize);
  const text = summarizeComparison(result(runs, { rateMode: 'sweep', examples: 3000, sweepExamples: 1000 }), 1000);
  sameText(text, [
    'Learning rates: a short learning-rate sweep per batch size, chosen by validation loss (each trial 1,000 examples or 10 updates, whichever is more, judged on the validation loss).',
    'M = 1 (pure SGD): γ = 5.0e-4 (best of 5.0e-5, 1.6e-4, 5.0e-4, 0.00158, 0.005); M = 100: γ = 0.05 (best of 0.005, 0.0158, 0.05, 0.158, 0.5); M = 1000 (full batch): γ = 0.5 (best of 0.05, 0.158, 0.5, 1.58, 5).',
    // μ = 0.75: the velocity sums about 1/(1 − μ) = 4 updates; the full batch made 3.
    "Every run keeps the file's momentum μ = 0.75: the velocity adds up about the last 4.0 updates' gradients, so once it has built up each step moves about 4.0·γ times the gradient.",
    'M = 1000 (full batch) made fewer updates than that, so its velocity never built up.',
    'Validation accuracy after the same 3,000 examples seen: M = 1 (pure SGD) 87.5 % (loss 0.412) after 3,000 updates; M = 100 90.0 % (loss 0.3) after 30 updates; M = 1000 (full batch) n/a (the run diverged (the loss became NaN or infinite)).',
    // The smallest batch against the middle one (not the full batch): 0.6 / 0.05 = 12, 45000.4 / 1500 ≈ 30.
    'Averaging 100 examples made the updates steadier: the loss moved 12× less from one update to the next than with M = 1 (pure SGD) (step-to-step σ of the loss 0.05 against 0.6).',
    'Vectorised batches processed 30× more examples per second: 45,000 examples/s with M = 100 against 1,500 with M = 1 (pure SGD).',
    // 80000 / 1024 = 78.1 KB; 8 MiB.
    'The price is memory: the activations kept for back-propagation grow with M, from 800 bytes per step with M = 1 (pure SGD) to 78 KB with M = 100 and 8.0 MB with M = 1000 (full batch).',
    // The middle run's noise scale (250) is the reference, not the first run that has one.
    "The gradient noise scale B_simple measured 250 in the M = 100 run: batches up to about that size still cut the gradient's noise nearly in proportion to M, bigger ones mostly make fewer updates for the same examples. M = 1000 (full batch) is beyond it; M = 1 (pure SGD), M = 100 within it.",
  ]);
  assert.deepEqual(
    runs.map((r) => r.batchSize),
    given,
    'the caller’s runs keep their order (the summary sorts a copy)',
  );
});

test('linear scaling, two short runs, noisier and slower bigger batches: the words turn with the numbers', () => {
  const runs = [
    run({
      batchSize: 2,
      learningRate: 0.0125,
      momentum: 0.8,
      steps: 4,
      validation: { loss: 1.23456, accuracy: 0.5 },
      stepLossSigma: 0.1,
      examplesPerSecond: 2000,
      activationBytes: 1024,
      noiseScale: 1.5,
    }),
    run({
      batchSize: 8,
      learningRate: 0.05,
      momentum: 0.8,
      steps: 3,
      validation: { loss: 123456, accuracy: 0.25 },
      stepLossSigma: 0.3,
      examplesPerSecond: 500,
      activationBytes: 1048576,
    }),
  ];
  const text = summarizeComparison(result(runs, { rateMode: 'linear', examples: 24 }), 64);
  sameText(text, [
    "Learning rates: linear scaling (γ ∝ M) from the file's rate at its batch size.",
    'M = 2: γ = 0.0125; M = 8: γ = 0.05.',
    // 1/(1 − 0.8) = 5 updates; both runs made fewer.
    "Every run keeps the file's momentum μ = 0.8: the velocity adds up about the last 5.0 updates' gradients, so once it has built up each step moves about 5.0·γ times the gradient.",
    'M = 2, M = 8 made fewer updates than that, so their velocity never built up.',
    'Validation accuracy after the same 24 examples seen: M = 2 50.0 % (loss 1.23) after 4 updates; M = 8 25.0 % (loss 1.2e+5) after 3 updates.',
    // σ 0.3 against 0.1: three times more, not "steadier"; 500 against 2,000 examples/s: no speed bought.
    'Here the loss moved 3.0× more from one update to the next with M = 8 than with M = 2 (step-to-step σ of the loss 0.3 against 0.1).',
    'M = 8 processed fewer examples per second than M = 2 here (500 against 2,000 examples/s): on this model the batch bought no speed.',
    // Exactly 1024 bytes is 1 KB, exactly 1 MiB is 1.0 MB; two runs: no third figure.
    'The price is memory: the activations kept for back-propagation grow with M, from 1 KB per step with M = 2 to 1.0 MB with M = 8.',
    // Only M = 2 has a noise scale, so it is the reference; both batch sizes exceed 1.5.
    "The gradient noise scale B_simple measured 1.5 in the M = 2 run: batches up to about that size still cut the gradient's noise nearly in proportion to M, bigger ones mostly make fewer updates for the same examples. M = 2, M = 8 are beyond it.",
  ]);
});

test("the file's rate, no momentum, equal σ and speed, a noise scale equal to a batch size", () => {
  const runs = (noise: boolean) => [
    run({
      batchSize: 1,
      learningRate: 0.1,
      notApplicable: noValidation,
      stepLossSigma: 0.2,
      examplesPerSecond: 1000,
      activationBytes: 1023,
    }),
    run({
      batchSize: 10,
      learningRate: 0.1,
      steps: 15,
      notApplicable: noValidation,
      stepLossSigma: 0.2,
      examplesPerSecond: 1000,
      activationBytes: 1048575,
      noiseScale: noise ? 10 : null,
    }),
    run({
      batchSize: 50,
      learningRate: 0.1,
      steps: 3,
      notApplicable: noValidation,
      stepLossSigma: 0.1,
      examplesPerSecond: 1,
      activationBytes: 1572864,
      noiseScale: noise ? 60 : null,
    }),
  ];
  const expected = [
    "Learning rates: the file's learning rate for every batch size.",
    'M = 1 (pure SGD): γ = 0.1; M = 10: γ = 0.1; M = 50 (full batch): γ = 0.1.',
    "No momentum: every update is −γ times that batch's gradient alone.",
    'Validation accuracy after the same 150 examples seen: M = 1 (pure SGD) n/a (the model file holds out no validation set (data.validationSplit is 0)); M = 10 n/a (the model file holds out no validation set (data.validationSplit is 0)); M = 50 (full batch) n/a (the model file holds out no validation set (data.validationSplit is 0)).',
    // Equal σ and equal speed: neither "steadier" nor "more", and no "1.0× less".
    'With M = 10 the loss moved about as much from one update to the next as with M = 1 (pure SGD) (step-to-step σ of the loss 0.2 against 0.2): averaging 10 examples made the updates no steadier here.',
    'M = 10 processed about as many examples per second as M = 1 (pure SGD) (1,000 against 1,000 examples/s): on this model the batch bought no speed.',
    // 1023 bytes stays in bytes; 1048575 bytes is just under 1 MiB: 1024 KB; 1.5 MiB.
    'The price is memory: the activations kept for back-propagation grow with M, from 1023 bytes per step with M = 1 (pure SGD) to 1024 KB with M = 10 and 1.5 MB with M = 50 (full batch).',
  ];
  sameText(summarizeComparison(result(runs(true), { rateMode: 'file', examples: 150 }), 50), [
    ...expected,
    // B = 10: M = 10 is within it (up to about that size), M = 50 beyond.
    "The gradient noise scale B_simple measured 10 in the M = 10 run: batches up to about that size still cut the gradient's noise nearly in proportion to M, bigger ones mostly make fewer updates for the same examples. M = 50 (full batch) is beyond it; M = 1 (pure SGD), M = 10 within it.",
  ]);
  // Without any noise scale there is no sentence about it.
  sameText(summarizeComparison(result(runs(false), { rateMode: 'file', examples: 150 }), 50), expected);
});

test('sentences whose numbers are missing or zero are left out; zero, tiny and infinite numbers are written plainly', () => {
  const runs = [
    run({
      batchSize: 1,
      learningRate: 0.02,
      rateTrials: trials(0.02),
      momentum: 0.5,
      steps: 30,
      validation: { loss: 0.00012, accuracy: 1 },
      stepLossSigma: 0,
      examplesPerSecond: 100,
      activationBytes: 0,
    }),
    run({
      batchSize: 10,
      learningRate: 0,
      momentum: 0.5,
      steps: 2,
      validation: { loss: Infinity, accuracy: 0 },
      stepLossSigma: 0.5,
      examplesPerSecond: NaN,
      activationBytes: 2048,
      noiseScale: 12.5,
    }),
  ];
  const text = summarizeComparison(
    result(runs, { rateMode: 'sweep', examples: 30, sweepExamples: 1234, chosenBy: 'training' }),
    10,
  );
  sameText(text, [
    'Learning rates: a short learning-rate sweep per batch size, chosen by validation loss (each trial 1,234 examples or 10 updates, whichever is more, judged on the training loss).',
    'M = 1 (pure SGD): γ = 0.02 (best of 0.02); M = 10 (full batch): γ = 0.',
    // 1/(1 − 0.5) = 2 updates; M = 10 made exactly 2, not fewer: no "never built up".
    "Every run keeps the file's momentum μ = 0.5: the velocity adds up about the last 2.0 updates' gradients, so once it has built up each step moves about 2.0·γ times the gradient.",
    'Validation accuracy after the same 30 examples seen: M = 1 (pure SGD) 100.0 % (loss 1.2e-4) after 30 updates; M = 10 (full batch) 0.0 % (loss n/a) after 2 updates.',
    // No σ sentence (M = 1's σ is 0: no ratio), no speed sentence (M = 10's speed is unknown).
    'The price is memory: the activations kept for back-propagation grow with M, from 0 bytes per step with M = 1 (pure SGD) to 2 KB with M = 10 (full batch).',
    "The gradient noise scale B_simple measured 12.5 in the M = 10 (full batch) run: batches up to about that size still cut the gradient's noise nearly in proportion to M, bigger ones mostly make fewer updates for the same examples. Every batch size here is within it.",
  ]);
});

test('the σ and speed sentences need both runs’ numbers, each positive where it divides', () => {
  const pair = (small: Partial<CompareRun>, mid: Partial<CompareRun>): string =>
    summarizeComparison(
      result(
        [
          run({ batchSize: 1, learningRate: 0.1, stepLossSigma: 0.4, examplesPerSecond: 100, ...small }),
          run({ batchSize: 4, learningRate: 0.1, stepLossSigma: 0.1, examplesPerSecond: 300, ...mid }),
        ],
        { rateMode: 'file', examples: 40 },
      ),
      40,
    );
  const sigma = 'the loss moved 4.0× less';
  const speed = 'processed 3.0× more examples per second';
  const both = pair({}, {});
  assert.ok(both.includes(sigma) && both.includes(speed), both);
  for (const [name, small, mid] of [
    ['no σ for M = 1', { stepLossSigma: null }, {}],
    ['no σ for M = 4', {}, { stepLossSigma: null }],
    ['σ 0 for M = 4', {}, { stepLossSigma: 0 }],
  ] as const) {
    const text = pair(small, mid);
    assert.ok(!text.includes('from one update to the next'), `${name}: ${text}`);
    assert.ok(text.includes(speed), `${name}: the speed sentence stays`);
  }
  for (const [name, small, mid] of [
    ['M = 1 speed unknown', { examplesPerSecond: NaN }, {}],
    ['M = 1 speed infinite', { examplesPerSecond: Infinity }, {}],
    ['M = 4 speed unknown', {}, { examplesPerSecond: NaN }],
    ['M = 1 speed 0', { examplesPerSecond: 0 }, {}],
  ] as const) {
    const text = pair(small, mid);
    assert.ok(!text.includes('examples per second'), `${name}: ${text}`);
    assert.ok(text.includes(sigma), `${name}: the σ sentence stays`);
  }
  assert.equal(
    summarizeComparison(result([run({ batchSize: 4, learningRate: 0.1 })], { rateMode: 'file', examples: 4 }), 4),
    'Choose at least two batch sizes to compare.',
  );
});

test('the noise-scale sentence reads the middle run’s B_simple even when the smallest batch has one too', () => {
  const runs = [2, 8, 64].map((batchSize, i) =>
    run({ batchSize, learningRate: 0.1, noiseScale: [3, 16, 40][i], examplesPerSecond: NaN }),
  );
  const text = summarizeComparison(result(runs, { rateMode: 'file', examples: 64 }), 64);
  // M = 8 is the middle run: B = 16, so M = 2 and M = 8 are within it, the full batch beyond (not B = 3 of M = 2).
  assert.ok(
    text.endsWith(
      "The gradient noise scale B_simple measured 16 in the M = 8 run: batches up to about that size still cut the gradient's noise nearly in proportion to M, bigger ones mostly make fewer updates for the same examples. M = 64 (full batch) is beyond it; M = 2, M = 8 within it.",
    ),
    text,
  );
});

test('the number formats at their edges: 0.001 stays plain, 100000 turns exponential, a ratio of exactly 10 loses its decimal', () => {
  const runs = [
    run({
      batchSize: 1,
      learningRate: 0.001,
      stepLossSigma: 1,
      examplesPerSecond: NaN,
      validation: { loss: 100000, accuracy: 0.5 },
    }),
    run({
      batchSize: 5,
      learningRate: 0.00099,
      stepLossSigma: 0.1,
      examplesPerSecond: NaN,
      validation: { loss: 99999, accuracy: 0.5 },
    }),
  ];
  const text = summarizeComparison(result(runs, { rateMode: 'file', examples: 10 }), 10);
  assert.ok(text.includes('M = 1 (pure SGD): γ = 0.001; M = 5: γ = 9.9e-4.'), text);
  // 99999 to 3 significant digits is 100000, written plainly (the test is on the number itself, below 1e5)
  assert.ok(
    text.includes('M = 1 (pure SGD) 50.0 % (loss 1.0e+5) after 10 updates; M = 5 50.0 % (loss 100000) after 10 updates.'),
    text,
  );
  // σ 1 against 0.1: exactly 10 times
  assert.ok(text.includes('the loss moved 10× less from one update to the next'), text);
});

test('σ and speed within a shown factor of 1.0 read as "about as much"; just past it, as a factor', () => {
  // (small σ, mid σ) → small/mid: 0.208/0.2 = 1.04 → "1.0" on the steadier side; 0.2/0.208 = 0.96,
  // 1/0.96 = 1.042 → "1.0" on the other side; 0.212/0.2 = 1.06 → "1.1× less"; 0.2/0.211 = 0.948,
  // 1/0.948 = 1.055 → "1.1× more". Speeds the same way: 1040 and 960 against 1000 → about as many;
  // 1060 → 1.1× more; 945 → fewer.
  const text = (smallSigma: number, midSigma: number, midSpeed: number): string =>
    summarizeComparison(
      result(
        [
          run({
            batchSize: 1,
            learningRate: 0.1,
            notApplicable: noValidation,
            stepLossSigma: smallSigma,
            examplesPerSecond: 1000,
          }),
          run({
            batchSize: 10,
            learningRate: 0.1,
            notApplicable: noValidation,
            stepLossSigma: midSigma,
            examplesPerSecond: midSpeed,
          }),
        ],
        { rateMode: 'file', examples: 150 },
      ),
      50,
    );
  const about = 'the loss moved about as much from one update to the next';
  const aboutSpeed = 'processed about as many examples per second';
  assert.ok(text(0.208, 0.2, 1040).includes(about) && text(0.208, 0.2, 1040).includes(aboutSpeed));
  assert.ok(text(0.2, 0.208, 960).includes(about) && text(0.2, 0.208, 960).includes(aboutSpeed));
  assert.ok(text(0.212, 0.2, 1060).includes('the loss moved 1.1× less from one update to the next'));
  assert.ok(text(0.212, 0.2, 1060).includes('Vectorised batches processed 1.1× more examples per second'));
  assert.ok(text(0.2, 0.211, 945).includes('Here the loss moved 1.1× more from one update to the next with M = 10'));
  assert.ok(text(0.2, 0.211, 945).includes('M = 10 processed fewer examples per second than M = 1 (pure SGD) here'));
  for (const [a, b, c] of [
    [0.212, 0.2, 1060],
    [0.2, 0.211, 945],
  ])
    assert.ok(!text(a, b, c).includes('about as'), `${a}, ${b}, ${c}`);
});
