// The WASM backend's window kernels (kernels/conv.wat, kernels/pooling.wat): im2col/col2im and max
// pooling over channels-first images. Contracts: see Backend.

import type { Backend, WindowGeometry } from '../backend';
import type { FloatArray } from '../types';
import { checkAll, type WasmContext } from './elementwise';

type WindowKernels = Pick<Backend, 'im2col' | 'col2im' | 'maxPool' | 'maxPoolBackward'>;

/** Elements of `batch` images and of their columns (im2col) or pooled outputs under geometry g. */
function sizes(batch: number, g: WindowGeometry) {
  const planes = batch * g.channels;
  return {
    planes,
    image: planes * g.height * g.width,
    cols: planes * g.kernel * g.kernel * g.outH * g.outW,
    pooled: planes * g.outH * g.outW,
  };
}

export function windowKernels({ arena, k }: WasmContext): WindowKernels {
  // im2col and col2im take the same arguments and differ only in direction (image → cols or back).
  const columns = (kernel: 'im2col' | 'col2im', batch: number, g: WindowGeometry, source: FloatArray, target: FloatArray) => {
    const size = sizes(batch, g);
    const [from, to] = kernel === 'im2col' ? (['image', 'cols'] as const) : (['cols', 'image'] as const);
    const [sourceSize, targetSize] = [size[from], size[to]];
    checkAll(kernel, [from, source, sourceSize], [to, target, targetSize]);
    if (targetSize === 0) return;
    arena.begin();
    const ps = arena.in(source, sourceSize);
    const pt = arena.need(arena.output(target, targetSize));
    k[kernel](batch, g.channels, g.height, g.width, g.kernel, g.stride, g.padTop, g.padLeft, g.outH, g.outW, ps, pt.ptr);
    arena.finish(pt);
  };
  /** The pooling kernels' leading arguments: planes, the window and the output size. */
  const pool = (planes: number, g: WindowGeometry) => [planes, g.height, g.width, g.kernel, g.stride, g.outH, g.outW] as const;
  /** 2×2 windows with stride 2 and at least 4 outputs a row: the whole-vector kernels of pool2x2.wat (same results). */
  const pool2x2 = (g: WindowGeometry) => g.kernel === 2 && g.stride === 2 && g.outW >= 4;

  return {
    im2col: (batch, g, image, cols) => columns('im2col', batch, g, image, cols),
    col2im: (batch, g, cols, image) => columns('col2im', batch, g, cols, image),

    maxPool(batch, g, input, output) {
      const { planes, image, pooled } = sizes(batch, g);
      checkAll('maxPool', ['input', input, image], ['output', output, pooled]);
      if (pooled === 0) return;
      arena.begin();
      const pi = arena.in(input, image);
      const po = arena.need(arena.output(output, pooled));
      if (pool2x2(g)) k.maxpool2_forward(planes, g.height, g.width, g.outH, g.outW, pi, po.ptr);
      else k.maxpool_forward(...pool(planes, g), pi, po.ptr);
      arena.finish(po);
    },

    maxPoolBackward(batch, g, input, output, gradOut, gradIn) {
      const { planes, image, pooled } = sizes(batch, g);
      checkAll('maxPoolBackward', ['input', input, image], ['output', output, pooled], ['gradOut', gradOut, pooled]);
      checkAll('maxPoolBackward', ['gradIn', gradIn, image]);
      if (image === 0) return;
      arena.begin();
      const [pi, po, pg] = [arena.in(input, image), arena.in(output, pooled), arena.in(gradOut, pooled)];
      const pr = arena.need(arena.output(gradIn, image));
      if (pool2x2(g)) k.maxpool2_backward(planes, g.height, g.width, g.outH, g.outW, pi, po, pg, pr.ptr);
      else k.maxpool_backward(...pool(planes, g), pi, po, pg, pr.ptr);
      arena.finish(pr);
    },
  };
}
