// Where did the first NaN/Infinity of a step appear? Checked in data-flow order (input, each
// layer's activations, the loss, the gradients, the updated weights) so the report names the
// earliest layer and, when it can be attributed, the example of the batch that produced it.

import type { FloatArray, NonFiniteReport } from './types';
import type { Network } from './network';
import type { ParamLayer } from './layers/layer';

export function firstNonFinite(a: FloatArray | Float64Array, n: number): number {
  // Fast path: x·0 is 0 for every finite x and NaN for ±Infinity/NaN, so one sum answers "any?".
  let probe = 0;
  for (let i = 0; i < n; i++) probe += a[i] * 0;
  if (probe === 0) return -1;
  for (let i = 0; i < n; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}

function describe(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

export interface BatchContext {
  step: number;
  indices: number[];
}

function exampleText(ctx: BatchContext, example: number): string {
  return example < 0 ? '' : ` for example ${example} of the batch (training example #${ctx.indices[example]})`;
}

/** Forward-side check, run when the loss is not finite: the first non-finite input, activation or loss. */
export function locateForward(net: Network, m: number, perExampleLoss: Float64Array, ctx: BatchContext): NonFiniteReport | null {
  const at = firstNonFinite(net.input, m * net.inputSize);
  if (at >= 0) {
    const example = Math.floor(at / net.inputSize);
    return {
      layer: 0,
      example,
      where: 'input',
      message: `The input contains ${describe(net.input[at])}${exampleText(ctx, example)} at step ${ctx.step}.`,
    };
  }
  for (const layer of net.layers) {
    const bad = firstNonFinite(layer.output, m * layer.outSize);
    if (bad >= 0) {
      const example = Math.floor(bad / layer.outSize);
      return {
        layer: layer.index,
        example,
        where: 'activation',
        message: `layers[${layer.index}] (${layer.label}) produced ${describe(layer.output[bad])}${exampleText(ctx, example)} at step ${ctx.step}.`,
      };
    }
  }
  const bad = firstNonFinite(perExampleLoss, m);
  if (bad >= 0) {
    return {
      layer: -1,
      example: bad,
      where: 'loss',
      message: `The loss is ${describe(perExampleLoss[bad])}${exampleText(ctx, bad)} at step ${ctx.step}.`,
    };
  }
  return null;
}

/** The first parameterised layer (from the output back) whose batch gradient is not finite. */
export function locateGradient(net: Network, m: number, ctx: BatchContext): NonFiniteReport | null {
  for (let l = net.paramLayers.length - 1; l >= 0; l--) {
    const layer = net.paramLayers[l];
    for (const p of layer.params) {
      if (net.backend.allFinite(p.size, p.grad)) continue;
      const bad = firstNonFinite(p.grad, p.size);
      if (bad < 0) continue;
      const deltaAt = firstNonFinite(layer.delta, m * layer.outSize);
      const example = deltaAt >= 0 ? Math.floor(deltaAt / layer.outSize) : largestContribution(layer, m);
      return {
        layer: layer.index,
        example,
        where: 'gradient',
        message: `The gradient of ${p.info.name} (${layer.label}) is ${describe(p.grad[bad])}${exampleText(ctx, example)} at step ${ctx.step}.`,
      };
    }
  }
  return null;
}

/**
 * Finite inputs and deltas can still overflow when multiplied into the batch gradient (float32);
 * then the culprit is the example with the largest per-example gradient norm (computed in float64).
 */
function largestContribution(layer: ParamLayer, m: number): number {
  const norms = new Float64Array(m);
  layer.perExampleSquaredNorms(m, norms);
  let best = -1;
  for (let i = 0; i < m; i++) {
    if (best < 0 || !(norms[i] <= norms[best])) best = i;
    if (Number.isNaN(norms[i])) return i;
  }
  return best;
}

export function locateWeights(net: Network, ctx: BatchContext): NonFiniteReport | null {
  for (const layer of net.paramLayers) {
    for (const p of layer.params) {
      if (net.backend.allFinite(p.size, p.value)) continue;
      const bad = firstNonFinite(p.value, p.size);
      if (bad >= 0) {
        return {
          layer: layer.index,
          example: -1,
          where: 'weights',
          message: `${p.info.name} (${layer.label}) became ${describe(p.value[bad])} after the update of step ${ctx.step}; try a smaller learning rate.`,
        };
      }
    }
  }
  return null;
}
