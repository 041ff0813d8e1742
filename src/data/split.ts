// The data subset and the validation split, decided by the model's seed (pure).
//
// One seeded permutation of all examples (Rng(seed).permutation(count)) orders the data; `limit`
// keeps its first N, and the last round(N·validationSplit) of those become the validation set.
// The same seed and file therefore always give the same training and validation examples, and
// the file's own order (often sorted by class) never reaches training.
import { Rng } from '../engine/random';
import type { Dataset } from './dataset';
import { exampleSize } from './dataset';
import { DataError } from './errors';

export interface SplitOptions {
  limit?: number;
  validationSplit: number;
  seed: number;
  /**
   * Reorder `data` itself instead of copying it when every example is kept, so a large file is
   * not held twice; `data` must not be used afterwards. loadDataset sets it for its own copy.
   */
  reuseInput?: boolean;
}

export interface SplitResult {
  train: Dataset;
  validation: Dataset | null;
}

/** Throws a DataError naming the dataset when the split leaves nothing to train on. */
export function limitAndSplit(data: Dataset, options: SplitOptions): SplitResult {
  const total = options.limit === undefined ? data.count : Math.max(0, Math.min(data.count, Math.floor(options.limit)));
  if (total === 0) throw new DataError(data.name, 'no examples to train on');
  const validationCount = Math.round(total * options.validationSplit);
  if (validationCount >= total) {
    throw new DataError(
      data.name,
      `a validation split of ${options.validationSplit} of ${total} examples leaves none for training`,
    );
  }
  const order = new Rng(options.seed).permutation(data.count);
  const trainCount = total - validationCount;
  const validationName = `${data.name} (validation)`;
  if (options.reuseInput && total === data.count) {
    permuteInPlace(data, order);
    const size = exampleSize(data);
    // Validation rows are copied out (a small share); training keeps the reordered buffer.
    const validation =
      validationCount > 0
        ? {
            ...data,
            name: validationName,
            count: validationCount,
            x: data.x.slice(trainCount * size, total * size),
            y: data.y.slice(trainCount, total),
            inputShape: [...data.inputShape],
            classNames: data.classNames && [...data.classNames],
          }
        : null;
    return { train: firstRows(data, trainCount), validation };
  }
  const train = gather(data, order.subarray(0, trainCount));
  const validation = validationCount > 0 ? { ...gather(data, order.subarray(trainCount, total)), name: validationName } : null;
  return { train, validation };
}

/** Reorders the examples of `data` in place so that new example i is old example order[i]. */
export function permuteInPlace(data: Dataset, order: Int32Array): Dataset {
  const size = exampleSize(data);
  const { x, y } = data;
  const done = new Uint8Array(data.count);
  const saved = new Float32Array(size);
  for (let start = 0; start < data.count; start++) {
    if (done[start]) continue;
    // Follow the cycle start <- order[start] <- order[order[start]] ... back to start.
    saved.set(x.subarray(start * size, (start + 1) * size));
    const savedLabel = y[start];
    let i = start;
    while (order[i] !== start) {
      const from = order[i];
      x.copyWithin(i * size, from * size, (from + 1) * size);
      y[i] = y[from];
      done[i] = 1;
      i = from;
    }
    x.set(saved, i * size);
    y[i] = savedLabel;
    done[i] = 1;
  }
  return data;
}

/** The first `count` examples as views (no copy; `x` still starts at offset 0 of its buffer). */
function firstRows(data: Dataset, count: number): Dataset {
  const size = exampleSize(data);
  return { ...data, count, x: data.x.subarray(0, count * size), y: data.y.subarray(0, count) };
}

/** A new dataset holding the given examples, in that order (rows copied, so `x` starts at offset 0). */
export function gather(data: Dataset, indices: Int32Array): Dataset {
  const size = exampleSize(data);
  const x = new Float32Array(indices.length * size);
  const y = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const from = indices[i];
    x.set(data.x.subarray(from * size, (from + 1) * size), i * size);
    y[i] = data.y[from];
  }
  const result: Dataset = {
    name: data.name,
    inputShape: [...data.inputShape],
    numClasses: data.numClasses,
    count: indices.length,
    x,
    y,
  };
  if (data.classNames) result.classNames = [...data.classNames];
  return result;
}
