// A binary min-heap: the scheduler's activeQ is one (upstream's heap.Heap), so that taking the next pod of
// a thousand queued costs a logarithm, not a scan of them all.

export class MinHeap<T> {
  readonly #items: T[] = [];
  readonly #less: (a: T, b: T) => boolean;

  constructor(less: (a: T, b: T) => boolean) {
    this.#less = less;
  }

  get size(): number {
    return this.#items.length;
  }

  push(item: T): void {
    const a = this.#items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  /** Removes and returns the least item; undefined when empty. */
  pop(): T | undefined {
    const a = this.#items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let least = i;
        if (l < a.length && this.#less(a[l]!, a[least]!)) least = l;
        if (r < a.length && this.#less(a[r]!, a[least]!)) least = r;
        if (least === i) break;
        [a[i], a[least]] = [a[least]!, a[i]!];
        i = least;
      }
    }
    return top;
  }
}
