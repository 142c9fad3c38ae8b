// The in-memory window of recent changes that lets a watch resume from a resourceVersion, like the API
// server's watch cache. It is not persisted: after a restart it starts empty at the current revision.

import type { KubeObject } from '../api/types.js';

/** One committed change. `object` is frozen: shared watchers get it as it is, the others a copy each. */
export interface ChangeRecord {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  groupResource: string;
  namespace: string;
  revision: number;
  /** The object as written (for DELETED: as it was, stamped with the deletion's revision). */
  object: KubeObject;
}

export interface HistoryWindow {
  /**
   * Changes older than this are dropped once more than `minimum` are kept, as the API server's watch cache
   * keeps ~75 s of events (eventFreshDuration) beyond its lower bound: a ring bounded only by count held
   * 10,000 whole objects, ~100 MB at 1,000 pods whose status keeps changing (docs/reliability.md, soak).
   * @default 75000
   */
  ms?: number;
  /** @default 1000 */
  minimum?: number;
  now?: () => number;
}

/** A ring of the newest changes, oldest first: at most `capacity`, and no older than the window beyond its minimum. */
export class ChangeHistory {
  readonly #ring: (ChangeRecord | undefined)[];
  /** When each slot's change was pushed. */
  readonly #at: number[];
  #start = 0;
  #size = 0;
  /** Every change with a revision above this is in the ring; a watch may resume from here or later. */
  #resumableFrom: number;
  readonly #windowMs: number;
  readonly #minimum: number;
  readonly #now: () => number;

  constructor(capacity: number, currentRevision: number, window: HistoryWindow = {}) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`historySize must be a positive integer, got ${capacity}`);
    }
    this.#ring = new Array(capacity);
    this.#at = new Array<number>(capacity).fill(0);
    this.#resumableFrom = currentRevision;
    this.#windowMs = window.ms ?? 75_000;
    this.#minimum = window.minimum ?? 1000;
    this.#now = window.now ?? Date.now;
  }

  /** Changes kept. */
  get size(): number {
    return this.#size;
  }

  /** The oldest revision a watch can start after without missing changes. */
  get resumableFrom(): number {
    return this.#resumableFrom;
  }

  push(record: ChangeRecord): void {
    const capacity = this.#ring.length;
    const now = this.#now();
    if (this.#size === capacity) this.#dropOldest();
    const slot = (this.#start + this.#size) % capacity;
    this.#ring[slot] = record;
    this.#at[slot] = now;
    this.#size++;
    while (this.#size > this.#minimum && this.#at[this.#start]! < now - this.#windowMs) this.#dropOldest();
  }

  #dropOldest(): void {
    const evicted = this.#ring[this.#start];
    if (evicted) this.#resumableFrom = evicted.revision;
    this.#ring[this.#start] = undefined;
    this.#start = (this.#start + 1) % this.#ring.length;
    this.#size--;
  }

  /** Changes with revision > afterRevision, oldest first, that pass `accept`. */
  after(afterRevision: number, accept: (record: ChangeRecord) => boolean): ChangeRecord[] {
    const out: ChangeRecord[] = [];
    const capacity = this.#ring.length;
    // Revisions in the ring increase, so search from the newest end backwards for the first one to send.
    let first = this.#size;
    while (first > 0) {
      const record = this.#ring[(this.#start + first - 1) % capacity];
      if (!record || record.revision <= afterRevision) break;
      first--;
    }
    for (let i = first; i < this.#size; i++) {
      const record = this.#ring[(this.#start + i) % capacity];
      if (record && accept(record)) out.push(record);
    }
    return out;
  }
}
