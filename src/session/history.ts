// The host's bounded step history. Training can run for hundreds of thousands of steps, but the
// panel only needs the shape of the curve: when the history reaches its capacity, every other point
// of the OLDER half is dropped, so recent steps stay at full resolution, older ones get coarser, and
// the first step is always kept. The rule itself is the snapshot reducer's (src/run/reducer.ts).

import type { StepPoint } from '../protocol';
import { appendPoints, thinToCapacity } from '../run/reducer';

export class StepHistory {
  private points: StepPoint[] = [];

  constructor(private capacity: number) {
    this.capacity = Math.max(4, Math.floor(capacity));
  }

  get length(): number {
    return this.points.length;
  }

  setCapacity(capacity: number): void {
    this.capacity = Math.max(4, Math.floor(capacity));
    this.points = thinToCapacity(this.points, this.capacity);
  }

  push(points: readonly StepPoint[]): void {
    appendPoints(this.points, points, this.capacity);
  }

  /** A copy, oldest first. */
  toArray(): StepPoint[] {
    return this.points.slice();
  }

  last(): StepPoint | undefined {
    return this.points[this.points.length - 1];
  }

  clear(): void {
    this.points = [];
  }
}
