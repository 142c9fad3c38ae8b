// Finding list items by value or by merge key in constant time. The strategic merge patch compares every item
// of a patch list with every item of the live list; with linear searches a 3 MiB patch of 300,000 finalizers
// or containers kept the event loop (the whole server) busy for many minutes. Upstream's Go does the same
// quadratic work, but on one goroutine of many; podrun has a single thread.
import { isObject, type JsonValue } from './json-value.js';

/** A text that two values share exactly when jsonEqual holds (key order and undefined-valued keys ignored). */
export function canonicalJson(v: unknown): string {
  if (v === undefined) return 'u';
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'u';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

/**
 * Positions in `list` as a linear search would find them (the first match): objects by the value of their
 * merge key when one is given, anything else by its whole value.
 */
export class ListIndex {
  #byValue: Map<string, number> | undefined;
  #byMergeKey: Map<string, number> | undefined;

  constructor(
    private readonly list: readonly JsonValue[],
    private readonly mergeKey: string | undefined,
  ) {}

  indexOf(item: JsonValue): number {
    if (this.mergeKey && isObject(item)) {
      if (!this.#byMergeKey) {
        this.#byMergeKey = new Map();
        this.list.forEach((o, i) => {
          if (!isObject(o)) return;
          const k = canonicalJson(o[this.mergeKey!]);
          if (!this.#byMergeKey!.has(k)) this.#byMergeKey!.set(k, i);
        });
      }
      return this.#byMergeKey.get(canonicalJson(item[this.mergeKey])) ?? -1;
    }
    if (!this.#byValue) {
      this.#byValue = new Map();
      this.list.forEach((o, i) => {
        const k = canonicalJson(o);
        if (!this.#byValue!.has(k)) this.#byValue!.set(k, i);
      });
    }
    return this.#byValue.get(canonicalJson(item)) ?? -1;
  }

  has(item: JsonValue): boolean {
    return this.indexOf(item) >= 0;
  }
}
