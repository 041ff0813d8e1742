// maxpool2d, channels-first, `valid` windows: y = max over the window; the gradient flows only to
// the input that won (the first maximum; a NaN wins and stays), which the backend finds again
// from the input and the output, so nothing else is remembered between forward and backward.

import type { FloatArray } from '../types';
import { type Backend, type WindowGeometry, windowGeometry } from '../backend';
import type { Shape } from '../../model/spec';
import type { LayerContext } from './layer';
import { ParameterFreeLayer } from './parameterFree';

export class MaxPool2dLayer extends ParameterFreeLayer {
  readonly type = 'maxpool2d';
  readonly label: string;
  readonly geometry: WindowGeometry;
  private input: FloatArray | null = null;

  constructor(
    index: number,
    inputShape: Shape,
    readonly poolSize: number,
    readonly stride: number,
    ctx: LayerContext,
  ) {
    const geometry = windowGeometry(inputShape, poolSize, stride, 'valid');
    super(index, inputShape, [geometry.channels, geometry.outH, geometry.outW], ctx);
    this.geometry = geometry;
    this.label = `maxpool2d ${poolSize}×${poolSize}${stride !== poolSize ? ` /${stride}` : ''}`;
  }

  /** The input of the last forward pass (null before the first). */
  get lastInput(): FloatArray | null {
    return this.input;
  }

  forward(input: FloatArray, m: number): void {
    this.input = input;
    const out = this.output;
    this.eachPart(m, (part, start, end) =>
      part.maxPool(end - start, this.geometry, this.examples(input, start, end), this.examples(out, start, end, this.outSize)),
    );
  }

  backward(outputGrad: FloatArray, m: number): void {
    const { inputGrad, input, output } = this;
    if (!inputGrad || !input) return;
    this.eachPart(m, (part, start, end) => {
      const pooled = (x: FloatArray) => this.examples(x, start, end, this.outSize);
      part.maxPoolBackward(
        end - start,
        this.geometry,
        this.examples(input, start, end),
        pooled(output),
        pooled(outputGrad),
        this.examples(inputGrad, start, end),
      );
    });
  }

  /** Examples [start, end) of a batch buffer with `size` values per example (the input's by default). */
  private examples(x: FloatArray, start: number, end: number, size = this.inSize): FloatArray {
    return x.subarray(start * size, end * size);
  }

  /**
   * run(backend, start, end) over parts of the batch: on two threads the helper pools its half of
   * the examples (each example's planes are pooled alone, so the result is the one thread's).
   */
  private eachPart(m: number, run: (be: Backend, start: number, end: number) => void): void {
    if (this.backend.splitExamples) this.backend.splitExamples(m, run);
    else run(this.backend, 0, m);
  }
}
