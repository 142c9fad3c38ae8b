// How many stored objects name each owner uid in their metadata.ownerReferences, kept as objects are put,
// replaced and dropped: the store's answer to dependentCount, so that the garbage collector scans every
// resource for dependents only when some exist.
import type { KubeObject } from '../api/types.js';

export class OwnerCount {
  readonly #counts = new Map<string, number>();

  get(uid: string): number {
    return this.#counts.get(uid) ?? 0;
  }

  /** `object` was stored (delta 1) or is no longer (delta -1). */
  add(object: KubeObject, delta: 1 | -1): void {
    const refs = object.metadata?.ownerReferences;
    if (!refs || refs.length === 0) return;
    // An object naming one owner twice is one dependent of it.
    for (const uid of new Set(refs.map((r) => r.uid))) {
      const n = (this.#counts.get(uid) ?? 0) + delta;
      if (n > 0) this.#counts.set(uid, n);
      else this.#counts.delete(uid);
    }
  }
}
