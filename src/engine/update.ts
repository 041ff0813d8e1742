// The update phase of a training step: each parameter tensor with its update buffer and optimizer
// state, the optimizer applied to every one of them, and the update ratios that need the update.

import type { Backend } from './backend';
import type { FloatArray, LayerStepStats } from './types';
import type { OptimizerSpec } from '../model/spec';
import type { Network } from './network';
import type { ParamLayer, ParamTensor } from './layers/layer';
import { applyUpdate, createOptimizerState, type OptimizerState } from './optimizers';
import { type StatsScratch, updateStats } from './stats';

export interface TrainedParam {
  layer: ParamLayer;
  tensor: ParamTensor;
  /** θ_after − θ_before of the last update. */
  update: FloatArray;
  state: OptimizerState;
}

/** Every parameter of the network, weight then bias per layer, with its buffers (allocated here, once). */
export function trainedParams(net: Network, optimizer: OptimizerSpec, backend: Backend): TrainedParam[] {
  return net.paramLayers.flatMap((layer) =>
    layer.params.map((tensor) => ({
      layer,
      tensor,
      update: backend.alloc(tensor.size),
      state: createOptimizerState(optimizer, backend, tensor.size),
    })),
  );
}

/** One optimizer step of every parameter from its batch gradient; t is the 1-based step (Adam). */
export function applyUpdates(params: TrainedParam[], o: OptimizerSpec, backend: Backend, t: number): void {
  for (const p of params) {
    const isWeight = p.tensor.info.kind === 'weight';
    if (o.type === 'sgd') {
      const { size, grad, value } = p.tensor;
      const velocity = o.momentum !== 0 ? p.state.first : null;
      backend.sgdStep(
        size,
        o.learningRate,
        isWeight ? o.weightDecay : 0,
        o.momentum,
        o.nesterov,
        grad,
        value,
        velocity,
        p.update,
      );
    } else {
      applyUpdate(o, p.state, t, isWeight, p.tensor.value, p.tensor.grad, p.update);
    }
  }
}

/** Fills each layer's updateRatio once the update is applied (params: weight and bias per layer, in order). */
export function fillUpdateRatios(layerStats: LayerStepStats[], params: TrainedParam[], scratch: StatsScratch): void {
  for (let l = 0; l < layerStats.length; l++) updateStats(layerStats[l], params[2 * l].update, params[2 * l + 1].update, scratch);
}

/** The parameter `kind` of layer `layer`. */
export function findParam(params: TrainedParam[], layer: ParamLayer, kind: 'weight' | 'bias'): TrainedParam {
  return params.find((p) => p.layer === layer && p.tensor.info.kind === kind)!;
}
