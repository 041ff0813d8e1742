// The Call Stack and the scopes of each frame, read from where the run stands:
//   layer L (or loss / optimizer)  ›  step s (batch of M)  ›  epoch e
// Innermost first, as debuggers list frames. After Step In the batch's examples replace the top:
// one frame per example (the one stepped to first, then the rest in batch order), each with its
// own forward and backward values.

import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { DebugRun } from './run';
import type { StopView } from './frame';
import { CONDITION_NAMES } from './frame';
import { lineOfTarget, type ModelLines } from './lines';
import type { RecordValue, Value } from './expr';
import { record } from './record';
import type { VariableStore } from './variables';

export const FRAME_TOP = 1,
  FRAME_STEP = 2,
  FRAME_EPOCH = 3,
  /** Frame of example i of the batch: FRAME_EXAMPLE + i. */
  FRAME_EXAMPLE = 100;

/** Which example of the batch a frame stands for, or null. */
export function exampleOfFrame(run: DebugRun, frameId: number): number | null {
  const ex = run.example;
  const i = frameId - FRAME_EXAMPLE;
  return ex && i >= 0 && i < ex.replay.examples.length ? i : null;
}

export interface FrameInfo {
  id: number;
  name: string;
  line: number | null;
}

export function frames(run: DebugRun, lines: ModelLines): FrameInfo[] {
  const at = run.at;
  if (!at) return [];
  const t = run.trainer;
  const m = t.currentBatch().length;
  const out: FrameInfo[] = [];
  const ex = run.example;
  if (ex) {
    const line = lines.layers[ex.replay.selection.layer]?.first ?? null;
    const order = [ex.i, ...ex.replay.examples.map((_, i) => i).filter((i) => i !== ex.i)];
    for (const i of order) {
      const e = ex.replay.examples[i];
      out.push({
        id: FRAME_EXAMPLE + i,
        name: `example ${i + 1} of ${m} · #${e.index} label ${e.label} → ${e.prediction} · own forward + backward`,
        line,
      });
    }
  } else if (at.kind === 'layer-backward') {
    out.push({
      id: FRAME_TOP,
      name: `layer ${at.layer} · ${t.layers[at.layer!].label} · after backward`,
      line: lineOfTarget(lines, { kind: 'layer-backward', layer: at.layer! }),
    });
  } else if (at.kind === 'forward-done') {
    out.push({
      id: FRAME_TOP,
      name: `loss · ${run.loaded.spec.loss} · after forward`,
      line: lineOfTarget(lines, { kind: 'forward-done' }),
    });
  } else if (at.kind === 'before-update') {
    out.push({
      id: FRAME_TOP,
      name: `optimizer · ${run.loaded.spec.optimizer.type} · before update`,
      line: lineOfTarget(lines, { kind: 'before-update' }),
    });
  } else if (at.kind === 'after-update') {
    out.push({
      id: FRAME_TOP,
      name: `optimizer · ${run.loaded.spec.optimizer.type} · update applied`,
      line: lineOfTarget(lines, { kind: 'before-update' }),
    });
  }
  const start = at.kind === 'batch-start' && !ex ? ' · start' : '';
  out.push({ id: FRAME_STEP, name: `step ${at.step} (batch of ${m})${start}`, line: lines.batchSize });
  out.push({ id: FRAME_EPOCH, name: `epoch ${at.epoch} of ${run.loaded.spec.epochs}`, line: lines.epochs });
  return out;
}

export function toStackFrame(f: FrameInfo, file: string, line: (n: number) => number): DebugProtocol.StackFrame {
  return {
    id: f.id,
    name: f.name,
    line: f.line === null ? 0 : line(f.line),
    column: f.line === null ? 0 : 1,
    source: f.line === null ? undefined : { name: path.basename(file), path: file },
  };
}

/** The scalars conditions use, as they stand at this stop point ("Step" scope; `lr` is editable). */
export function stepRecord(view: StopView): RecordValue {
  return record(
    'step',
    CONDITION_NAMES.map((n) => [n, () => view.get(n)]),
  );
}

export function batchRecord(view: StopView): RecordValue {
  return record(
    'batch',
    ['inputs', 'labels', 'predictions', 'losses'].map((n) => [n, () => view.get(n)]),
  );
}

export function scopesFor(
  frameId: number,
  run: DebugRun,
  view: StopView,
  store: VariableStore,
): { scopes: DebugProtocol.Scope[]; stepRef: number } {
  const scopes: DebugProtocol.Scope[] = [];
  const add = (name: string, v: RecordValue, expensive = false, evaluateName?: string): number => {
    const ref = store.ref(() => v, evaluateName);
    scopes.push({ name, variablesReference: ref, expensive, presentationHint: 'locals' });
    return ref;
  };
  const at = run.at;
  const ex = run.example;
  const own = exampleOfFrame(run, frameId);
  if (ex && own !== null) {
    const L = ex.replay.selection.layer;
    add(`Example ${own + 1} · its own pass`, ex.examples.record(own, L), false);
  } else if (frameId === FRAME_TOP && at?.kind === 'layer-backward') {
    const L = at.layer!;
    add(`layers[${L}] · ${run.trainer.layers[L].label}`, view.layerRecord(L), false, `layers[${L}]`);
  } else if (frameId === FRAME_TOP && (at?.kind === 'before-update' || at?.kind === 'after-update')) {
    const layers = view.paramLayers();
    add(
      'Optimizer',
      record('optimizer', [
        ['lr', () => run.trainer.learningRate],
        ...layers.flatMap((L): [string, () => Value | undefined][] => [
          [`layers[${L}].update`, () => view.layerRecord(L).get('update')],
          [`layers[${L}].momentum`, () => view.layerRecord(L).get('momentum') ?? view.layerRecord(L).get('adamM')],
        ]),
      ]),
    );
  } else if (frameId === FRAME_EPOCH) {
    const e = run.lastEpoch;
    add(
      'Epoch',
      record('epoch', [
        ['epoch', () => at?.epoch ?? run.trainer.epoch],
        ['stepsPerEpoch', () => run.trainer.stepsPerEpoch],
        ['trainLoss (last epoch)', () => e?.trainLoss],
        ['trainAccuracy (last epoch)', () => e?.trainAccuracy],
        ['validationLoss (last epoch)', () => e?.validationLoss ?? undefined],
        ['validationAccuracy (last epoch)', () => e?.validationAccuracy ?? undefined],
      ]),
    );
  }
  const stepRef = add('Step', stepRecord(view));
  add('Batch', batchRecord(view), false);
  add(
    'Layers',
    record(
      'layers',
      run.trainer.layers.map((l): [string, () => Value] => [`[${l.index}] ${l.label}`, () => view.layerRecord(l.index)]),
    ),
    true,
  );
  return { scopes, stepRef };
}
