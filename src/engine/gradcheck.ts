// Gradient check: back-propagated gradients against float64 central finite differences,
//   n = (L(θ + ε) − L(θ − ε)) / 2ε,  ε = 1e-6,
// on a small seeded batch and a seeded sample of entries of every weight and bias tensor.
// Kinks: when a perturbation moves a ReLU input across 0 or changes a max-pool winner (see
// kinks.ts) the loss has no derivative there and a central difference averages two different
// slopes. Backprop takes the side the unperturbed point is on (ReLU'(0) = 0), so we then use the
// second-order one-sided difference on the side whose pattern matches the unperturbed one,
//   n = ±(3L(θ) − 4L(θ ∓ ε) + L(θ ∓ 2ε)) / 2ε,
// and skip the entry (sampling another) when neither side does.
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
import { kinkPattern, samePattern } from './kinks';

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
    computeLoss(spec.loss, net.forward(m), labels, m, net.outputSize, perExample, predictions, withSeed ? net.outputGrad : null)
      .loss;

  const baseLoss = lossNow(true);
  net.backward(m);
  const basePattern = kinkPattern(net, m);
  const floor = 1e-4 * Math.max(1, Math.abs(baseLoss));
  /** Loss at θ[j] + delta, and whether the network stayed on the same side of every kink. */
  const probe = (value: { [j: number]: number }, j: number, original: number, delta: number) => {
    value[j] = original + delta;
    const loss = lossNow(false);
    const smooth = samePattern(kinkPattern(net, m), basePattern);
    value[j] = original;
    return { loss, smooth };
  };
  const numericDerivative = (value: { [j: number]: number }, j: number): number | null => {
    const original = value[j];
    const plus = probe(value, j, original, EPSILON),
      minus = probe(value, j, original, -EPSILON);
    if (plus.smooth && minus.smooth) return (plus.loss - minus.loss) / (2 * EPSILON);
    for (const side of minus.smooth ? [-1] : plus.smooth ? [1] : []) {
      const one = side < 0 ? minus : plus;
      const two = probe(value, j, original, 2 * side * EPSILON);
      if (two.smooth) return (side * (-3 * baseLoss + 4 * one.loss - two.loss)) / (2 * EPSILON);
    }
    return null;
  };

  const layers: GradCheckLayer[] = [];
  for (const layer of net.paramLayers) {
    let checked = 0;
    let maxRelativeError = 0;
    for (const p of layer.params) {
      const analytic = Float64Array.from(p.grad);
      // Walk a seeded order of all entries until `samples` of them were checked (entries sitting
      // exactly on a kink from both sides are passed over).
      const order = rng.permutation(p.size);
      let done = 0;
      for (let o = 0; o < order.length && done < samples; o++) {
        const j = order[o];
        const numeric = numericDerivative(p.value, j);
        if (numeric === null) continue;
        const a = analytic[j];
        const err = Math.abs(a - numeric) / Math.max(Math.abs(a) + Math.abs(numeric), floor);
        // A NaN error (non-finite gradients) must fail, not slip past `<=`: Math.max keeps a NaN
        // from either side, and NaN <= tolerance is false.
        maxRelativeError = Math.max(maxRelativeError, err);
        done++;
      }
      checked += done;
    }
    layers.push({
      layer: layer.index,
      name: `layers[${layer.index}] ${layer.label}`,
      checked,
      maxRelativeError,
      passed: checked > 0 && maxRelativeError <= tolerance,
    });
  }
  return { tolerance, layers, passed: layers.every((l) => l.passed) };
}
