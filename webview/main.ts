// The Gradient Lens webview: panel (everything) or sidebar (status, controls, loss sparkline).
// Protocol: post `ready`, then apply HostMessages to a local snapshot, redraw at most once per
// animation frame, and report what was drawn with a `rendered` summary (host tests read it).
// Every request (a command, a selection, the heatmap mode, a PNG) gets the host's response matched
// by id; a failure is shown in the alert line. What the views follow is the host's: a click asks,
// and the panel draws what comes back.
// State survives hide/reload through getState/setState; the host's snapshot then replaces it.

import './style.css';
import type { HostMessage, PanelCommand, DrawnNumbers, RenderSummary, SessionSnapshot, WebviewMessage } from '../src/protocol';
import { apply, emptySnapshot } from './store';
import { PendingRequests } from '../src/protocol/pending';
import { onThemeChange } from './theme';
import { el, icon, pngSink } from './dom';
import { Toolbar } from './toolbar';
import { LossView, type LossViewState } from './lossView';
import { HeatmapView } from './heatmapView';
import { PerExampleView } from './perExampleView';
import { HealthView } from './healthView';
import { HistogramView } from './histogramView';
import { CheckView } from './checkView';
import { CompareView } from './compareView';
import { WalkthroughView } from './walkthroughView';
import { AnswersView } from './answersView';
import { NetworkView } from './networkView';
import { RepeatView } from './repeatView';
import { ProblemsView } from './problemsView';
import { RanksView } from './ranksView';
import { ChangeTracker, type Part } from './changes';

interface VsCodeApi {
  postMessage(m: WebviewMessage): void;
  getState(): PersistedState | undefined;
  setState(s: PersistedState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

interface PersistedState {
  snapshot: SessionSnapshot;
  loss: LossViewState;
}

const vscode = acquireVsCodeApi();
const mode = document.body.dataset.mode === 'sidebar' ? 'sidebar' : 'panel';
const saved = vscode.getState();
const snapshot: SessionSnapshot = saved?.snapshot ?? emptySnapshot();
const lossState: LossViewState = saved?.loss ?? { logScale: false, from: null, to: null };

const send = (m: WebviewMessage): void => vscode.postMessage(m);
const pending = new PendingRequests<void>();
type Request = Extract<WebviewMessage, { id: number }>;
type WithoutId<R> = R extends { id: number } ? Omit<R, 'id'> : never;
/** Sends a request; its response (success or a sentence) is matched to it by id. */
function request(r: WithoutId<Request>): void {
  const { id, answer } = pending.open();
  send({ ...r, id } as Request);
  answer.then(
    () => {
      if (toolbar.lastFailure) {
        toolbar.setFailure(undefined);
        schedule();
      }
    },
    (e: unknown) => {
      toolbar.setFailure(e instanceof Error ? e.message : String(e));
      schedule();
    },
  );
}
const command = (c: PanelCommand): void => request({ type: 'command', command: c });
pngSink.save = (name, dataUrl) => request({ type: 'savePng', name, dataUrl });

const app = document.getElementById('app') ?? document.body;
const openPanel = el(
  'button',
  { class: 'tool', title: 'Open the gradient panel', 'aria-label': 'Open the gradient panel' },
  icon('graph'),
  ' Open panel',
);
openPanel.addEventListener('click', () => command('openPanel'));
const toolbar = new Toolbar(command, mode === 'sidebar', mode === 'sidebar' ? [openPanel] : []);
const loss = new LossView(
  lossState,
  () => {
    // The log scale and the step range are part of what the page saves.
    changedSinceSave();
    schedule();
  },
  mode === 'sidebar',
);
const heatmap =
  mode === 'panel'
    ? new HeatmapView({
        select: (selection) => request({ type: 'select', selection }),
        mode: (m) => request({ type: 'heatmapMode', mode: m }),
      })
    : null;
const perExample = mode === 'panel' ? new PerExampleView() : null;
const health = mode === 'panel' ? new HealthView() : null;
const histograms = mode === 'panel' ? new HistogramView() : null;
const check = mode === 'panel' ? new CheckView() : null;
const compare = mode === 'panel' ? new CompareView() : null;
const walkthrough = mode === 'panel' ? new WalkthroughView() : null;
const answers = mode === 'panel' ? new AnswersView((c) => command(c)) : null;
const network = mode === 'panel' ? new NetworkView((selection) => request({ type: 'select', selection })) : null;
const repeat = mode === 'panel' ? new RepeatView() : null;
const problems = mode === 'panel' ? new ProblemsView((offset, length) => request({ type: 'reveal', offset, length })) : null;
const ranks = mode === 'panel' ? new RanksView() : null;

if (mode === 'panel') {
  app.append(
    toolbar.root,
    el(
      'main',
      { class: 'grid' },
      problems!.root,
      answers!.root,
      loss.root,
      ranks!.root,
      network!.root,
      heatmap!.root,
      perExample!.root,
      walkthrough!.root,
      repeat!.root,
      compare!.root,
      health!.root,
      histograms!.root,
      check!.root,
    ),
  );
} else {
  app.append(toolbar.root, loss.root);
}

// The parts of the snapshot each view reads: a frame updates only the views whose parts changed
// since the last one (`all` after a resize, a theme switch or a view's own control).
const READS: [{ update(s: SessionSnapshot): void } | null, Part[]][] = [
  [toolbar, ['status', 'run', 'history', 'epochs', 'pace']],
  // The loss card also follows the run's state: with history and epochs alone a re-shown panel kept
  // a stale point count in the host suite (not understood yet; a status change comes with few frames).
  [loss, ['history', 'epochs', 'status', 'run', 'detail']],
  [heatmap, ['run', 'detail', 'heatmapMode', 'selection']],
  [perExample, ['run', 'detail']],
  [health, ['run', 'history']],
  [histograms, ['run', 'histograms']],
  [check, ['gradCheck']],
  [compare, ['run', 'compare']],
  [walkthrough, ['walkthrough']],
  [answers, ['run', 'detail', 'repeat']],
  [network, ['run', 'history', 'detail', 'selection']],
  [repeat, ['repeat']],
  [problems, ['problems']],
  [ranks, ['run', 'ranks']],
];
const changes = new ChangeTracker();
let everything = true;

let frame = 0;
/** Redraws in the next frame: the views whose parts of the snapshot changed, or (`all`) every view. */
function schedule(all = true): void {
  everything ||= all;
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    render();
  });
}

