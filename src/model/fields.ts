// The model-file format as data: every object, its fields, their types, ranges, defaults and
// documentation. The validator (parse.ts) and the JSON Schema (schema.ts) are both derived from
// these tables, so the editor's completion and the parser's errors cannot drift apart.

export type FieldKind =
  | { kind: 'string' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'boolean' }
  /** A number in [min, max] (or (min, max) when exclusive); `integer` for whole numbers. */
  | { kind: 'number'; integer?: boolean; min?: number; exclusiveMin?: boolean; max?: number; exclusiveMax?: boolean }
  | { kind: 'object'; object: ObjectDef }
  | { kind: 'layers' };

export interface FieldDef {
  name: string;
  type: FieldKind;
  required?: boolean;
  /** Filled in when the field is absent (documentation only when `undefined`). */
  default?: unknown;
  doc: string;
}

export interface ObjectDef {
  fields: FieldDef[];
}

/** What `leaky-relu` means: x for x > 0, LEAKY_RELU_SLOPE·x otherwise (the engine computes with this). */
export const LEAKY_RELU_SLOPE = 0.01;

/** The activations of the model format: the one list (spec.ts's types and the engine's math table follow it). */
export const ACTIVATION_LAYER_TYPES = ['relu', 'leaky-relu', 'tanh', 'sigmoid', 'gelu'] as const;
export const ACTIVATIONS = ['linear', ...ACTIVATION_LAYER_TYPES] as const;
export const LAYER_TYPES = ['dense', 'conv2d', 'maxpool2d', 'flatten', ...ACTIVATION_LAYER_TYPES] as const;

const positiveInt = { kind: 'number', integer: true, min: 1 } as const;
// Upper bounds well above any model this tool can train in memory, low enough that the shape
// arithmetic and the memory estimate stay exact (no overflow) and the editor flags a typo at once.
const upTo = (max: number) => ({ kind: 'number', integer: true, min: 1, max }) as const;
export const MAX_UNITS = 65536;
export const MAX_FILTERS = 4096;
export const MAX_WINDOW = 255;
const activation: FieldDef = {
  name: 'activation',
  type: { kind: 'enum', values: ACTIVATIONS },
  default: 'linear',
  doc: "Activation applied to this layer's output. `linear` means none (use it for the last layer: cross-entropy applies softmax itself). `gelu` is the tanh approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).",
};

const typeField = (t: string, doc: string): FieldDef => ({
  name: 'type',
  type: { kind: 'enum', values: [t] },
  required: true,
  doc,
});

/** Fields of each layer type; `type` is always first. */
export const LAYER_DEFS: Record<(typeof LAYER_TYPES)[number], ObjectDef & { doc: string }> = {
  dense: {
    doc: 'Fully connected layer: y = x·W + b, with W of shape [in, out]. As the first layer it reads the input flattened.',
    fields: [
      typeField('dense', 'A fully connected layer.'),
      { name: 'units', type: upTo(MAX_UNITS), required: true, doc: 'Number of output units.' },
      activation,
    ],
  },
  conv2d: {
    doc: '2-D convolution over [channels, height, width] inputs; weights of shape [filters, in, k, k].',
    fields: [
      typeField('conv2d', 'A 2-D convolution.'),
      { name: 'filters', type: upTo(MAX_FILTERS), required: true, doc: 'Number of output channels.' },
      { name: 'kernelSize', type: upTo(MAX_WINDOW), required: true, doc: 'Side of the square kernel: 3 for a 3×3 kernel.' },
      { name: 'stride', type: upTo(MAX_WINDOW), default: 1, doc: 'Step between kernel positions.' },
      {
        name: 'padding',
        type: { kind: 'enum', values: ['valid', 'same'] },
        default: 'valid',
        doc: '`valid`: no padding, the output shrinks; `same`: zero padding so the output is ceil(input / stride).',
      },
      activation,
    ],
  },
  maxpool2d: {
    doc: 'Max pooling over square windows of each channel.',
    fields: [
      typeField('maxpool2d', 'Max pooling.'),
      { name: 'poolSize', type: upTo(MAX_WINDOW), required: true, doc: 'Side of the square pooling window.' },
      { name: 'stride', type: upTo(MAX_WINDOW), doc: 'Step between windows (default: poolSize, i.e. non-overlapping).' },
    ],
  },
  flatten: {
    doc: 'Flattens [channels, height, width] into one vector (needed before a dense layer that follows a conv).',
    fields: [typeField('flatten', 'Flatten to a vector.')],
  },
  relu: { doc: 'max(0, x), as a layer of its own.', fields: [typeField('relu', 'ReLU activation.')] },
  'leaky-relu': {
    doc: `x for x > 0, ${LEAKY_RELU_SLOPE}·x otherwise.`,
    fields: [typeField('leaky-relu', `Leaky ReLU activation (slope ${LEAKY_RELU_SLOPE}).`)],
  },
  tanh: { doc: 'Hyperbolic tangent.', fields: [typeField('tanh', 'tanh activation.')] },
  sigmoid: { doc: 'Logistic sigmoid 1 / (1 + e^−x).', fields: [typeField('sigmoid', 'Sigmoid activation.')] },
  gelu: {
    doc: 'GELU, the tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (PyTorch\'s approximate="tanh"; not the exact erf form).',
    fields: [typeField('gelu', 'GELU activation (tanh approximation).')],
  },
};

