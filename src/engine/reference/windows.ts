// The reference window kernels: im2col / col2im (convolution as a gemm) and max pooling, for
// channels-first images one after another (see Backend for each contract).

import type { Backend, WindowGeometry } from '../backend';
import type { FloatArray } from '../types';

/** Unrolls each example: cols[(c·k + ky)·k + kx][oy·outW + ox] = x[c][oy·s − top + ky][ox·s − left + kx] (0 outside). */
export const im2col: Backend['im2col'] = (batch, g, image, cols) => walkColumns(batch, g, image, cols, false);

/** The adjoint of im2col: overwrites image with the sum of the column entries that read each pixel. */
export const col2im: Backend['col2im'] = (batch, g, cols, image) => {
  image.fill(0, 0, batch * g.channels * g.height * g.width);
  walkColumns(batch, g, image, cols, true);
};

/**
 * The one index map of im2col and its adjoint: every column entry o and the pixel it reads.
 * Gathering writes cols[o] (0 for padding); scattering adds cols[o] into the pixel (padding is skipped).
 */
function walkColumns(batch: number, g: WindowGeometry, image: FloatArray, cols: FloatArray, scatter: boolean): void {
  const { channels, height, width, kernel, stride, padTop, padLeft, outH, outW } = g;
  const P = outH * outW;
  const imageSize = channels * height * width;
  let row = 0;
  for (let e = 0; e < batch; e++) {
    for (let c = 0; c < channels; c++) {
      const plane = e * imageSize + c * height * width;
      for (let ky = 0; ky < kernel; ky++) {
        for (let kx = 0; kx < kernel; kx++, row += P) {
          let o = row;
          for (let oy = 0; oy < outH; oy++) {
            const y = oy * stride - padTop + ky;
            if (y < 0 || y >= height) {
              if (!scatter) cols.fill(0, o, o + outW);
              o += outW;
              continue;
            }
            const line = plane + y * width;
            for (let ox = 0; ox < outW; ox++, o++) {
              const xx = ox * stride - padLeft + kx;
              const inside = xx >= 0 && xx < width;
              if (scatter) {
                if (inside) image[line + xx] += cols[o];
              } else cols[o] = inside ? image[line + xx] : 0;
            }
          }
        }
      }
    }
  }
}

export const maxPool: Backend['maxPool'] = (batch, g, input, output) => {
  forEachWindow(batch, g, input, (o, winner) => (output[o] = input[winner]));
};

export const maxPoolBackward: Backend['maxPoolBackward'] = (batch, g, input, _output, gradOut, gradIn) => {
  gradIn.fill(0, 0, batch * g.channels * g.height * g.width);
  forEachWindow(batch, g, input, (o, winner) => (gradIn[winner] += gradOut[o]));
};

/** Calls visit(output index, flat input index of the window's winner) for every window, in output order. */
export function forEachWindow(
  batch: number,
  g: WindowGeometry,
  input: FloatArray,
  visit: (o: number, winner: number) => void,
): void {
  const { channels, height: h, width: w, outH, outW } = g;
  let o = 0;
  for (let plane = 0; plane < batch * channels; plane++) {
    for (let oy = 0; oy < outH; oy++)
      for (let ox = 0; ox < outW; ox++, o++) visit(o, windowWinner(g, input, plane * h * w, oy, ox));
  }
}

/**
 * The flat input index of the winner of window (oy, ox) of the plane starting at `base`: the first
 * maximum; a NaN wins and then stays (pooling must not hide non-finite values from detection).
 * Backward finds the same winners again from the same input.
 */
function windowWinner(g: WindowGeometry, input: FloatArray, base: number, oy: number, ox: number): number {
  const { width: w, kernel: k, stride: s } = g;
  let best = base + oy * s * w + ox * s;
  let bestValue = input[best];
  for (let ky = 0; ky < k; ky++) {
    for (let kx = 0; kx < k; kx++) {
      const at = base + (oy * s + ky) * w + ox * s + kx;
      const v = input[at];
      if (bestValue === bestValue && !(v <= bestValue)) {
        best = at;
        bestValue = v;
      }
    }
  }
  return best;
}