function render(): void {
  const changed = new Set(changes.changed(snapshot));
  for (const [view, reads] of READS) if (everything || reads.some((p) => changed.has(p))) view?.update(snapshot);
  everything = false;
  send({ type: 'rendered', summary: summary() });
}

function summary(): RenderSummary {
  return {
    lossPoints: loss.points,
    epochPoints: loss.epochPoints,
    heatmapCells: heatmap?.cells ?? 0,
    perExampleBars: perExample?.bars ?? 0,
    healthLayers: health?.layers ?? 0,
    histograms: histograms?.strips ?? 0,
    lastStep: snapshot.history[snapshot.history.length - 1]?.step ?? 0,
    state: snapshot.status.state,
    compareRuns: compare?.runs ?? 0,
    walkthroughExamples: walkthrough ? (snapshot.walkthrough?.examples.length ?? 0) : 0,
    problems: problems?.count ?? 0,
    repeatUpdates: repeat ? (snapshot.repeat?.updates ?? 0) : 0,
    pace: snapshot.pace ?? 0,
    ...(ranks?.shown
      ? {
          ranks: {
            step: ranks.shown.step,
            batchSize: ranks.shown.batchSize,
            rankBatchSizes: ranks.shown.ranks.map((r) => r.batchSize),
          },
        }
      : {}),
    ...(toolbar.lastFailure ? { failure: toolbar.lastFailure } : {}),
    drawn: drawn(),
  };
}

function drawn(): DrawnNumbers {
  const lastOf = (data: unknown[]): { step: number; value: number } | null => {
    const p = data[data.length - 1] as { x: number; y: number } | undefined;
    return p ? { step: p.x, value: p.y } : null;
  };
  const lines = health?.charts[0]?.data.datasets ?? [];
  return {
    loss: lastOf(loss.chart.data.datasets[0]?.data ?? []),
    gradNorms: lines.flatMap((d) => {
      const p = lastOf(d.data);
      return p ? [{ label: String(d.label), ...p }] : [];
    }),
    perExample: perExample?.drawn() ?? null,
  };
}

/**
 * setState serialises everything to JSON in the page's thread (a 1,500-point history took a frame
 * of 100 ms and more), so the page saves only what changed since it last saved (`unsaved`, set where
 * a message or a control changes the state), at most once every PERSIST_EVERY_MS, and at once when
 * it is hidden or unloaded (VS Code discards a hidden webview's page). What is saved is small: it
 * only bridges a reload until the host's snapshot comes (the host sends one on every `ready`), so it
 * keeps the newest steps and epochs and no histogram strip.
 */
let unsaved = false;
let saveTimer: ReturnType<typeof setTimeout> | undefined;
let lastSave = -Infinity;
const PERSIST_EVERY_MS = 1000;
const PERSISTED_ROWS = 200;

function changedSinceSave(): void {
  unsaved = true;
  if (saveTimer) return;
  saveTimer = setTimeout(saveNow, Math.max(0, lastSave + PERSIST_EVERY_MS - performance.now()));
}

function saveNow(): void {
  clearTimeout(saveTimer);
  saveTimer = undefined;
  if (!unsaved) return;
  unsaved = false;
  lastSave = performance.now();
  const kept = {
    ...snapshot,
    history: snapshot.history.slice(-PERSISTED_ROWS),
    epochs: snapshot.epochs.slice(-PERSISTED_ROWS),
  };
  vscode.setState({ snapshot: { ...kept, histograms: [] }, loss: lossState });
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') saveNow();
});
window.addEventListener('pagehide', saveNow);

window.addEventListener('message', (e: MessageEvent<HostMessage>) => {
  const m = e.data;
  if (!m || typeof m !== 'object' || typeof (m as { type?: unknown }).type !== 'string') return;
  if (m.type === 'response') {
    if (typeof m.id === 'number')
      pending.settle(
        m.id,
        m.ok ? { ok: true, value: undefined } : { ok: false, error: String(m.error ?? 'the request failed.') },
      );
    return;
  }
  // The whole state (a panel shown again, a new run) redraws every view: the change tracker is for
  // the live stream, where a frame must not redraw what did not change.
  if (apply(snapshot, m)) {
    changedSinceSave();
    schedule(m.type === 'snapshot');
  }
});

onThemeChange(() => {
  loss.retheme();
  perExample?.retheme();
  health?.retheme();
  compare?.retheme();
  walkthrough?.retheme();
  repeat?.retheme();
  schedule();
});
window.addEventListener('resize', () => schedule());

// For tests and debugging: the live chart instances and the current state (documented in README).
(window as unknown as { __gradientLens: unknown }).__gradientLens = {
  snapshot,
  summary,
  charts: {
    loss: loss.chart,
    perExample: perExample?.chart,
    health: health?.charts,
    compare: compare ? [compare.chart] : [],
    walkthrough: walkthrough?.chart,
    repeat: repeat ? [repeat.lossChart, repeat.forgetChart] : [],
  },
};

render();
send({ type: 'ready' });
