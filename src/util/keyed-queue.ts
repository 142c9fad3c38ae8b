// Operations run one after another per key (a pod's volumes, a sandbox's stop and removal): each starts once
// the previous one on its key has settled, whether it succeeded or not. Keys with nothing queued are forgotten.

export class KeyedQueue {
  readonly #tails = new Map<string, Promise<void>>();

  run<T>(key: string, op: () => Promise<T>): Promise<T> {
    const next = (this.#tails.get(key) ?? Promise.resolve()).then(op);
    const settled = next.then(
      () => {},
      () => {},
    );
    this.#tails.set(key, settled);
    void settled.then(() => {
      if (this.#tails.get(key) === settled) this.#tails.delete(key);
    });
    return next;
  }

  /** Keys with an operation queued or running. */
  get size(): number {
    return this.#tails.size;
  }
}
