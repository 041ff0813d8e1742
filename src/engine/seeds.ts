// Independent random streams derived from the one seed in the model file, so that, e.g., adding a
// layer does not change the shuffle order, and every epoch's shuffle is reproducible on its own.

export const Streams = { init: 1, shuffle: 2, gradCheck: 3 } as const;

export function deriveSeed(seed: number, stream: number, index = 0): number {
  let h = (seed >>> 0) ^ Math.imul(stream + 1, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}
