// Gradient check: back-propagated gradients against float64 central finite differences,
//   n = (L(θ + ε) − L(θ − ε)) / 2ε,  ε = 1e-6,
// on a small seeded batch and a seeded sample of entries of every weight and bias tensor.
// Error measure: |a − n| / max(|a| + |n|, floor), floor = 1e-4·max(1, |L|).
// Why the floor: the finite difference itself carries rounding noise of about 1e-16·|L|/ε ≈
// 1e-10·|L|, so for entries whose gradient is tiny a pure relative error measures that noise, not
// the backward pass. Below the floor the check therefore becomes an absolute one (|a − n| must be
// under tolerance·floor ≈ 1e-9·|L|, still ten times above the noise), above it a relative one.

import type { Backend } from './backend';
import type { GradCheckLayer, GradCheckResult } from './types';
import type { ModelSpec } from '../model/spec';
import type { Dataset } from '../data/dataset';
import { Network } from './network';
import { referenceBackend } from './reference';
import { computeLoss } from './loss';
import { Rng } from './random';
import { deriveSeed, Streams } from './seeds';
import { checkDataFits } from './compat';

export interface GradCheckOptions {
  /** Largest accepted error per layer; default 1e-5. */
  tolerance?: number;
  /** Entries checked per parameter tensor; default 12 (all of them when the tensor is smaller). */
  samples?: number;
  /** Examples in the batch; default 4. */
  batch?: number;
  /** Default referenceBackend('float64'); tests pass a deliberately broken one to see the check fail. */
  backend?: Backend;
}

const EPSILON = 1e-6;

export function gradientCheck(spec: ModelSpec, data: Dataset, opts: GradCheckOptions = {}): GradCheckResult {
  const tolerance = opts.tolerance ?? 1e-5;
  const samples = opts.samples ?? 12;
  const spec64: ModelSpec = { ...spec, dtype: 'float64' };
  checkDataFits(spec64, data, null);
  const backend = opts.backend ?? referenceBackend('float64');
  const rng = new Rng(deriveSeed(spec.seed, Streams.gradCheck));
  const m = Math.max(1, Math.min(opts.batch ?? 4, data.count));
  const indices = Array.from(rng.permutation(data.count).subarray(0, m));

  const net = new Network(spec64, data.inputShape, backend, m);
  const size = net.inputSize;
  const labels = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    net.input.set(data.x.subarray(indices[i] * size, (indices[i] + 1) * size), i * size);
    labels[i] = data.y[indices[i]];
  }
  const perExample = new Float64Array(m);
  const predictions = new Int32Array(m);
  const lossNow = (withSeed: boolean): number =>
    computeLoss(spec.loss, net.forward(m), labels, m, net.outputSize, perExample, predictions, withSeed ? net.outputGrad : null).loss;

  const baseLoss = lossNow(true);
  net.backward(m);
  const floor = 1e-4 * Math.max(1, Math.abs(baseLoss));

  const layers: GradCheckLayer[] = [];
  for (const layer of net.paramLayers) {
    let checked = 0;
    let maxRelativeError = 0;
    for (const p of layer.params) {
      const analytic = Float64Array.from(p.grad);
      const picks = p.size <= samples ? Array.from({ length: p.size }, (_, i) => i) : Array.from(rng.permutation(p.size).subarray(0, samples));
      for (const j of picks) {
        const original = p.value[j];
        p.value[j] = original + EPSILON;
        const plus = lossNow(false);
        p.value[j] = original - EPSILON;
        const minus = lossNow(false);
        p.value[j] = original;
        const numeric = (plus - minus) / (2 * EPSILON);
        const a = analytic[j];
        const err = Math.abs(a - numeric) / Math.max(Math.abs(a) + Math.abs(numeric), floor);
        // A NaN error (non-finite gradients) must fail, not slip past `>`.
        maxRelativeError = Number.isNaN(err) || Number.isNaN(maxRelativeError) ? NaN : Math.max(maxRelativeError, err);
        checked++;
      }
    }
    layers.push({
      layer: layer.index, name: `layers[${layer.index}] ${layer.label}`, checked, maxRelativeError,
      passed: maxRelativeError <= tolerance,
    });
  }
  return { tolerance, layers, passed: layers.every((l) => l.passed) };
}