export const DATA_DEF: ObjectDef = {
  fields: [
    {
      name: 'source',
      type: { kind: 'string' },
      required: true,
      doc: '`"mnist"` for the built-in 10,000 handwritten digits, or a path relative to this file: a `.csv` (label first, then features), an IDX images file (MNIST/EMNIST format, with `labels`), or a folder of PNG images with one sub-folder per class. Paths must stay inside the workspace.',
    },
    { name: 'labels', type: { kind: 'string' }, doc: 'IDX only: the labels file, relative to this file.' },
    { name: 'limit', type: positiveInt, doc: 'Use only the first N examples after a seeded shuffle.' },
    {
      name: 'validationSplit',
      type: { kind: 'number', min: 0, max: 1, exclusiveMax: true },
      default: 0.2,
      doc: 'Fraction of the examples held out for validation, in [0, 1).',
    },
  ],
};

export const OPTIMIZER_DEF: ObjectDef = {
  fields: [
    {
      name: 'type',
      type: { kind: 'enum', values: ['sgd', 'adam'] },
      default: 'sgd',
      doc: '`sgd`: θ ← θ − γ·g (with optional momentum); `adam`: adaptive moments.',
    },
    {
      name: 'learningRate',
      type: { kind: 'number', min: 0, exclusiveMin: true },
      doc: 'Step size γ. Default 0.05 for SGD, 0.001 for Adam.',
    },
    {
      name: 'momentum',
      type: { kind: 'number', min: 0, max: 1, exclusiveMax: true },
      default: 0,
      doc: 'SGD momentum in [0, 1); 0 is plain SGD.',
    },
    { name: 'nesterov', type: { kind: 'boolean' }, default: false, doc: 'SGD: use Nesterov momentum.' },
    {
      name: 'weightDecay',
      type: { kind: 'number', min: 0 },
      default: 0,
      doc: 'L2 penalty added to the weight gradients (not biases).',
    },
    {
      name: 'beta1',
      type: { kind: 'number', min: 0, max: 1, exclusiveMax: true },
      default: 0.9,
      doc: 'Adam: decay of the first moment.',
    },
    {
      name: 'beta2',
      type: { kind: 'number', min: 0, max: 1, exclusiveMax: true },
      default: 0.999,
      doc: 'Adam: decay of the second moment.',
    },
    {
      name: 'epsilon',
      type: { kind: 'number', min: 0, exclusiveMin: true },
      default: 1e-8,
      doc: 'Adam: added to the denominator for stability.',
    },
  ],
};

export const ROOT_DEF: ObjectDef = {
  fields: [
    {
      name: '$schema',
      type: { kind: 'string' },
      doc: 'The JSON Schema of this file (optional; VS Code already knows it for *.gradlens.json).',
    },
    { name: 'name', type: { kind: 'string' }, doc: 'A name for the model, shown in the panel and the CLI.' },
    {
      name: 'seed',
      type: { kind: 'number', integer: true, min: 0, max: Number.MAX_SAFE_INTEGER },
      default: 0,
      doc: 'Seed for initial weights, shuffling and the data subset: the same seed gives the same run, bit for bit.',
    },
    {
      name: 'dtype',
      type: { kind: 'enum', values: ['float32', 'float64'] },
      default: 'float32',
      doc: '`float32` (fast, WASM SIMD) or `float64` (the exact reference path).',
    },
    { name: 'data', type: { kind: 'object', object: DATA_DEF }, required: true, doc: 'Where the training examples come from.' },
    { name: 'layers', type: { kind: 'layers' }, required: true, doc: 'The network, input to output.' },
    {
      name: 'loss',
      type: { kind: 'enum', values: ['cross-entropy', 'mse'] },
      default: 'cross-entropy',
      doc: '`cross-entropy`: softmax + negative log-likelihood, averaged over the batch. `mse`: (1/M)·Σᵢ ½‖f(xᵢ) − yᵢ‖² against one-hot targets.',
    },
    { name: 'optimizer', type: { kind: 'object', object: OPTIMIZER_DEF }, doc: 'How the batch gradient becomes an update.' },
    {
      name: 'batchSize',
      type: positiveInt,
      default: 32,
      doc: 'M, the examples per update: 1 is pure SGD; the training-set size (or more) is full batch. The last batch of an epoch may be smaller.',
    },
    { name: 'epochs', type: positiveInt, default: 5, doc: 'Passes over the training set.' },
  ],
};
