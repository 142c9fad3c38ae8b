// An allocation map over the offsets 0..max-1 with a reserved lower band (k/k pkg/registry/core/service/
// allocator bitmap.go, randomScanStrategyWithOffset): a dynamic allocation starts at a random offset of
// the upper band [offset, max) and scans forward, wrapping, and only when that band is full tries the
// lower band [0, offset), which is kept for explicit requests (KEP-3070 for ClusterIPs, KEP-3668 for
// NodePorts). A Set holds the taken offsets: the ranges are large (a /12 has a million addresses) and
// sparsely used.

export type Random = () => number;

export class OffsetBitmap {
  readonly #taken = new Set<number>();

  constructor(
    readonly max: number,
    readonly offset: number,
    private readonly random: Random = Math.random,
  ) {}

  /** Takes `i`; false when it is already taken. `i` must be within 0..max-1. */
  allocate(i: number): boolean {
    if (this.#taken.has(i)) return false;
    this.#taken.add(i);
    return true;
  }

  /** Takes a free offset, preferring the upper band; undefined when everything is taken. */
  allocateNext(): number | undefined {
    if (this.#taken.size >= this.max) return undefined;
    return this.#scan(this.offset, this.max - this.offset) ?? this.#scan(0, this.offset);
  }

  #scan(from: number, size: number): number | undefined {
    if (size <= 0) return undefined;
    const start = Math.floor(this.random() * size);
    for (let i = 0; i < size; i++) {
      const at = from + ((start + i) % size);
      if (!this.#taken.has(at)) {
        this.#taken.add(at);
        return at;
      }
    }
    return undefined;
  }

  release(i: number): void {
    this.#taken.delete(i);
  }

  has(i: number): boolean {
    return this.#taken.has(i);
  }

  get used(): number {
    return this.#taken.size;
  }

  get free(): number {
    return this.max - this.#taken.size;
  }
}
