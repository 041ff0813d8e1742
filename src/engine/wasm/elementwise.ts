// The WASM backend's element-wise, reduction and optimizer kernels: checks sizes, places operands
// in the memory (arena.ts) and calls the kernels of kernels/activations.wat, reductions.wat and
// optimizer.wat. Contracts: see Backend.

import type { Activation } from '../../model/spec';
import type { FloatArray } from '../types';
import { ACTIVATION_MATH, LEAKY_RELU_SLOPE } from '../activations';
import { type Arena, checkLength } from './arena';
import type { KernelExports } from './exports';

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

export function biasActivation(
  { arena, k }: WasmContext,
  m: number,
  n: number,
  activation: Activation,
  x: FloatArray,
  bias: FloatArray | null,
  out: FloatArray,
): void {
  const size = m * n;
  checkLength('biasActivation x', x, size);
  checkLength('biasActivation out', out, size);
  if (bias) checkLength('biasActivation bias', bias, n);
  if (size === 0) return;
  arena.begin();
  // in place (x === out): one read-write operand, so an array outside memory is copied back
  const px = arena.need(x === out ? arena.inout(x, size) : arena.input(x, size));
  const pb = bias ? arena.need(arena.input(bias, n)).ptr : 0;
  const po = x === out ? px : arena.need(arena.output(out, size));
  const kind = ACTIVATION_KERNEL[activation];
  k.bias_act(m, n, px.ptr, pb, po.ptr, kind === 'js' ? 0 : kind, LEAKY_RELU_SLOPE);
  if (kind === 'js') {
    const f = ACTIVATION_MATH[activation].forward;
    const v = arena.f32;
    for (let t = po.ptr / 4, end = t + size; t < end; t++) v[t] = f(v[t]);
  }
  arena.finish(po);
}

export function activationBackward(
  { arena, k }: WasmContext,
  size: number,
  activation: Activation,
  z: FloatArray,
  y: FloatArray,
  gradOut: FloatArray,
  gradIn: FloatArray,
): void {
  checkLength('activationBackward z', z, size);
  checkLength('activationBackward y', y, size);
  checkLength('activationBackward gradOut', gradOut, size);
  checkLength('activationBackward gradIn', gradIn, size);
  if (size === 0) return;
  const kind = ACTIVATION_KERNEL[activation];
  if (kind === 'js') {
    // tanh′ = 1 − y², sigmoid′ = y(1 − y): cheap in JS, no transcendental needed.
    const back = ACTIVATION_MATH[activation].backward;
    for (let t = 0; t < size; t++) gradIn[t] = back(z[t], y[t], gradOut[t]);
    return;
  }
  arena.begin();
  const pz = arena.need(arena.input(z, size));
  const pg = arena.need(gradIn === gradOut ? arena.inout(gradOut, size) : arena.input(gradOut, size));
  const pi = gradIn === gradOut ? pg : arena.need(arena.output(gradIn, size));
  k.act_backward(size, pz.ptr, pg.ptr, pi.ptr, kind, LEAKY_RELU_SLOPE);
  arena.finish(pi);
}

export function columnSums(
  { arena, k }: WasmContext,
  m: number,
  n: number,
  alpha: number,
  beta: number,
  x: FloatArray,
  out: FloatArray,
): void {
  checkLength('columnSums x', x, m * n);
  checkLength('columnSums out', out, n);
  if (n === 0) return;
  arena.begin();
  const px = arena.need(arena.input(x, m * n));
  const po = arena.need(beta === 0 ? arena.output(out, n) : arena.inout(out, n));
  k.col_sums(m, n, alpha, px.ptr, beta, po.ptr);
  arena.finish(po);
}

export function rowSums(ctx: WasmContext, m: number, n: number, alpha: number, x: FloatArray, out: FloatArray): void {
  rowReduction(ctx, 'rowSums', m, n, alpha, x, out);
}

export function rowSumSquares(ctx: WasmContext, m: number, n: number, x: FloatArray, out: FloatArray): void {
  rowReduction(ctx, 'rowSumSquares', m, n, 1, x, out);
}

const ROW_LABELS = {
  rowSums: { x: 'rowSums x', out: 'rowSums out' },
  rowSumSquares: { x: 'rowSumSquares x', out: 'rowSumSquares out' },
} as const;

