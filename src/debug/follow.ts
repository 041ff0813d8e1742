// The debug session's run as a RunSource for the Gradient Lens panel: the panel follows the debugger.
// Every event of the debugged run reaches the host's Run (history, status bar, layer health), and at
// each stop the panel gets that stop's detail: the batch in progress (its examples, labels,
// predictions, losses) and, for the stopped layer's parameter, every gᵢ with their mean. The
// debugger stays the controller: the panel's Pause, Resume, Step and Stop go through the session,
// so VS Code's debug toolbar and the panel never disagree about where the run is.

import type { HeatmapMode, ParamSelection, StepDetail } from '../protocol';
import type { RunControl, RunSource, RunSourceCapabilities, SourceEvent } from '../run/source';
import { buildDetail, isValidSelection } from '../session/detail';
import { mostVariedWeight } from '../engine/walkthrough';
import type { StepStats } from '../engine/types';
import type { DebugRun } from './run';
import { StopView } from './frame';

/** Cells of the heatmap the panel gets at a stop (the setting's default). */
const HEATMAP_CELLS = 48;

export class FollowedRun implements RunSource {
  readonly capabilities: RunSourceCapabilities = {
    stopPoints: ['batch-start', 'example-backward', 'forward-done', 'layer-backward', 'before-update', 'after-update'],
    stepUnits: ['batch'],
    perExample: true,
  };
  private listener: ((e: SourceEvent) => void) | null = null;
  private readonly queued: SourceEvent[] = [];
  private selection: ParamSelection | null = null;
  private mode: HeatmapMode = 'grad';
  private detached = false;

  /** `control` carries the panel's controls out through the debug session. */
  constructor(
    private readonly run: DebugRun,
    private readonly file: string,
    private readonly controlled: (c: RunControl) => void,
  ) {}

  /** True while the panel shows this run (the panel's Run has not replaced it). */
  get attached(): boolean {
    return !this.detached;
  }

  start(listener: (e: SourceEvent) => void): Promise<void> {
    this.listener = listener;
    listener({ type: 'loaded', run: this.run.describe(this.file) });
    for (const e of this.queued.splice(0)) listener(e);
    return Promise.resolve();
  }

  /** An event of the debugged run; at a stop the panel also gets the stop's detail. */
  event(e: SourceEvent): void {
    this.emit(e);
    if (e.type === 'halted') this.sendDetail();
  }

  control(c: RunControl): Promise<void> {
    this.controlled(c);
    return Promise.resolve();
  }

  follow(selection: ParamSelection | null, mode: HeatmapMode): void {
    this.selection = selection;
    this.mode = mode;
    if (this.run.state === 'stopped') this.sendDetail();
  }

  dispose(): void {
    this.detached = true;
    this.listener = null;
  }

  private emit(e: SourceEvent): void {
    if (this.detached) return;
    if (this.listener) this.listener(e);
    else this.queued.push(e);
  }

  private sendDetail(): void {
    const detail = stopDetail(this.run, this.selection, this.mode);
    if (detail) this.emit({ type: 'detail', detail });
  }
}

/** The parameter the panel shows at this stop: the stopped layer's (the panel's own pick if it is on that layer). */
export function stopSelection(run: DebugRun, wanted: ParamSelection | null): ParamSelection | null {
  const at = run.at;
  const t = run.trainer;
  const view = new StopView(run);
  const layer =
    run.example?.replay.selection.layer ??
    (at?.kind === 'layer-backward' && view.hasParams(at.layer!) ? at.layer! : (wanted?.layer ?? view.paramLayers()[0]));
  if (layer === undefined) return null;
  if (wanted && wanted.layer === layer && isValidSelection(t, wanted)) return wanted;
  const m = t.currentBatch().length;
  if (view.gradientReady(layer) && view.forwardDone()) {
    const info = t.layers.filter((l) => l.index === layer);
    const varied = mostVariedWeight({ layers: info, perExampleGradients: (L, k) => t.perExampleGradients(L, k) }, m);
    if (varied) return varied;
  }
  return { layer, kind: 'weight', index: 0 };
}

/**
 * What the panel shows at a stop: the batch in progress and, once the selected layer's backward pass
 * ran for it, its gᵢ and mean. Before the update, θ is shown as it is (the update is pending).
 */
export function stopDetail(run: DebugRun, wanted: ParamSelection | null, mode: HeatmapMode): StepDetail | null {
  const at = run.at;
  if (!at) return null;
  const t = run.trainer;
  const view = new StopView(run);
  const out = view.forwardDone() ? t.currentOutputs() : null;
  const selection = stopSelection(run, wanted);
  const ready = selection !== null && out !== null && view.gradientReady(selection.layer);
  const stats = {
    step: at.step,
    epoch: at.epoch,
    learningRate: t.learningRate,
    exampleIndices: out ? t.currentBatch() : [],
    labels: out?.labels ?? [],
    predictions: out?.predictions ?? [],
    perExampleLoss: out?.perExampleLoss ?? [],
  } as Pick<StepStats, 'step' | 'epoch' | 'learningRate' | 'exampleIndices' | 'labels' | 'predictions' | 'perExampleLoss'>;
  const detail = buildDetail(t, stats as StepStats, run.loaded.spec, run.loaded.train, {
    selection: ready ? selection : null,
    mode,
    heatmapMaxCells: HEATMAP_CELLS,
    histograms: [],
  });
  if (at.kind !== 'after-update' && detail.perExample) {
    // θ has not moved yet in this step: what buildDetail read as "the last update" is the previous step's.
    const theta = t.parameter(detail.perExample.selection.layer, detail.perExample.selection.kind)[
      detail.perExample.selection.index
    ];
    detail.perExample = { ...detail.perExample, before: theta, after: theta, update: 0, terms: null, updatePending: true };
    if (mode === 'update') detail.heatmap = null;
  }
  return detail;
}
