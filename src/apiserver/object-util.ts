// Small helpers over plain JSON objects: deep copy and equality, timestamps in the API's RFC 3339 form, and
// the random name suffix of generateName.
import { randomInt } from 'node:crypto';
import type { ObjectMeta } from '../api/types.js';
import { cloneJson } from '../store/json-clone.js';

/** A deep copy of a JSON value (objects, arrays, primitives), several times faster than structuredClone. */
export function clone<T>(v: T): T {
  return cloneJson(v);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export { jsonEqual as deepEqual } from '../api/json-equal.js';

let lastSecond = Number.NaN;
let lastText = '';

/** metav1.Time: RFC 3339 with second precision, UTC (`2026-11-24T22:08:01Z`). */
export function rfc3339(ms: number): string {
  // Every write stamps a time or two, mostly within the same second as the one before: the text is kept.
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastText = new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    lastSecond = second;
  }
  return lastText;
}

/** metav1.MicroTime: RFC 3339 with microseconds (`2026-11-24T22:08:01.123000Z`). */
export function rfc3339Micro(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

// utilrand.String: vowels and confusable digits left out so that generated names never spell words.
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHANUMS[randomInt(ALPHANUMS.length)];
  return s;
}

/** names.SimpleNameGenerator: the base is cut to 58 characters so that the name stays within 63. */
export function generateName(base: string): string {
  return `${base.length > 58 ? base.slice(0, 58) : base}${randomSuffix(5)}`;
}

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The metadata of `o`, writable (kubernetes-types declares every field readonly). */
export function metaOf(o: { metadata: ObjectMeta }): Mutable<ObjectMeta> {
  return o.metadata as Mutable<ObjectMeta>;
}
