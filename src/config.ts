// Every `gradientLens.*` setting, read in one place with its default and its bounds, and one event
// when any of them changes. Everything else asks this object; nobody else calls getConfiguration.

import * as vscode from 'vscode';
import type { HealthThresholds } from './editor/health';
import { DEFAULT_THRESHOLDS } from './editor/health';
import { parseEngineThreads, type EngineThreads } from './engine-host/setting';

/** What the training session uses. */
export interface SessionSettings {
  updateRate: number;
  historyLength: number;
  pauseOnNonFinite: boolean;
  heatmapMaxCells: number;
  histogramEvery: number;
  useWasm: boolean;
  /** Heap limit of a worker thread, in MB. */
  workerMemoryMb: number;
  /** Silence after which a training worker counts as hung, in seconds. */
  workerTimeoutSeconds: number;
  /** Training pace in steps per second; 0: as fast as the engine goes. */
  stepsPerSecond: number;
  /** Threads the engine trains on: "auto" (two where there are two cores and shared memory), 1 or 2. */
  engineThreads: EngineThreads;
}

/** PyTorch runs (src/torch). */
export interface TorchSettings {
  /** Empty: the torch source's default interpreter. */
  pythonPath: string;
  ranks: number;
  /** 0: the model file's epochs. */
  steps: number;
  compareSteps: number;
  /** Seconds without a step after which a PyTorch run counts as stalled. */
  stallTimeout: number;
  perExample: string[];
}

export interface Settings extends SessionSettings {
  /** As written in the settings; commands/compare.ts checks it and says what is wrong. */
  compareBatchSizes: unknown;
  /** Which learning rate each batch size of a comparison gets. */
  compareLearningRates: CompareRateMode;
  /** Repeat One Example's cap on updates. */
  repeatTimes: number;
  health: HealthThresholds;
  pytorch: TorchSettings;
}

const SECTION = 'gradientLens';

export type CompareRateMode = 'sweep' | 'file' | 'linear';
const RATE_MODES: readonly CompareRateMode[] = ['sweep', 'file', 'linear'];

/** The pace the panel's Slow button sets (steps per second). */
export const SLOW_STEPS_PER_SECOND = 10;

function clamp(value: number, min: number, max: number, fallback: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;
}

/** Reads a configuration object (vscode's, or any `get` with defaults) into Settings. */
export function readSettings(c: { get<T>(key: string, fallback: T): T }): Settings {
  return {
    updateRate: clamp(c.get<number>('updateRate', 10), 1, 20, 10),
    historyLength: Math.floor(clamp(c.get<number>('historyLength', 5000), 100, 200_000, 5000)),
    pauseOnNonFinite: c.get<boolean>('pauseOnNonFinite', true) !== false,
    heatmapMaxCells: Math.floor(clamp(c.get<number>('heatmapMaxCells', 48), 4, 128, 48)),
    histogramEvery: Math.floor(clamp(c.get<number>('histogramEvery', 10), 1, 1e9, 10)),
    useWasm: c.get<boolean>('useWasm', true) !== false,
    workerMemoryMb: Math.floor(clamp(c.get<number>('workerMemoryMb', 2048), 128, 65_536, 2048)),
    workerTimeoutSeconds: clamp(c.get<number>('workerTimeoutSeconds', 5), 1, 3600, 5),
    stepsPerSecond: clamp(c.get<number>('stepsPerSecond', 0), 0, 1000, 0),
    engineThreads: parseEngineThreads(c.get<unknown>('engineThreads', 'auto')) ?? 'auto',
    compareBatchSizes: c.get<unknown>('compare.batchSizes', [1, 32, 'full']),
    compareLearningRates: RATE_MODES.find((m) => m === c.get<string>('compare.learningRates', 'sweep')) ?? 'sweep',
    repeatTimes: Math.floor(clamp(c.get<number>('repeat.times', 200), 1, 10_000, 200)),
    health: {
      explodingGradNorm: c.get('health.explodingGradNorm', DEFAULT_THRESHOLDS.explodingGradNorm),
      vanishingGradNorm: c.get('health.vanishingGradNorm', DEFAULT_THRESHOLDS.vanishingGradNorm),
      deadReluFraction: c.get('health.deadReluFraction', DEFAULT_THRESHOLDS.deadReluFraction),
    },
    pytorch: {
      pythonPath: c.get<string>('pythonPath', '') || '',
      ranks: Math.max(1, c.get<number>('pytorch.ranks', 2)),
      steps: Math.max(0, c.get<number>('pytorch.steps', 0)),
      compareSteps: Math.max(1, c.get<number>('pytorch.compareSteps', 5)),
      stallTimeout: Math.max(1, c.get<number>('pytorch.stallTimeout', 120)),
      perExample: c.get<string[]>('pytorch.watchPerExample', []),
    },
  };
}

export class Config implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<Settings>();
  private readonly subscription: vscode.Disposable;
  /** Fires with the new settings after any `gradientLens.*` setting changed. */
  readonly onDidChange = this.emitter.event;

  constructor() {
    this.subscription = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SECTION)) this.emitter.fire(this.settings);
    });
  }

  /** The settings now. Read on every call (it is cheap): a setting written a moment ago counts
   *  even before the change event has arrived. */
  get settings(): Settings {
    return readSettings(vscode.workspace.getConfiguration(SECTION));
  }

  /** Writes the pace (the panel's Slow button): for this workspace when one is open, else for the user. */
  async setStepsPerSecond(value: number): Promise<void> {
    const target = vscode.workspace.workspaceFolders?.length
      ? vscode.ConfigurationTarget.Workspace
      : vscode.ConfigurationTarget.Global;
    await vscode.workspace.getConfiguration(SECTION).update('stepsPerSecond', value, target);
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
