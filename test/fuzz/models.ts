// Seeded mutations of model files: the examples and small models over CSV, PNG and IDX data,
// changed by deletions, insertions, extreme numbers, other strings, deep nesting, duplicated
// pieces, a BOM and extra layers. fast-check draws them, so a seed gives the same cases.

import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const repo = path.resolve(__dirname, '..', '..');

/** Model texts the mutations start from; `data` names the workspace files they read. */
export function baseModels(): string[] {
  const examples = ['examples/digits/digits.gradlens.json', 'examples/cnn/cnn.gradlens.json']
    .map((f) => readFileSync(path.join(repo, f), 'utf8'))
    // Keep fuzz runs short: the examples' data limits and epochs are cut.
    .map((t) => t.replace(/"limit":\s*\d+/, '"limit": 120').replace(/"epochs":\s*\d+/, '"epochs": 1'));
  const small = (source: string, extra = '') =>
    `{\n  "name": "fuzz",\n  "data": { "source": ${source}${extra}, "validationSplit": 0.25 },\n  "layers": [\n    { "type": "dense", "units": 8, "activation": "relu" },\n    { "type": "dense", "units": 3 }\n  ],\n  "batchSize": 4,\n  "epochs": 1\n}\n`;
  const conv = `{\n  "data": { "source": "imgs" },\n  "layers": [\n    { "type": "conv2d", "filters": 2, "kernelSize": 3, "padding": "same", "activation": "tanh" },\n    { "type": "maxpool2d", "poolSize": 2 },\n    { "type": "flatten" },\n    { "type": "dense", "units": 3 }\n  ],\n  "loss": "mse",\n  "optimizer": { "type": "adam" },\n  "batchSize": 2\n}\n`;
  return [
    ...examples,
    small('"train.csv"'),
    small('"images.idx"', ', "labels": "labels.idx"'),
    small('"images.idx.gz"', ', "labels": "labels.idx"'),
    conv,
  ];
}

const NUMBERS = [
  '0',
  '-1',
  '1',
  '2',
  '3',
  '1e9',
  '1e308',
  '-0',
  '1.5',
  '0.5',
  'NaN',
  'Infinity',
  '99999999999999999999',
  '4096',
  '4097',
  '65536',
  '65537',
  '255',
  '256',
  '1e-320',
  '"8"',
  'null',
  'true',
  '[]',
  '{}',
  '10000',
  '100000',
];
const STRINGS = [
  '"dense"',
  '"conv2d"',
  '"maxpool2d"',
  '"flatten"',
  '"relu"',
  '"same"',
  '"valid"',
  '"mse"',
  '"adam"',
  '"sgd"',
  '"float64"',
  '"float32"',
  '"mnist"',
  '"../x.csv"',
  '"/etc/passwd"',
  '""',
  '"train.csv"',
  '"imgs"',
  '"images.idx"',
  '"labels.idx"',
  '"\\u0000"',
  '"\\u001b]0;title\\u0007"',
  `"${'x'.repeat(5000)}"`,
  '"denes"',
  '"units"',
];
const TOKENS = [
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '"',
  '//',
  '/*',
  '*/',
  '\n',
  '\ufeff',
  '\\',
  'true',
  ' ',
  '"units": 5',
  '"type": "dense"',
  ', "extra": 1',
  '"layers": []',
  '\u2028',
  '\u0000',
];
const LAYERS = [
  '{ "type": "dense", "units": 10 }',
  '{ "type": "flatten" }',
  '{ "type": "relu" }',
  '{ "type": "sigmoid" }',
  '{ "type": "conv2d", "filters": 4, "kernelSize": 3 }',
  '{ "type": "conv2d", "filters": 64, "kernelSize": 27, "padding": "same" }',
  '{ "type": "maxpool2d", "poolSize": 2 }',
  '{ "type": "maxpool2d", "poolSize": 1 }',
  '{ "type": "maxpool2d", "poolSize": 3, "stride": 1 }',
  '{ "type": "dense", "units": 65536 }',
  '{ "type": "conv2d", "filters": 4096, "kernelSize": 1, "padding": "same" }',
  '{}',
  '[]',
  '7',
];

type Op =
  | { kind: 'delete'; at: number; len: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'number'; which: number; value: string }
  | { kind: 'string'; which: number; value: string }
  | { kind: 'deep'; at: number; depth: number }
  | { kind: 'dup'; at: number; len: number; times: number }
  | { kind: 'bom' }
  | { kind: 'layer'; layer: string };

const op: fc.Arbitrary<Op> = fc.oneof(
  // Weighted toward changes that keep the file valid JSON, so training is reached often too.
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 8 })),
  }),
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('number' as const), which: fc.nat(), value: fc.constantFrom(...NUMBERS) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('string' as const), which: fc.nat(), value: fc.constantFrom(...STRINGS) }),
  },
  fc.record({
    kind: fc.constant('deep' as const),
    at: fc.nat(),
    depth: fc.oneof(fc.integer({ min: 1, max: 70 }), fc.constant(6000)),
  }),
  fc.record({
    kind: fc.constant('dup' as const),
    at: fc.nat(),
    len: fc.integer({ min: 1, max: 200 }),
    times: fc.integer({ min: 1, max: 50 }),
  }),
  fc.constant({ kind: 'bom' as const }),
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('layer' as const), layer: fc.constantFrom(...LAYERS) }) },
);

function literalSpans(text: string, re: RegExp): [number, number][] {
  return [...text.matchAll(re)].map((m) => [m.index ?? 0, (m.index ?? 0) + m[0].length]);
}

export function applyOp(text: string, o: Op): string {
  const at = (n: number) => (text.length === 0 ? 0 : n % (text.length + 1));
  switch (o.kind) {
    case 'delete': {
      const a = at(o.at);
      return text.slice(0, a) + text.slice(a + o.len);
    }
    case 'insert': {
      const a = at(o.at);
      return text.slice(0, a) + o.text + text.slice(a);
    }
    case 'deep': {
      const a = at(o.at);
      return text.slice(0, a) + '['.repeat(o.depth) + ']'.repeat(o.depth % 2 ? o.depth : 0) + text.slice(a);
    }
    case 'dup': {
      const a = at(o.at);
      const piece = text.slice(a, a + o.len);
      return text.slice(0, a) + piece.repeat(o.times) + text.slice(a);
    }
    case 'bom':
      return `\ufeff${text}`;
    case 'layer': {
      const i = text.indexOf('"layers": [');
      if (i < 0) return text;
      const a = i + '"layers": ['.length;
      return `${text.slice(0, a)} ${o.layer},${text.slice(a)}`;
    }
    case 'number':
    case 'string': {
      const spans = literalSpans(text, o.kind === 'number' ? /-?\d+(\.\d+)?([eE][-+]?\d+)?/g : /"(?:[^"\\\n]|\\.)*"/g);
      if (spans.length === 0) return text;
      const [s, e] = spans[o.which % spans.length];
      return text.slice(0, s) + o.value + text.slice(e);
    }
  }
}

/** `count` mutated model texts for `seed` (one or two operations each). */
export function modelCases(seed: number, count: number): string[] {
  const bases = baseModels();
  const arb = fc.tuple(fc.nat({ max: bases.length - 1 }), fc.array(op, { minLength: 1, maxLength: 2 }));
  return fc.sample(arb, { seed, numRuns: count }).map(([b, ops]) => ops.reduce(applyOp, bases[b]));
}
