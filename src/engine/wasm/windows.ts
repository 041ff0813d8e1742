// The WASM backend's window kernels (kernels/conv.wat, kernels/pooling.wat): im2col/col2im and max
// pooling over channels-first images. Contracts: see Backend.

import type { WindowGeometry } from '../backend';
import type { FloatArray } from '../types';
import { checkLength } from './arena';
import type { WasmContext } from './elementwise';

export function im2col({ arena, k }: WasmContext, batch: number, g: WindowGeometry, image: FloatArray, cols: FloatArray): void {
  const imageSize = batch * g.channels * g.height * g.width;
  const colsSize = batch * g.channels * g.kernel * g.kernel * g.outH * g.outW;
  checkLength('im2col image', image, imageSize);
  checkLength('im2col cols', cols, colsSize);
  if (colsSize === 0) return;
  arena.begin();
  const pi = arena.need(arena.input(image, imageSize));
  const pc = arena.need(arena.output(cols, colsSize));
  k.im2col(batch, g.channels, g.height, g.width, g.kernel, g.stride, g.padTop, g.padLeft, g.outH, g.outW, pi.ptr, pc.ptr);
  arena.finish(pc);
}

export function col2im({ arena, k }: WasmContext, batch: number, g: WindowGeometry, cols: FloatArray, image: FloatArray): void {
  const imageSize = batch * g.channels * g.height * g.width;
  const colsSize = batch * g.channels * g.kernel * g.kernel * g.outH * g.outW;
  checkLength('col2im cols', cols, colsSize);
  checkLength('col2im image', image, imageSize);
  if (imageSize === 0) return;
  arena.begin();
  const pc = arena.need(arena.input(cols, colsSize));
  const pi = arena.need(arena.output(image, imageSize));
  k.col2im(batch, g.channels, g.height, g.width, g.kernel, g.stride, g.padTop, g.padLeft, g.outH, g.outW, pc.ptr, pi.ptr);
  arena.finish(pi);
}

export function maxPool({ arena, k }: WasmContext, batch: number, g: WindowGeometry, input: FloatArray, output: FloatArray): void {
  const planes = batch * g.channels;
  const inSize = planes * g.height * g.width, outSize = planes * g.outH * g.outW;
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
  { arena, k }: WasmContext, batch: number, g: WindowGeometry, input: FloatArray, output: FloatArray, gradOut: FloatArray, gradIn: FloatArray,
): void {
  const planes = batch * g.channels;
  const inSize = planes * g.height * g.width, outSize = planes * g.outH * g.outW;
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
