// Append-only typed arrays that grow by half again, so a streamed file is stored once, as numbers,
// without knowing its length up front.

type NumberArray = Float32Array | Int32Array;

abstract class Growable<A extends NumberArray> {
  protected data: A;
  length = 0;

  constructor(
    private readonly allocate: (length: number) => A,
    initialCapacity: number,
  ) {
    this.data = allocate(Math.max(16, initialCapacity));
  }

  push(v: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = v;
  }

  /** Make room for `n` more values (one row) so the caller can write with `set`. */
  reserve(n: number): void {
    if (this.length + n > this.data.length) this.grow(this.length + n);
  }

  /** Grow once to at least `total` values (used with an estimate of the final size). */
  ensureCapacity(total: number): void {
    if (total > this.data.length) this.grow(total);
  }

  /** Direct access for fast row writes after `reserve`. */
  get buffer(): A {
    return this.data;
  }

  abstract finish(): A;

  private grow(needed: number): void {
    // ×1.5 rather than ×2 keeps the peak (old + new during the copy) near 2.5× instead of 3×.
    let capacity = Math.max(this.data.length, 16);
    if (needed > capacity * 1.5) capacity = needed;
    while (capacity < needed) capacity = Math.ceil(capacity * 1.5);
    const next = this.allocate(capacity);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
}

export class GrowableFloat32 extends Growable<Float32Array> {
  constructor(initialCapacity = 1 << 16) {
    super((n) => new Float32Array(n), initialCapacity);
  }

  /**
   * The values, as a view when little capacity is unused (no copy: a copy would briefly hold the
   * data twice) and as a trimmed copy when more than a quarter would be wasted.
   */
  finish(): Float32Array {
    if (this.data.length - this.length > this.data.length / 4) return this.data.slice(0, this.length);
    return this.data.subarray(0, this.length);
  }
}

export class GrowableInt32 extends Growable<Int32Array> {
  constructor(initialCapacity = 1 << 12) {
    super((n) => new Int32Array(n), initialCapacity);
  }

  /** A trimmed copy: the labels are small, and a copy owns exactly its values. */
  finish(): Int32Array {
    return this.data.slice(0, this.length);
  }
}