/** out[i] = alpha·Σⱼ x[i, j] (rowSums) or Σⱼ x[i, j]² (rowSumSquares, alpha unused), x m×n. */
function rowReduction(
  { arena, k }: WasmContext,
  which: 'rowSums' | 'rowSumSquares',
  m: number,
  n: number,
  alpha: number,
  x: FloatArray,
  out: FloatArray,
): void {
  checkLength(ROW_LABELS[which].x, x, m * n);
  checkLength(ROW_LABELS[which].out, out, m);
  if (m === 0) return;
  arena.begin();
  const px = arena.need(arena.input(x, m * n));
  const po = arena.need(arena.output(out, m));
  if (which === 'rowSums') k.row_sums(m, n, alpha, px.ptr, po.ptr);
  else k.row_sumsq(m, n, px.ptr, po.ptr);
  arena.finish(po);
}

export function allFinite({ arena, k }: WasmContext, n: number, x: FloatArray): boolean {
  checkLength('allFinite x', x, n);
  if (n === 0) return true;
  arena.begin();
  return k.all_finite(n, arena.need(arena.input(x, n)).ptr) === 1;
}

export function sgdStep(
  { arena, k }: WasmContext,
  n: number,
  lr: number,
  weightDecay: number,
  momentum: number,
  nesterov: boolean,
  grad: FloatArray,
  value: FloatArray,
  velocity: FloatArray | null,
  update: FloatArray,
): void {
  checkLength('sgdStep value', value, n);
  checkLength('sgdStep grad', grad, n);
  checkLength('sgdStep update', update, n);
  if (momentum !== 0) {
    if (!velocity) throw new Error('sgdStep: momentum needs a velocity buffer');
    checkLength('sgdStep velocity', velocity, n);
  }
  if (n === 0) return;
  arena.begin();
  const pv = arena.need(arena.inout(value, n));
  const pg = arena.need(arena.input(grad, n));
  const pm = momentum !== 0 ? arena.need(arena.inout(velocity!, n)) : null;
  const pu = arena.need(arena.output(update, n));
  k.sgd_step(n, lr, weightDecay, momentum, nesterov ? 1 : 0, pv.ptr, pg.ptr, pm ? pm.ptr : 0, pu.ptr);
  arena.finish(pv);
  if (pm) arena.finish(pm);
  arena.finish(pu);
}

export function denseNormsSquared(
  { arena, k }: WasmContext,
  m: number,
  p: number,
  q: number,
  withBias: boolean,
  a: FloatArray,
  delta: FloatArray,
  out: FloatArray,
): void {
  checkLength('denseNormsSquared a', a, m * p);
  checkLength('denseNormsSquared delta', delta, m * q);
  checkLength('denseNormsSquared out', out, m);
  if (m === 0) return;
  arena.begin();
  const pa = arena.need(arena.input(a, m * p));
  const pd = arena.need(arena.input(delta, m * q));
  const po = arena.need(arena.output(out, m));
  k.dense_norms_sq(m, p, q, pa.ptr, pd.ptr, po.ptr, withBias ? 1 : 0);
  arena.finish(po);
}

export function outerBatch(
  { arena, k }: WasmContext,
  m: number,
  p: number,
  q: number,
  alpha: number,
  a: FloatArray,
  delta: FloatArray,
  out: FloatArray,
): void {
  checkLength('outerBatch a', a, m * p);
  checkLength('outerBatch delta', delta, m * q);
  checkLength('outerBatch out', out, m * p * q);
  if (m * p * q === 0) return;
  arena.begin();
  const pa = arena.need(arena.input(a, m * p));
  const pd = arena.need(arena.input(delta, m * q));
  if (!arena.inside(out)) {
    // One example at a time through a cache-sized scratch: the output (often tens of MB) is then
    // written once, instead of once to scratch and again by a large copy.
    const po = arena.need(arena.output(out, p * q));
    const view = arena.f32.subarray(po.ptr / 4, po.ptr / 4 + p * q);
    for (let i = 0; i < m; i++) {
      k.outer_batch(1, p, q, alpha, pa.ptr + i * p * 4, pd.ptr + i * q * 4, po.ptr);
      out.set(view, i * p * q);
    }
    return;
  }
  const po = arena.need(arena.output(out, m * p * q));
  k.outer_batch(m, p, q, alpha, pa.ptr, pd.ptr, po.ptr);
  arena.finish(po);
}
