// The reference backend: every kernel of Backend in plain TypeScript over ordinary typed arrays,
// float32 or float64. It is what every other backend is checked against, and the gradient check
// runs on it in float64.

import type { Backend } from './backend';
import type { FloatArray } from './types';
import type { DType } from '../model/spec';
import { referenceGemm, referenceGemmEach } from './reference/gemm';
import * as elementwise from './reference/elementwise';
import * as windows from './reference/windows';
import { denseGramStats } from './reference/stats';

export { referenceGemm } from './reference/gemm';

export function referenceBackend(dtype: DType): Backend {
  return {
    name: `reference-${dtype}`,
    dtype,
    alloc: (length: number): FloatArray => (dtype === 'float32' ? new Float32Array(length) : new Float64Array(length)),
    gemm: referenceGemm,
    gemmEach: referenceGemmEach,
    ...elementwise,
    denseGramStats,
    im2col: windows.im2col,
    col2im: windows.col2im,
    maxPool: windows.maxPool,
    maxPoolBackward: windows.maxPoolBackward,
  };
}
