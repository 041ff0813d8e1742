// A labelled classification dataset held in memory, in the layout the engine consumes.

export interface Dataset {
  /** Where it came from, for messages (`mnist`, `data/train.csv`, ...). */
  name: string;
  /** Shape of one example: [features] for tabular data, [channels, height, width] for images. */
  inputShape: number[];
  numClasses: number;
  count: number;
  /** count × prod(inputShape) values, row-major, channels-first for images. */
  x: Float32Array;
  /** count class indices in [0, numClasses). */
  y: Int32Array;
  /** Optional names of the classes (folder names for image folders). */
  classNames?: string[];
}

export function exampleSize(d: Pick<Dataset, 'inputShape'>): number {
  return d.inputShape.reduce((a, b) => a * b, 1);
}
