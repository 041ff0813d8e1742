// The one way a side of a conversation waits for answers: a request gets an id, its answer settles
// the promise kept under that id, and whatever happens to the other side (it ends, crashes, stops
// answering) settles everything still waiting, once. Used by the host for its workers and by the
// webview for its requests to the host. Pure: no vscode, no Node APIs.

export class RequestFailed extends Error {}

interface Waiting<T> {
  resolve(value: T): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class PendingRequests<T> {
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting<T>>();

  get size(): number {
    return this.waiting.size;
  }

  /**
   * A new id and the promise its answer settles. With `timeout`, the promise rejects with
   * `timeout.message` when no answer came within `timeout.ms`.
   */
  open(timeout?: { ms: number; message: string }): { id: number; answer: Promise<T> } {
    const id = this.nextId++;
    const answer = new Promise<T>((resolve, reject) => {
      const timer = timeout ? setTimeout(() => this.settle(id, { ok: false, error: timeout.message }), timeout.ms) : undefined;
      this.waiting.set(id, { resolve, reject, timer });
    });
    return { id, answer };
  }

  /** Settles the request `id`; false when nothing waits under that id (late, duplicate or unknown). */
  settle(id: number, outcome: { ok: true; value: T } | { ok: false; error: string }): boolean {
    const w = this.waiting.get(id);
    if (!w) return false;
    this.waiting.delete(id);
    clearTimeout(w.timer);
    if (outcome.ok) w.resolve(outcome.value);
    else w.reject(new RequestFailed(outcome.error));
    return true;
  }

  /** Rejects everything still waiting (the other side is gone). */
  failAll(error: Error): void {
    const all = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of all) {
      clearTimeout(w.timer);
      w.reject(error);
    }
  }
}
