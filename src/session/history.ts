// The host's bounded step history. Training can run for hundreds of thousands of steps, but the
// panel only needs the shape of the curve: when the history reaches its capacity, every other point
// of the OLDER half is dropped, so recent steps stay at full resolution, older ones get coarser, and
// the first step is always kept. Memory and snapshot size stay bounded by `capacity`.

import type { StepPoint } from '../protocol';

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
    while (this.points.length > this.capacity) this.thin();
  }

  push(points: readonly StepPoint[]): void {
    for (const p of points) {
      if (this.points.length >= this.capacity) this.thin();
      this.points.push(p);
    }
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

  private thin(): void {
    const half = Math.floor(this.points.length / 2);
    const older = this.points.slice(0, half).filter((_, i) => i % 2 === 0);
    this.points = older.concat(this.points.slice(half));
  }
}
