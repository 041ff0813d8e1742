// The one reducer of the session snapshot: the host's run, the webview's store and the webview
// test recorder all keep their copy with these functions and these caps, so every copy of a run
// looks the same (apart from live posts the host thinned). Pure: no vscode, no DOM.

import type { HostMessage, Histogram, RanksStep, SessionSnapshot, SnapshotLimits, StepPoint } from '../protocol';
import type { StepRecord } from './source';
import type { EpochStats } from '../engine/types';

export const DEFAULT_LIMITS: SnapshotLimits = { historyLength: 5000, histogramsPerLayer: 100 };

export function emptySnapshot(limits: SnapshotLimits = DEFAULT_LIMITS): SessionSnapshot {
  return {
    run: null,
    status: { state: 'idle', step: 0, epoch: 0 },
    history: [],
    epochs: [],
    histograms: [],
    detail: null,
    heatmapMode: 'grad',
    selection: null,
    gradCheck: null,
    compare: null,
    walkthrough: null,
    repeat: null,
    problems: null,
    pace: 0,
    ranks: null,
    limits: { ...limits },
  };
}

/** The caps a snapshot is kept with (older snapshots carry none: the defaults). */
export function limitsOf(s: SessionSnapshot): SnapshotLimits {
  return s.limits ?? DEFAULT_LIMITS;
}

/** Forgets the run (keeps the caps). `keepCompare`: a comparison is not part of one run. */
export function clearRun(s: SessionSnapshot, keepCompare = false): void {
  const { compare, repeat, pace } = s;
  Object.assign(s, emptySnapshot(limitsOf(s)));
  // The pace is a setting, not part of a run.
  s.pace = pace ?? 0;
  // Repeat One Example, like a comparison, runs from the initial weights, not in the run.
  if (keepCompare) {
    s.compare = compare;
    s.repeat = repeat ?? null;
  }
}

/** Applies one message in place; returns true when something visible changed. */
export function apply(s: SessionSnapshot, m: HostMessage): boolean {
  switch (m.type) {
    case 'snapshot': {
      const limits = m.snapshot.limits ?? limitsOf(s);
      Object.assign(s, emptySnapshot(limits), m.snapshot, { limits });
      // The arrays this copy grows in place are its own: the message's may be a snapshot other
      // readers share (in the extension host, and in the test recorder).
      s.history = thinToCapacity(m.snapshot.history.slice(), limits.historyLength);
      s.epochs = m.snapshot.epochs.slice();
      s.histograms = [];
      appendHistograms(s.histograms, m.snapshot.histograms, limits.histogramsPerLayer);
      return true;
    }
    case 'steps': {
      appendPoints(s.history, m.points, limitsOf(s).historyLength);
      const last = m.points[m.points.length - 1];
      if (last && last.step >= s.status.step) s.status = { ...s.status, step: last.step, epoch: last.epoch };
      return m.points.length > 0;
    }
    case 'detail':
      s.detail = m.detail;
      if (m.detail.perExample) s.selection = m.detail.perExample.selection;
      if (m.detail.heatmap) s.heatmapMode = m.detail.heatmap.mode;
      appendHistograms(s.histograms, m.detail.histograms, limitsOf(s).histogramsPerLayer);
      return true;
    case 'epoch':
      appendEpoch(s.epochs, m.epoch, limitsOf(s).historyLength);
      return true;
    case 'status': {
      // The NaN report stays while the run is held on it; training on, finishing or a new run drop it.
      const held = m.status.state === 'paused' || m.status.state === 'stepping' || m.status.state === 'failed';
      const nonFinite = m.status.nonFinite ?? (held ? s.status.nonFinite : undefined);
      s.status = { ...m.status };
      if (nonFinite) s.status.nonFinite = nonFinite;
      else delete s.status.nonFinite;
      return true;
    }
    case 'view':
      s.selection = m.selection;
      s.heatmapMode = m.heatmapMode;
      return true;
    case 'gradCheck':
    case 'compare':
    case 'walkthrough':
    case 'repeat':
      // Each one-shot result lives in the snapshot field named after its message type.
      Object.assign(s, { [m.type]: m.result });
      return true;
    case 'ranks':
      s.ranks = m.ranks;
      return true;
    case 'problems':
      s.problems = m.problems;
      return true;
    case 'pace':
      s.pace = m.stepsPerSecond;
      return true;
    case 'response':
      return false;
  }
}

/**
 * The ranks of a data-parallel step record (null when it has none). `meanOfMeans` is what a
 * PyTorch record adds when its ranks' batches differ.
 */
export function ranksStep(record: StepRecord & { meanOfMeans?: RanksStep['meanOfMeans'] }): RanksStep | null {
  if (!record.ranks?.length) return null;
  return {
    step: record.step,
    epoch: record.epoch,
    batchSize: record.batchSize,
    learningRate: record.learningRate,
    mean: record.layers.map((l) => ({ layer: l.layer, gradNorm: l.gradNorm })),
    ranks: record.ranks.map((r) => ({
      rank: r.rank,
      batchSize: r.batchSize,
      loss: r.loss,
      layers: r.layers.map((l) => ({ ...l })),
    })),
    meanOfMeans: record.meanOfMeans?.map((x) => ({ ...x })) ?? null,
  };
}

/** Appends the points newer than the last one kept, thinning the older half whenever the cap is reached. */
export function appendPoints(history: StepPoint[], points: readonly StepPoint[], capacity: number): void {
  const cap = Math.max(4, Math.floor(capacity));
  let last = history.length ? history[history.length - 1].step : 0;
  for (const p of points) {
    if (p.step <= last) continue;
    if (history.length >= cap) {
      const kept = thinOnce(history);
      history.length = 0;
      history.push(...kept);
    }
    history.push(p);
    last = p.step;
  }
}

/** Thins until at most `capacity` points are left: recent steps stay exact, the first one is kept. */
export function thinToCapacity(history: StepPoint[], capacity: number): StepPoint[] {
  const cap = Math.max(4, Math.floor(capacity));
  let out = history;
  while (out.length > cap) out = thinOnce(out);
  return out;
}

/** Every other point of the older half is dropped. */
function thinOnce<T>(history: T[]): T[] {
  const half = Math.floor(history.length / 2);
  return history
    .slice(0, half)
    .filter((_, i) => i % 2 === 0)
    .concat(history.slice(half));
}

/**
 * Adds an epoch's row in place (a repeated epoch replaces its row). Short epochs can come by the
 * thousand, so the rows are capped like the step history: past the cap, every other row of the
 * older half goes, and the first and newest rows stay.
 */
export function appendEpoch(epochs: EpochStats[], epoch: EpochStats, capacity: number): void {
  let at = epochs.length - 1;
  while (at >= 0 && epochs[at].epoch !== epoch.epoch) at--;
  if (at >= 0) epochs.splice(at, 1);
  epochs.push(epoch);
  if (epochs.length > Math.max(4, Math.floor(capacity))) {
    const kept = thinOnce(epochs);
    epochs.length = 0;
    epochs.push(...kept);
  }
}

/** Adds histograms not seen yet; each layer keeps its newest `perLayer`. */
export function appendHistograms(all: Histogram[], fresh: readonly Histogram[], perLayer: number): void {
  for (const h of fresh) {
    if (all.some((x) => x.layer === h.layer && x.step === h.step)) continue;
    all.push(h);
    const ofLayer = all.filter((x) => x.layer === h.layer);
    if (ofLayer.length > perLayer) all.splice(all.indexOf(ofLayer[0]), 1);
  }
}
