// The runtimes' indexes of their records (by pod UID label, by sandbox): a pod's lookups touch its own
// records, not every pod's.

const EMPTY: ReadonlySet<string> = new Set();

/** Sets of ids under a key; an undefined key (a record without that label) is not indexed. */
export class IdIndex {
  readonly #sets = new Map<string, Set<string>>();

  add(key: string | undefined, id: string): void {
    if (key === undefined) return;
    let set = this.#sets.get(key);
    if (!set) {
      set = new Set();
      this.#sets.set(key, set);
    }
    set.add(id);
  }

  delete(key: string | undefined, id: string): void {
    if (key === undefined) return;
    const set = this.#sets.get(key);
    set?.delete(id);
    if (set?.size === 0) this.#sets.delete(key);
  }

  /** The ids under `key`, in the order they were added. */
  get(key: string): ReadonlySet<string> {
    return this.#sets.get(key) ?? EMPTY;
  }
}
