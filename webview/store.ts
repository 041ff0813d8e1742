// The webview's copy of the session: a SessionSnapshot kept current by HostMessages, with every
// series bounded so a long run never grows the page without limit. Pure logic, no DOM.

import type { HostMessage, SessionSnapshot, StepPoint, Histogram } from '../src/protocol';

/** Keep at most this many history points; older ones are thinned 2:1 when the limit is hit. */
export const MAX_POINTS = 4000;
/** Histograms kept per layer (one column each in the strip). */
export const MAX_HISTOGRAMS_PER_LAYER = 160;

export function emptySnapshot(): SessionSnapshot {
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
  };
}

/** Apply one message; returns true when something visible changed. */
export function apply(s: SessionSnapshot, m: HostMessage): boolean {
  switch (m.type) {
    case 'snapshot':
      Object.assign(s, m.snapshot);
      s.history = thin(s.history.slice());
      return true;
    case 'steps':
      appendPoints(s.history, m.points);
      return m.points.length > 0;
    case 'detail':
      s.detail = m.detail;
      if (m.detail.perExample) s.selection = m.detail.perExample.selection;
      appendHistograms(s.histograms, m.detail.histograms);
      return true;
    case 'epoch':
      s.epochs = s.epochs.filter((e) => e.epoch !== m.epoch.epoch);
      s.epochs.push(m.epoch);
      return true;
    case 'status':
      s.status = m.status;
      return true;
    case 'gradCheck':
      s.gradCheck = m.result;
      return true;
    case 'compare':
      s.compare = m.result;
      return true;
    case 'walkthrough':
      s.walkthrough = m.result;
      return true;
    case 'repeat':
      s.repeat = m.result;
      return true;
    case 'response':
      return false;
  }
}

function appendPoints(history: StepPoint[], points: StepPoint[]): void {
  const last = history.length ? history[history.length - 1].step : 0;
  for (const p of points) if (p.step > last) history.push(p);
  if (history.length > MAX_POINTS) {
    const kept = thin(history);
    history.length = 0;
    history.push(...kept);
  }
}

/** Halve the older half of the history (keep every other point) so recent steps stay exact. */
function thin(history: StepPoint[]): StepPoint[] {
  if (history.length <= MAX_POINTS) return history;
  const half = Math.floor(history.length / 2);
  const old = history.slice(0, half).filter((_, i) => i % 2 === 0);
  return old.concat(history.slice(half));
}

function appendHistograms(all: Histogram[], fresh: Histogram[]): void {
  for (const h of fresh) {
    if (all.some((x) => x.layer === h.layer && x.step === h.step)) continue;
    all.push(h);
    const ofLayer = all.filter((x) => x.layer === h.layer);
    if (ofLayer.length > MAX_HISTOGRAMS_PER_LAYER) all.splice(all.indexOf(ofLayer[0]), 1);
  }
}
