// The WASM backend's element-wise, reduction and optimizer kernels: checks sizes, places operands
// in the memory (arena.ts) and calls the kernels of kernels/activations.wat and reductions.wat (the
// optimizer's are in update.ts). Contracts: see Backend.

import type { Backend } from '../backend';
import type { Activation } from '../../model/spec';
import type { FloatArray } from '../types';
import { ACTIVATION_MATH, LEAKY_RELU_SLOPE } from '../activations';
import { type Arena, checkLength } from './arena';
import type { KernelExports } from './exports';

// Shorthands that keep the helpers' signatures on one line: F a buffer, N a size or pointer.
type F = FloatArray;
type N = number;
/** A kernel call given the pointers of its input and its output. */
type Call = (px: N, po: N) => void;

export interface WasmContext {
  arena: Arena;
  k: KernelExports;
}

/**
 * How each activation runs: a kernel code of kernels/activations.wat, or 'js' for those whose
 * transcendental WASM lacks a vector instruction for (Math.tanh/exp keep them equal to the reference).
 */
const ACTIVATION_KERNEL: Readonly<Record<Activation, number | 'js'>> = {
  linear: 0,
  relu: 1,
  'leaky-relu': 2,
  tanh: 'js',
  sigmoid: 'js',
  gelu: 3,
};

type ElementwiseKernels = Pick<
  Backend,
  | 'biasActivation'
  | 'channelBiasActivation'
  | 'activationBackward'
  | 'columnSums'
  | 'rowSums'
  | 'rowSumSquares'
  | 'allFinite'
  | 'denseNormsSquared'
  | 'outerBatch'
>;

/** Checks that every operand is long enough: [label, array, needed elements] each. */
export function checkAll(what: string, ...operands: [string, FloatArray, number][]): void {
  for (const [name, x, needed] of operands) checkLength(`${what} ${name}`, x, needed);
}

