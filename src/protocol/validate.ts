// Every message that crosses a boundary is checked here before anyone acts on it: the webview's
// messages in the host, the host's requests in the worker, the worker's events in the host. A
// message that does not match its type is refused with a sentence naming the first wrong field,
// so a stray or hostile message can never reach the engine (or crash the worker) as bad data.
// Hand-written and small on purpose: one checker per message type, no schema library.

import type { WebviewMessage } from './webview';
import { PANEL_COMMANDS } from './webview';
import type { WorkerEvent, WorkerRequest } from './worker';

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

/** A checker returns null when `v` fits, else what is wrong (with its path). */
type Check = (v: unknown, path: string) => string | null;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const num: Check = (v, p) => (typeof v === 'number' ? null : `${p} must be a number`);
const finite: Check = (v, p) => (typeof v === 'number' && Number.isFinite(v) ? null : `${p} must be a finite number`);
const int: Check = (v, p) => (typeof v === 'number' && Number.isSafeInteger(v) ? null : `${p} must be a whole number`);
const index: Check = (v, p) =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? null : `${p} must be a whole number ≥ 0`;
const str =
  (max = 1 << 20): Check =>
  (v, p) =>
    typeof v === 'string' && v.length <= max ? null : `${p} must be a string of at most ${max} characters`;
const bool: Check = (v, p) => (typeof v === 'boolean' ? null : `${p} must be true or false`);
const oneOf =
  (...values: readonly unknown[]): Check =>
  (v, p) =>
    values.includes(v) ? null : `${p} must be one of ${values.map((x) => JSON.stringify(x)).join(', ')}`;
const nullable =
  (c: Check): Check =>
  (v, p) =>
    v === null ? null : c(v, p);
const optional =
  (c: Check): Check =>
  (v, p) =>
    v === undefined ? null : c(v, p);
const anyObject: Check = (v, p) => (isObject(v) ? null : `${p} must be an object`);
const arrayOf =
  (c: Check, max = Infinity): Check =>
  (v, p) => {
    if (!Array.isArray(v)) return `${p} must be a list`;
    if (v.length > max) return `${p} has more than ${max} entries`;
    for (let i = 0; i < v.length; i++) {
      const e = c(v[i], `${p}[${i}]`);
      if (e) return e;
    }
    return null;
  };
const numbers =
  (max = Infinity): Check =>
  (v, p) => {
    if (!Array.isArray(v)) return `${p} must be a list of numbers`;
    if (v.length > max) return `${p} has more than ${max} entries`;
    return v.every((x) => typeof x === 'number') ? null : `${p} must hold only numbers`;
  };
const shape =
  (fields: Record<string, Check>): Check =>
  (v, p) => {
    if (!isObject(v)) return `${p} must be an object`;
    for (const [k, c] of Object.entries(fields)) {
      const e = c(v[k], `${p}.${k}`);
      if (e) return e;
    }
    return null;
  };

const selection = shape({ layer: index, kind: oneOf('weight', 'bias'), index });
const heatmapMode = oneOf('grad', 'weight', 'update');
const modelSpec = shape({
  name: str(1000),
  layers: arrayOf(anyObject, 10_000),
  data: anyObject,
  batchSize: int,
  epochs: int,
  seed: int,
  dtype: oneOf('float32', 'float64'),
});
const modelSource = {
  spec: modelSpec,
  dataPath: nullable(str(10_000)),
  labelsPath: nullable(str(10_000)),
  mediaDir: str(10_000),
  file: str(10_000),
  workspaceRoot: optional(str(10_000)),
};
const tensor = shape({ name: str(1000), shape: arrayOf(index, 8), value: numbers() });

/** The checker of every message type, by its `type`. */
function table<M extends { type: string }>(checks: { [T in M['type']]: Record<string, Check> }) {
  return (raw: unknown, what: string): Checked<M> => {
    if (!isObject(raw) || typeof raw.type !== 'string') return { ok: false, error: `${what} is not a message (no "type")` };
    const fields = (checks as Record<string, Record<string, Check> | undefined>)[raw.type];
    if (!fields || !Object.prototype.hasOwnProperty.call(checks, raw.type))
      return { ok: false, error: `${what} has an unknown type ${JSON.stringify(raw.type.slice(0, 40))}` };
    const error = shape(fields)(raw, raw.type);
    return error ? { ok: false, error } : { ok: true, value: raw as unknown as M };
  };
}

