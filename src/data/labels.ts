// Turns the labels found in a file into contiguous class indices 0..numClasses-1.
//
// Rules (the same for CSV and IDX, documented for users):
//   - If every label is an integer, classes are the integers from the smallest to the largest:
//     class = label − min, numClasses = max − min + 1, classNames = the original numbers. So MNIST's
//     0..9 stay 0..9 and EMNIST letters' 1..26 become 0..25 (classNames "1".."26").
//   - Otherwise every label is a class name; names are sorted (plain code-unit order) and numbered
//     from 0, and classNames holds them.
import { DataError } from './errors';

/** More classes than this is almost certainly a regression target or an id column, not a class. */
export const MAX_CLASSES = 4096;

export interface ClassMapping {
  numClasses: number;
  classNames: string[];
}

const INTEGER = /^[+-]?\d+$/;

/** Collects label strings while a file streams, then maps them to classes once all are known. */
export class LabelTable {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];

  /** A provisional id for this label (first-seen order); finish() maps it to the final class. */
  idOf(label: string): number {
    let id = this.ids.get(label);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(label, id);
      this.names.push(label);
    }
    return id;
  }

  get distinctCount(): number {
    return this.names.length;
  }

  /** Final class of each provisional id, plus the class list. `file` names the file in errors. */
  finish(file: string): ClassMapping & { classOfId: Int32Array } {
    const classOfId = new Int32Array(this.names.length);
    if (this.names.length > 0 && this.names.every((n) => INTEGER.test(n))) {
      const values = this.names.map((n) => Number.parseInt(n, 10));
      const { min, numClasses, classNames } = integerClasses(file, values);
      values.forEach((v, id) => {
        classOfId[id] = v - min;
      });
      return { classOfId, numClasses, classNames };
    }
    if (this.names.length > MAX_CLASSES) {
      throw new DataError(
        file,
        `the labels have ${this.names.length} distinct values; ` +
          `Gradient Lens trains classifiers, so the first column must be a class (at most ${MAX_CLASSES} classes)`,
      );
    }
    const classNames = [...this.names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const classOfName = new Map(classNames.map((n, i) => [n, i]));
    this.names.forEach((n, id) => {
      classOfId[id] = classOfName.get(n)!;
    });
    return { classOfId, numClasses: classNames.length, classNames };
  }
}

/** Classes min..max for integer labels (see the rules at the top of this file). */
export function integerClasses(file: string, values: Iterable<number>): ClassMapping & { min: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === Infinity) throw new DataError(file, 'there are no labels');
  const numClasses = max - min + 1;
  if (numClasses > MAX_CLASSES) {
    throw new DataError(
      file,
      `the integer labels run from ${min} to ${max}, which would be ${numClasses} classes; ` +
        `Gradient Lens trains classifiers with at most ${MAX_CLASSES} classes`,
    );
  }
  const classNames = Array.from({ length: numClasses }, (_, i) => String(min + i));
  return { min, numClasses, classNames };
}
