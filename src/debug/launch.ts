// What a launch asks for (the `gradient-lens` launch attributes) and what the Debug Console says
// about the run it starts.

import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { ModelSpec } from '../model/spec';
import type { SourceEvent } from '../run/source';
import { DEFAULT_THRESHOLDS } from '../editor/health';
import type { HealthThresholds } from './breakpoints';
import { formatNumber } from './expr';

export interface LaunchArguments extends DebugProtocol.LaunchRequestArguments {
  /** The model file to train. */
  model: string;
  stopOnEntry?: boolean;
  epochs?: number;
  batchSize?: number;
  /** The folder data paths must stay inside (default: the current folder for `gradient-lens dap`, like the CLI). */
  workspace?: string;
  explodingGradNorm?: number;
  vanishingGradNorm?: number;
  deadReluFraction?: number;
  /** Use the WASM SIMD kernels for float32 (default true). */
  wasm?: boolean;
  /** The engine's threads: "auto" (default), 1 or 2 (default: the setting gradientLens.engineThreads). */
  engineThreads?: 'auto' | 1 | 2;
}

/** The exception filters' thresholds: the launch's, else the defaults of the gradientLens.health.* settings. */
export function thresholdsOf(args: Partial<LaunchArguments>): HealthThresholds {
  return {
    explodingGradNorm: args.explodingGradNorm ?? DEFAULT_THRESHOLDS.explodingGradNorm,
    vanishingGradNorm: args.vanishingGradNorm ?? DEFAULT_THRESHOLDS.vanishingGradNorm,
    deadReluFraction: args.deadReluFraction ?? DEFAULT_THRESHOLDS.deadReluFraction,
  };
}

export const FOLLOWED = 'The Gradient Lens panel follows this session.\n';
export const NOT_FOLLOWED =
  'The Gradient Lens panel keeps showing the run that is training; stop it to see this session there.\n';

export function trainingLine(model: string, spec: ModelSpec, trainer: { stepsPerEpoch: number; backendName: string }): string {
  return `Training ${path.basename(model)}: ${spec.epochs} epochs of ${trainer.stepsPerEpoch} steps, batch ${spec.batchSize}, ${trainer.backendName}.\n`;
}

/** The Debug Console's line for an event of the run (epochs, the end), or null. */
export function consoleLine(e: SourceEvent, steps: number): { text: string; category: 'console' | 'stderr' } | null {
  if (e.type === 'epoch') {
    const v =
      e.epoch.validationLoss === null
        ? ''
        : `, validation loss ${formatNumber(e.epoch.validationLoss)} (accuracy ${formatNumber(e.epoch.validationAccuracy!)})`;
    return {
      text: `epoch ${e.epoch.epoch}: train loss ${formatNumber(e.epoch.trainLoss)} (accuracy ${formatNumber(e.epoch.trainAccuracy)})${v}\n`,
      category: 'console',
    };
  }
  if (e.type === 'finished') return { text: `Training finished: ${steps} steps.\n`, category: 'console' };
  if (e.type === 'failed') return { text: `Training stopped: ${e.error.message}\n`, category: 'stderr' };
  return null;
}
