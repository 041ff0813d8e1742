// The content of a new model file and the rules for its name. Pure (no `vscode`), unit-tested;
// newModelFile.ts does the asking and writing.

export const MODEL_FILE_SUFFIX = '.gradlens.json';

/**
 * The base name the user typed, without a `.gradlens.json` (or `.json`) suffix they may have
 * added themselves, trimmed.
 */
export function modelBaseName(input: string): string {
  let name = input.trim();
  const lower = name.toLowerCase();
  if (lower.endsWith(MODEL_FILE_SUFFIX)) name = name.slice(0, -MODEL_FILE_SUFFIX.length);
  else if (lower.endsWith('.json')) name = name.slice(0, -'.json'.length);
  return name.trim();
}

/** `digits` → `digits.gradlens.json`. */
export function modelFileName(input: string): string {
  return `${modelBaseName(input)}${MODEL_FILE_SUFFIX}`;
}

/**
 * Why a typed name cannot be a model file name, as a sentence for the input box, or undefined
 * when it is fine. Names are plain file names in the workspace root: no folders, no characters
 * that Windows or macOS refuse.
 */
export function validateModelName(input: string): string | undefined {
  const name = modelBaseName(input);
  if (name.length === 0) return 'Type a name for the model, for example "digits".';
  if (/[\\/]/.test(name)) return 'Use a plain file name without "/" or "\\"; the file is created in the workspace folder.';
  if (/[<>:"|?*\u0000-\u001f]/.test(name))
    return 'The name contains a character that is not allowed in file names (< > : " | ? *).';
  if (name === '.' || name === '..' || name.startsWith('.')) return 'The name must not start with ".".';
  if (name.length > 100) return 'Use a name of at most 100 characters.';
  return undefined;
}

/**
 * A commented MLP on the built-in digits: the same model as examples/digits/digits.gradlens.json,
 * without "$schema" (a relative schema path would not resolve in the user's workspace; the
 * extension's jsonValidation already associates the schema with *.gradlens.json).
 */
export function modelFileTemplate(name: string): string {
  return `// Gradient Lens model file (JSON with comments).
// Run "Gradient Lens: Train" (or the Train lens above) to train it and watch its gradients.
// Hover a layer during training for its gradient statistics.
{
  "name": ${JSON.stringify(modelBaseName(name))},
  // Every random choice (initial weights, shuffling, the validation split) follows this seed.
  "seed": 1,
  "data": {
    // "mnist" is the built-in set of handwritten digits (28×28 pixels, 10 classes).
    // A workspace-relative path to a .csv file, IDX files or a folder of PNG images also works.
    "source": "mnist",
    // Use the first 1000 digits (after a seeded shuffle) so an epoch takes a moment.
    "limit": 1000,
    // Hold out 20% for validation, to see whether the model generalises.
    "validationSplit": 0.2
  },
  // A multi-layer perceptron: 784 pixels → 128 → 64 → 10 class scores.
  // The first dense layer reads each image flattened.
  "layers": [
    { "type": "dense", "units": 128, "activation": "relu" },
    { "type": "dense", "units": 64, "activation": "relu" },
    // No activation on the last layer: cross-entropy applies the softmax itself.
    { "type": "dense", "units": 10 }
  ],
  "loss": "cross-entropy",
  // θ ← θ − γ·(1/M)·Σᵢ ∇Lᵢ, with momentum smoothing successive updates.
  "optimizer": { "type": "sgd", "learningRate": 0.1, "momentum": 0.9 },
  // Examples per update: 1 is pure SGD, the training-set size is full batch.
  "batchSize": 32,
  "epochs": 8
}
`;
}