export function elementwiseKernels({ arena, k }: WasmContext): ElementwiseKernels {
  /** Output `out` (written) or, when it is the input `x` itself, the read-write operand of both. */
  const inPlace = (x: FloatArray, out: FloatArray, size: number) => {
    const px = arena.need(x === out ? arena.inout(x, size) : arena.input(x, size));
    return { px, po: x === out ? px : arena.need(arena.output(out, size)) };
  };
  /** m×p rows a and m×q rows delta, read-only: the operands of the dense per-example kernels. */
  const pairs = (what: string, m: N, p: N, q: N, a: F, delta: F, out: F, outSize: N) => {
    checkAll(what, ['a', a, m * p], ['delta', delta, m * q], ['out', out, outSize]);
    arena.begin();
    return { pa: arena.in(a, m * p), pd: arena.in(delta, m * q) };
  };

  /** x m×n read, out (outLength, read too when readOut) written: the reductions' operands. */
  const reduction = (what: string, m: N, n: N, x: F, out: F, outLength: N, readOut: boolean, run: Call): void => {
    checkAll(what, ['x', x, m * n], ['out', out, outLength]);
    if (outLength === 0) return;
    arena.begin();
    const px = arena.in(x, m * n);
    const po = arena.need(readOut ? arena.inout(out, outLength) : arena.output(out, outLength));
    run(px, po.ptr);
    arena.finish(po);
  };

  return {
    biasActivation(m, n, activation, x, bias, out) {
      const size = m * n;
      checkAll('biasActivation', ['x', x, size], ['out', out, size]);
      if (bias) checkLength('biasActivation bias', bias, n);
      if (size === 0) return;
      arena.begin();
      // in place (x === out): one read-write operand, so an array outside memory is copied back
      const { px, po } = inPlace(x, out, size);
      const pb = bias ? arena.in(bias, n) : 0;
      const kind = ACTIVATION_KERNEL[activation];
      k.bias_act(m, n, px.ptr, pb, po.ptr, kind === 'js' ? 0 : kind, LEAKY_RELU_SLOPE);
      if (kind === 'js') {
        const f = ACTIVATION_MATH[activation].forward;
        const v = arena.f32;
        for (let t = po.ptr / 4, end = t + size; t < end; t++) v[t] = f(v[t]);
      }
      arena.finish(po);
    },

    channelBiasActivation(m, channels, positions, activation, z, bias, out) {
      const size = m * channels * positions;
      checkAll('channelBiasActivation', ['z', z, size], ['bias', bias, channels], ['out', out, size]);
      if (size === 0) return;
      arena.begin();
      const pz = arena.need(arena.inout(z, size));
      const pb = arena.in(bias, channels);
      const po = z === out ? pz : arena.need(arena.output(out, size));
      const kind = ACTIVATION_KERNEL[activation];
      k.channel_bias_act(m * channels, positions, channels, pz.ptr, pb, po.ptr, kind === 'js' ? 0 : kind, LEAKY_RELU_SLOPE);
      if (kind === 'js') {
        const f = ACTIVATION_MATH[activation].forward;
        const v = arena.f32;
        for (let t = po.ptr / 4, end = t + size; t < end; t++) v[t] = f(v[t]);
      }
      if (po !== pz) arena.finish(po);
      arena.finish(pz);
    },

    activationBackward(size, activation, z, y, gradOut, gradIn) {
      checkAll('activationBackward', ['z', z, size], ['y', y, size], ['gradOut', gradOut, size], ['gradIn', gradIn, size]);
      if (size === 0) return;
      const kind = ACTIVATION_KERNEL[activation];
      if (kind === 'js') {
        // tanh′ = 1 − y², sigmoid′ = y(1 − y): cheap in JS, no transcendental needed.
        const back = ACTIVATION_MATH[activation].backward;
        for (let t = 0; t < size; t++) gradIn[t] = back(z[t], y[t], gradOut[t]);
        return;
      }
      arena.begin();
      const pz = arena.in(z, size);
      const { px: pg, po: pi } = inPlace(gradOut, gradIn, size);
      k.act_backward(size, pz, pg.ptr, pi.ptr, kind, LEAKY_RELU_SLOPE);
      arena.finish(pi);
    },

    columnSums: (m, n, alpha, beta, x, out) =>
      reduction('columnSums', m, n, x, out, n, beta !== 0, (px, po) => k.col_sums(m, n, alpha, px, beta, po)),
    rowSums: (m, n, alpha, x, out) => reduction('rowSums', m, n, x, out, m, false, (px, po) => k.row_sums(m, n, alpha, px, po)),
    rowSumSquares: (m, n, x, out) => reduction('rowSumSquares', m, n, x, out, m, false, (px, po) => k.row_sumsq(m, n, px, po)),

    allFinite(n, x) {
      checkLength('allFinite x', x, n);
      if (n === 0) return true;
      arena.begin();
      return k.all_finite(n, arena.in(x, n)) === 1;
    },

    denseNormsSquared(m, p, q, withBias, a, delta, out) {
      const { pa, pd } = pairs('denseNormsSquared', m, p, q, a, delta, out, m);
      if (m === 0) return;
      const po = arena.need(arena.output(out, m));
      k.dense_norms_sq(m, p, q, pa, pd, po.ptr, withBias ? 1 : 0);
      arena.finish(po);
    },

    outerBatch(m, p, q, alpha, a, delta, out) {
      const size = p * q;
      const { pa, pd } = pairs('outerBatch', m, p, q, a, delta, out, m * size);
      if (m * size === 0) return;
      if (!arena.inside(out)) {
        // One example at a time through a cache-sized scratch: the output (often tens of MB) is then
        // written once, instead of once to scratch and again by a large copy.
        const po = arena.need(arena.output(out, size));
        for (let i = 0; i < m; i++) {
          k.outer_batch(1, p, q, alpha, pa + i * p * 4, pd + i * q * 4, po.ptr);
          out.set(arena.f32.subarray(po.ptr / 4, po.ptr / 4 + size), i * size);
        }
        return;
      }
      const po = arena.need(arena.output(out, m * size));
      k.outer_batch(m, p, q, alpha, pa, pd, po.ptr);
      arena.finish(po);
    },
  };
}
