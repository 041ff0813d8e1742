// The WASM backend's window kernels (kernels/conv.wat, kernels/pooling.wat): im2col/col2im and max
// pooling over channels-first images. Contracts: see Backend.

import type { WindowGeometry } from '../backend';
import type { FloatArray } from '../types';
import { checkLength } from './arena';
import type { WasmContext } from './elementwise';

// im2col and col2im take the same arguments and differ only in direction (image → cols or back).
const COLUMN_LABELS = {
  im2col: { source: 'im2col image', target: 'im2col cols' },
  col2im: { source: 'col2im cols', target: 'col2im image' },
} as const;

function columns(
  { arena, k }: WasmContext,
  kernel: 'im2col' | 'col2im',
  batch: number,
  g: WindowGeometry,
  source: FloatArray,
  target: FloatArray,
): void {
  const imageSize = batch * g.channels * g.height * g.width;
  const colsSize = batch * g.channels * g.kernel * g.kernel * g.outH * g.outW;
  const sourceSize = kernel === 'im2col' ? imageSize : colsSize;
  const targetSize = kernel === 'im2col' ? colsSize : imageSize;
  checkLength(COLUMN_LABELS[kernel].source, source, sourceSize);
  checkLength(COLUMN_LABELS[kernel].target, target, targetSize);
  if (targetSize === 0) return;
  arena.begin();
  const ps = arena.need(arena.input(source, sourceSize));
  const pt = arena.need(arena.output(target, targetSize));
  k[kernel](batch, g.channels, g.height, g.width, g.kernel, g.stride, g.padTop, g.padLeft, g.outH, g.outW, ps.ptr, pt.ptr);
  arena.finish(pt);
}

export function im2col(ctx: WasmContext, batch: number, g: WindowGeometry, image: FloatArray, cols: FloatArray): void {
  columns(ctx, 'im2col', batch, g, image, cols);
}

export function col2im(ctx: WasmContext, batch: number, g: WindowGeometry, cols: FloatArray, image: FloatArray): void {
  columns(ctx, 'col2im', batch, g, cols, image);
}

export function maxPool(
  { arena, k }: WasmContext,
  batch: number,
  g: WindowGeometry,
  input: FloatArray,
  output: FloatArray,
): void {
  const planes = batch * g.channels;
  const inSize = planes * g.height * g.width,
    outSize = planes * g.outH * g.outW;
  checkLength('maxPool input', input, inSize);
  checkLength('maxPool output', output, outSize);
  if (outSize === 0) return;
  arena.begin();
  const pi = arena.need(arena.input(input, inSize));
  const po = arena.need(arena.output(output, outSize));
  k.maxpool_forward(planes, g.height, g.width, g.kernel, g.stride, g.outH, g.outW, pi.ptr, po.ptr);
  arena.finish(po);
}

export function maxPoolBackward(
  { arena, k }: WasmContext,
  batch: number,
  g: WindowGeometry,
  input: FloatArray,
  output: FloatArray,
  gradOut: FloatArray,
  gradIn: FloatArray,
): void {
  const planes = batch * g.channels;
  const inSize = planes * g.height * g.width,
    outSize = planes * g.outH * g.outW;
  checkLength('maxPoolBackward input', input, inSize);
  checkLength('maxPoolBackward output', output, outSize);
  checkLength('maxPoolBackward gradOut', gradOut, outSize);
  checkLength('maxPoolBackward gradIn', gradIn, inSize);
  if (inSize === 0) return;
  arena.begin();
  const pi = arena.need(arena.input(input, inSize));
  const po = arena.need(arena.input(output, outSize));
  const pg = arena.need(arena.input(gradOut, outSize));
  const pr = arena.need(arena.output(gradIn, inSize));
  k.maxpool_backward(planes, g.height, g.width, g.kernel, g.stride, g.outH, g.outW, pi.ptr, po.ptr, pg.ptr, pr.ptr);
  arena.finish(pr);
}
