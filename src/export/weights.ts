// Trained weights as a JSON file and back:
//   { "format": "gradient-lens-weights", "version": 1, "model": name, "specHash"?: string,
//     "tensors": NamedTensor[] }
// Values are written by JSON.stringify (shortest exact form), so float64 and float32 weights
// read back bit for bit; non-finite values are spelled "NaN"/"Infinity" (see numbers.ts).

import type { NamedTensor } from '../engine/trainer';
import { decodeNumber, numberReplacer } from './numbers';
import { DataError } from '../errors/types';
import { readExportHeader } from './header';

export const WEIGHTS_FORMAT = 'gradient-lens-weights';
export const WEIGHTS_VERSION = 1;

export interface WeightsFile {
  model: string;
  /** Optional fingerprint of the model spec the weights were trained with. */
  specHash?: string;
  tensors: NamedTensor[];
}

export function weightsToJson(w: WeightsFile): string {
  const body: Record<string, unknown> = { format: WEIGHTS_FORMAT, version: WEIGHTS_VERSION, model: w.model };
  if (w.specHash !== undefined) body.specHash = w.specHash;
  body.tensors = w.tensors.map((t) => ({ name: t.name, layer: t.layer, kind: t.kind, shape: t.shape, value: t.value }));
  return JSON.stringify(body, numberReplacer);
}

/**
 * Reads a weights file. With `expected` (e.g. Trainer.getWeights() of the model it will be loaded
 * into), every tensor must be present with the same shape; the error names the tensor.
 */
export function parseWeightsJson(text: string, expected?: Pick<NamedTensor, 'name' | 'shape'>[]): WeightsFile {
  const root = readExportHeader(text, 'weights', WEIGHTS_FORMAT, WEIGHTS_VERSION);
  if (root.specHash !== undefined && typeof root.specHash !== 'string') throw new DataError('', '$.specHash: expected a string.');
  if (!Array.isArray(root.tensors)) throw new DataError('', '$.tensors: expected an array of tensors.');
  const tensors = root.tensors.map((t, i) => parseTensor(t, `$.tensors[${i}]`));
  if (expected) checkAgainst(tensors, expected);
  const out: WeightsFile = { model: root.model, tensors };
  if (root.specHash !== undefined) out.specHash = root.specHash as string;
  return out;
}

function parseTensor(v: unknown, where: string): NamedTensor {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DataError('', `${where}: expected an object.`);
  const t = v as Record<string, unknown>;
  if (typeof t.name !== 'string') throw new DataError('', `${where}.name: expected a string.`);
  const at = `${where} ("${t.name}")`;
  if (!Number.isInteger(t.layer) || (t.layer as number) < 0) throw new DataError('', `${at}.layer: expected a layer index.`);
  if (t.kind !== 'weight' && t.kind !== 'bias') throw new DataError('', `${at}.kind: expected "weight" or "bias".`);
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d > 0))
    throw new DataError('', `${at}.shape: expected an array of positive integers.`);
  if (!Array.isArray(t.value)) throw new DataError('', `${at}.value: expected an array of numbers.`);
  const shape = t.shape as number[];
  const size = shape.reduce((a, b) => a * b, 1);
  if (t.value.length !== size)
    throw new DataError('', `${at}: shape [${shape.join(', ')}] holds ${size} values, but value has ${t.value.length}.`);
  const value = t.value.map((x, k) => {
    const n = decodeNumber(x);
    if (n === null) throw new DataError('', `${at}.value[${k}]: expected a number, found ${JSON.stringify(x)}.`);
    return n;
  });
  return { name: t.name, layer: t.layer as number, kind: t.kind, shape: shape.slice(), value };
}

function checkAgainst(tensors: NamedTensor[], expected: Pick<NamedTensor, 'name' | 'shape'>[]): void {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  for (const e of expected) {
    const t = byName.get(e.name);
    if (!t)
      throw new DataError(
        '',
        `The weights file has no tensor "${e.name}" (it has ${tensors.map((x) => x.name).join(', ') || 'none'}).`,
      );
    if (t.shape.length !== e.shape.length || t.shape.some((d, i) => d !== e.shape[i])) {
      throw new DataError(
        '',
        `Tensor "${e.name}" has shape [${t.shape.join(', ')}] in the weights file, but the model expects [${e.shape.join(', ')}].`,
      );
    }
  }
  const known = new Set(expected.map((e) => e.name));
  const extra = tensors.filter((t) => !known.has(t.name)).map((t) => `"${t.name}"`);
  if (extra.length) throw new DataError('', `The weights file has tensor(s) ${extra.join(', ')} that the model does not have.`);
}
