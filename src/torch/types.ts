// What a PyTorch run adds to the step record. Pure types (the webview imports them too).

import type { RanksStep } from '../protocol/shared';
import type { StepRecord } from '../run/source';

/**
 * A PyTorch step record: a StepRecord plus, when the ranks' batches differ, what DDP's default
 * (1/R)·Σ_r G_r would have been per layer, against the global mean G the run used.
 */
export interface TorchStepRecord extends StepRecord {
  meanOfMeans?: RanksStep['meanOfMeans'];
}
