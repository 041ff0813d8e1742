// The training history as CSV: one row per step, for spreadsheets and pandas.
//
// Columns, in order:
//   step, epoch, examplesSeen, time (seconds since the run started), loss (batch mean, before the
//   update), accuracy (of the batch), noiseScale (B_simple over all parameters; NaN when M = 1),
//   then for each parameterised layer L (its index in spec.layers):
//   layerL.gradNorm, layerL.weightNorm, layerL.updateRatio, layerL.perExampleNormMin,
//   layerL.perExampleNormMedian, layerL.perExampleNormMax, layerL.cosineMean, layerL.noiseScale,
//   layerL.deadFraction (empty when the layer has no ReLU),
//   then the epoch's statistics, filled only on the row of the last step of an epoch:
//   epochEnd.epoch, epochEnd.trainLoss, epochEnd.trainAccuracy, epochEnd.validationLoss,
//   epochEnd.validationAccuracy (empty without a validation set), epochEnd.seconds.
// Numbers are in JavaScript's shortest exact form, so historyFromCsv reads back the same values.

import type { DeepReadonly, LayerPoint, StepPoint } from '../protocol';
import type { EpochStats } from '../engine/types';
import { numberCell, parseNumberCell } from './numbers';
import { DataError } from '../errors/types';

const STEP_FIELDS = ['step', 'epoch', 'examplesSeen', 'time', 'loss', 'accuracy', 'noiseScale'] as const;
const LAYER_FIELDS = [
  'gradNorm',
  'weightNorm',
  'updateRatio',
  'perExampleNormMin',
  'perExampleNormMedian',
  'perExampleNormMax',
  'cosineMean',
  'noiseScale',
  'deadFraction',
] as const;
const EPOCH_FIELDS = ['epoch', 'trainLoss', 'trainAccuracy', 'validationLoss', 'validationAccuracy', 'seconds'] as const;

export function historyToCsv(history: readonly DeepReadonly<StepPoint>[], epochs: readonly DeepReadonly<EpochStats>[]): string {
  const layers = history[0]?.layers.map((l) => l.layer) ?? [];
  const header = [
    ...STEP_FIELDS,
    ...layers.flatMap((l) => LAYER_FIELDS.map((f) => `layer${l}.${f}`)),
    ...EPOCH_FIELDS.map((f) => `epochEnd.${f}`),
  ];
  const epochAtStep = new Map(epochs.map((e) => [e.step, e]));
  const rows = history.map((p) => {
    const byLayer = new Map(p.layers.map((l) => [l.layer, l]));
    const e = epochAtStep.get(p.step);
    return [
      ...STEP_FIELDS.map((f) => numberCell(p[f])),
      ...layers.flatMap((l) =>
        LAYER_FIELDS.map((f) => {
          const lp = byLayer.get(l);
          return lp ? numberCell(lp[f]) : '';
        }),
      ),
      ...EPOCH_FIELDS.map((f) => (e ? numberCell(e[f]) : '')),
    ].join(',');
  });
  return [header.join(','), ...rows].join('\n') + '\n';
}

/** Reads what historyToCsv wrote (errors name the line and column). */
export function historyFromCsv(text: string): { history: StepPoint[]; epochs: EpochStats[] } {
  const lines = text.split(/\r?\n/).filter((l) => l !== '');
  if (lines.length === 0) throw new DataError('', 'The history CSV is empty: expected a header line.');
  const header = lines[0].split(',');
  const missing = STEP_FIELDS.filter((f) => !header.includes(f));
  if (missing.length) throw new DataError('', `line 1: the header lacks the column(s) ${missing.join(', ')}.`);
  const layers = [
    ...new Set(
      header
        .map((h) => /^layer(\d+)\./.exec(h)?.[1])
        .filter((x): x is string => x !== undefined)
        .map(Number),
    ),
  ];
  const history: StepPoint[] = [];
  const epochs: EpochStats[] = [];
  lines.slice(1).forEach((line, r) => {
    const cells = line.split(',');
    if (cells.length !== header.length)
      throw new DataError('', `line ${r + 2}: expected ${header.length} cells, found ${cells.length}.`);
    const cell = (name: string): number | null => {
      const c = header.indexOf(name);
      try {
        return c < 0 ? null : parseNumberCell(cells[c]);
      } catch (e) {
        throw new DataError('', `line ${r + 2}, column ${name}: ${(e as Error).message}.`);
      }
    };
    const need = (name: string): number => {
      const v = cell(name);
      if (v === null) throw new DataError('', `line ${r + 2}, column ${name}: a number is required.`);
      return v;
    };
    const point = Object.fromEntries(STEP_FIELDS.map((f) => [f, need(f)])) as unknown as StepPoint;
    point.layers = layers
      .filter((l) => cell(`layer${l}.gradNorm`) !== null)
      .map(
        (l) =>
          ({
            layer: l,
            ...Object.fromEntries(
              LAYER_FIELDS.map((f) => [f, f === 'deadFraction' ? cell(`layer${l}.${f}`) : need(`layer${l}.${f}`)]),
            ),
          }) as LayerPoint,
      );
    history.push(point);
    if (cell('epochEnd.epoch') !== null) {
      const e = {
        step: point.step,
        ...Object.fromEntries(
          EPOCH_FIELDS.map((f) => [f, f.startsWith('validation') ? cell(`epochEnd.${f}`) : need(`epochEnd.${f}`)]),
        ),
      } as EpochStats;
      epochs.push(e);
    }
  });
  return { history, epochs };
}