const webviewTable = table<WebviewMessage>({
  ready: {},
  rendered: {
    summary: shape({
      lossPoints: index,
      epochPoints: index,
      heatmapCells: index,
      perExampleBars: index,
      healthLayers: index,
      histograms: index,
      lastStep: index,
      state: str(20),
      compareRuns: optional(index),
      walkthroughExamples: optional(index),
      problems: optional(index),
      repeatUpdates: optional(index),
      pace: optional(finite),
      ranks: optional(shape({ step: index, batchSize: index, rankBatchSizes: arrayOf(index, 4096) })),
      failure: optional(str(2000)),
      // Read back for tests only; the host never acts on it.
      drawn: optional(anyObject),
    }),
  },
  command: { id: index, command: oneOf(...PANEL_COMMANDS) },
  select: { id: index, selection },
  heatmapMode: { id: index, mode: heatmapMode },
  // A chart PNG of a few MB at most.
  savePng: { id: index, name: str(200), dataUrl: str(20 << 20) },
  reveal: { id: index, offset: index, length: index },
});

export function validateWebviewMessage(raw: unknown): Checked<WebviewMessage> {
  return webviewTable(raw, 'the webview message');
}

const requestTable = table<WorkerRequest>({
  start: {
    ...modelSource,
    paused: bool,
    settings: shape({
      pauseOnNonFinite: bool,
      histogramEvery: int,
      heatmapMaxCells: int,
      detailIntervalMs: finite,
      useWasm: bool,
      stepsPerSecond: optional(finite),
    }),
  },
  pause: { id: index },
  resume: { id: index },
  step: { id: index },
  stop: { id: index },
  ping: { id: index },
  select: { selection },
  heatmapMode: { mode: heatmapMode },
  pace: { stepsPerSecond: finite },
  walkthrough: { id: index, selection: nullable(selection) },
  getWeights: { id: index },
  setWeights: { id: index, tensors: arrayOf(tensor, 10_000) },
  gradCheck: { id: index, ...modelSource },
  compare: {
    id: index,
    ...modelSource,
    useWasm: bool,
    examples: optional(index),
    rateMode: optional(oneOf('sweep', 'file', 'linear')),
    batchSizes: arrayOf((v, p) => (v === 'full' ? null : int(v, p)), 100),
  },
  batchSnapshot: { id: index, ...modelSource, useWasm: bool },
  repeat: { id: index, ...modelSource, useWasm: bool, example: optional(index), times: optional(index) },
});

const READS_DATA = new Set(['start', 'gradCheck', 'compare', 'batchSnapshot', 'repeat']);

export function validateWorkerRequest(raw: unknown): Checked<WorkerRequest> {
  const checked = requestTable(raw, 'the request');
  if (!checked.ok || !READS_DATA.has(checked.value.type)) return checked;
  // A request that reads data files without naming the folder they must stay inside could read anywhere.
  const r = checked.value as { type: string; dataPath: string | null; labelsPath: string | null; workspaceRoot?: string };
  if ((r.dataPath !== null || r.labelsPath !== null) && r.workspaceRoot === undefined)
    return { ok: false, error: `${r.type}.workspaceRoot must name the workspace folder when a data file is read` };
  return checked;
}

// The worker is our own code, so its events are checked for the fields the host acts on (types,
// ids, counters, the lists it iterates), not every number deep inside a detail.
const status = shape({
  state: oneOf('idle', 'loading', 'running', 'paused', 'stepping', 'finished', 'failed', 'stopped'),
  step: index,
  epoch: index,
  message: optional(str()),
});
const eventTable = table<WorkerEvent>({
  steps: { points: arrayOf(shape({ step: index, epoch: index, loss: num, layers: arrayOf(anyObject) })) },
  detail: {
    detail: shape({
      step: index,
      epoch: index,
      examples: arrayOf(anyObject),
      histograms: arrayOf(anyObject),
      heatmap: nullable(anyObject),
      perExample: nullable(anyObject),
    }),
  },
  epoch: { epoch: shape({ epoch: index, step: index }) },
  status: { status },
  started: {
    run: shape({
      file: str(),
      spec: modelSpec,
      layers: arrayOf(anyObject),
      trainSize: index,
      validationSize: index,
      numClasses: index,
      backend: str(),
      dataWarnings: optional(arrayOf(str(4000), 100)),
    }),
  },
  reply: { id: index, ok: bool },
  compareProgress: { run: index, runs: index, examplesSeen: index, examplesTotal: index },
  pong: { id: index },
  error: { message: str(), file: optional(str()), nonFinite: optional(anyObject) },
});

export function validateWorkerEvent(raw: unknown): Checked<WorkerEvent> {
  const checked = eventTable(raw, 'the worker event');
  if (!checked.ok || checked.value.type !== 'reply') return checked;
  const r = raw as Record<string, unknown>;
  const e = r.ok ? anyObject(r.value, 'reply.value') : str()(r.error, 'reply.error');
  return e ? { ok: false, error: e } : checked;
}
