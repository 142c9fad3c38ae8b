// The in-memory window of recent changes that lets a watch resume from a resourceVersion, like the API
// server's watch cache. It is not persisted: after a restart it starts empty at the current revision.

import type { KubeObject } from '../api/types.js';

/** One committed change. `object` is never handed out: every watcher gets its own copy. */
export interface ChangeRecord {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  groupResource: string;
  namespace: string;
  revision: number;
  /** The object as written (for DELETED: as it was, stamped with the deletion's revision). */
  object: KubeObject;
}

/** A fixed-size ring of the newest changes, oldest first. */
export class ChangeHistory {
  readonly #ring: (ChangeRecord | undefined)[];
  #start = 0;
  #size = 0;
  /** Every change with a revision above this is in the ring; a watch may resume from here or later. */
  #resumableFrom: number;

  constructor(capacity: number, currentRevision: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`historySize must be a positive integer, got ${capacity}`);
    }
    this.#ring = new Array(capacity);
    this.#resumableFrom = currentRevision;
  }

  /** The oldest revision a watch can start after without missing changes. */
  get resumableFrom(): number {
    return this.#resumableFrom;
  }

  push(record: ChangeRecord): void {
    const capacity = this.#ring.length;
    if (this.#size === capacity) {
      const evicted = this.#ring[this.#start];
      if (evicted) this.#resumableFrom = evicted.revision;
      this.#ring[this.#start] = record;
      this.#start = (this.#start + 1) % capacity;
    } else {
      this.#ring[(this.#start + this.#size) % capacity] = record;
      this.#size++;
    }
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
