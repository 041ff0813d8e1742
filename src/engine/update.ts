// The update phase of a training step: each parameter tensor with its update buffer and optimizer
// state, and the optimizer applied to every one of them (returning, when asked, the sums the
// statistics need from the same pass: see GradientStats).

import type { Backend } from './backend';
import type { FloatArray } from './types';
import type { OptimizerSpec } from '../model/spec';
import type { Network } from './network';
import type { ParamLayer, ParamTensor } from './layers/layer';
import { applyUpdate, createOptimizerState, type OptimizerState } from './optimizers';

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

/**
 * One optimizer step of every parameter from its batch gradient; t is the 1-based step (Adam).
 * norms (3 per parameter, in params' order): receives [Σ grad², Σ θ_before², Σ Δθ²] of each.
 * Returns true only when every updated parameter is known finite (SGD's sgdStep says so from its
 * own pass; Adam's update does not check, so false): then neither the weights nor the gradients
 * need a non-finite check of their own.
 */
export function applyUpdates(
  params: TrainedParam[],
  o: OptimizerSpec,
  backend: Backend,
  t: number,
  norms: Float64Array | null = null,
): boolean {
  let finite = true;
  for (let j = 0; j < params.length; j++) {
    const p = params[j];
    const out = norms ? norms.subarray(3 * j, 3 * j + 3) : null;
    const isWeight = p.tensor.info.kind === 'weight';
    if (o.type === 'sgd') {
      const { size, grad, value } = p.tensor;
      const velocity = o.momentum !== 0 ? p.state.first : null;
      const stepFinite = backend.sgdStep(
        size,
        o.learningRate,
        isWeight ? o.weightDecay : 0,
        o.momentum,
        o.nesterov,
        grad,
        value,
        velocity,
        p.update,
        out,
      );
      finite &&= stepFinite;
    } else {
      applyUpdate(o, p.state, t, isWeight, p.tensor.value, p.tensor.grad, p.update, out);
      finite = false;
    }
  }
  return finite;
}

/** The parameter `kind` of layer `layer`. */
export function findParam(params: TrainedParam[], layer: ParamLayer, kind: 'weight' | 'bias'): TrainedParam {
  return params.find((p) => p.layer === layer && p.tensor.info.kind === kind)!;
}
