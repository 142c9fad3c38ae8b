// Deep copy of a JSON value. Several times faster than JSON.parse(JSON.stringify(x)) or structuredClone for
// the plain objects the store keeps, which is what makes lists of thousands of objects cheap.

/** Copies a value made of plain objects, arrays and primitives (as produced by JSON.parse). */
export function cloneJson<T>(value: T): T {
  return copy(value) as T;
}

function copy(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copy(value[i]);
    return out;
  }
  const out: Record<string, unknown> = {};
  const source = value as Record<string, unknown>;
  for (const key in source) setOwn(out, key, copy(source[key]));
  return out;
}

const NOT_PLAIN = Symbol('not plain JSON data');

/**
 * Exactly what `JSON.parse(JSON.stringify(value))` returns, made by copying instead of printing and parsing
 * (several times faster): keys whose value is undefined, a function or a symbol are left out, such array
 * items become null, as do NaN and the infinities, and -0 becomes 0. A value holding anything else than
 * plain objects, arrays and primitives (a Date, a class instance, a bigint) takes the slow path itself, so
 * its toJSON and its errors are JSON.stringify's.
 */
export function jsonRoundTrip<T>(value: T): T {
  try {
    return roundTrip(value, false) as T;
  } catch (e) {
    // A cycle overflows the stack here; JSON.stringify names it instead.
    if (e !== NOT_PLAIN && !(e instanceof RangeError)) throw e;
    return JSON.parse(JSON.stringify(value)) as T;
  }
}

/** With `freeze`, each object and array is frozen once made. */
function roundTrip(value: unknown, freeze: boolean): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? (value === 0 ? 0 : value) : null;
    case 'object':
      break;
    default:
      throw NOT_PLAIN;
  }
  if (value === null) return null;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      out[i] = omitted(item) ? null : roundTrip(item, freeze);
    }
    return freeze ? Object.freeze(out) : out;
  }
  if (!isPlainData(value)) throw NOT_PLAIN;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = value[key];
    if (!omitted(item)) setOwn(out, key, roundTrip(item, freeze));
  }
  return freeze ? Object.freeze(out) : out;
}

/**
 * deepFreeze(jsonRoundTrip(value)) in one pass: each object is frozen as it is made. `json` is
 * JSON.stringify(value) when the caller has it, for the slow path. `previous`, a frozen copy of an earlier
 * version, lends the result every part of it that is the same JSON (same keys in the same order, same
 * values): a status write then shares the pod's spec and most of its metadata with the version before, so
 * the versions the store and its watch history hold cost what changed, not a whole object each.
 */
export function frozenJsonCopy<T>(value: T, json?: string, previous?: T): T {
  try {
    if (previous !== undefined && Object.isFrozen(previous)) return reusing(value, previous) as T;
    return roundTrip(value, true) as T;
  } catch (e) {
    if (e !== NOT_PLAIN && !(e instanceof RangeError)) throw e;
    return deepFreeze(JSON.parse(json ?? JSON.stringify(value)) as T);
  }
}

/**
 * roundTrip with freezing, where each part that is the same JSON as the same part of `prev` (frozen) is
 * `prev`'s. An unchanged part is only compared (sameJson), which allocates no copy of it.
 */
function reusing(value: unknown, prev: unknown): unknown {
  if (sameJson(value, prev)) return prev;
  if (typeof value !== 'object' || value === null || typeof prev !== 'object' || prev === null) {
    return roundTrip(value, true);
  }
  if (Array.isArray(value)) {
    if (!Array.isArray(prev)) return roundTrip(value, true);
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      out[i] = omitted(item) ? null : reusing(item, prev[i]);
    }
    return Object.freeze(out);
  }
  if (!isPlainData(value)) throw NOT_PLAIN;
  if (Array.isArray(prev)) return roundTrip(value, true);
  const before = prev as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = value[key];
    if (omitted(item)) continue;
    setOwn(out, key, Object.hasOwn(before, key) ? reusing(item, before[key]) : roundTrip(item, true));
  }
  return Object.freeze(out);
}

/**
 * Whether `value` prints as JSON the way `prev` (a frozen JSON copy) does: the same keys in the same order
 * (another order prints differently) and the same values. False for anything that is not plain data.
 */
function sameJson(value: unknown, prev: unknown): boolean {
  if (value === prev) return true;
  switch (typeof value) {
    case 'number':
      return (Number.isFinite(value) ? (value === 0 ? 0 : value) : null) === prev;
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null || typeof prev !== 'object' || prev === null) return false;
  if (Array.isArray(value)) {
    if (!Array.isArray(prev) || value.length !== prev.length) return false;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (omitted(item) ? prev[i] !== null : !sameJson(item, prev[i])) return false;
    }
    return true;
  }
  if (Array.isArray(prev)) return false;
  if (!isPlainData(value)) return false;
  const source = value;
  const keys = Object.keys(prev);
  let n = 0;
  for (const key in source) {
    if (!Object.hasOwn(source, key)) continue;
    const item = source[key];
    if (omitted(item)) continue;
    if (keys[n] !== key || !sameJson(item, (prev as Record<string, unknown>)[key])) return false;
    n++;
  }
  return n === keys.length;
}

/** Sets an own key: JSON.parse makes `__proto__` one, where plain assignment would set the prototype. */
function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    out[key] = value;
  }
}

/** An object JSON.stringify prints key by key: a plain one without toJSON. */
function isPlainData(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return typeof (value as Record<string, unknown>).toJSON !== 'function';
}

/** What JSON.stringify leaves out of an object and prints as null in an array. */
function omitted(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}

/**
 * Freezes a JSON value and everything in it, so that a listener that changes a shared object throws (ESM is
 * strict mode) instead of changing it for every holder. A frozen object is taken as frozen all through: only
 * this module freezes the store's objects (here and in frozenJsonCopy).
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  if (Array.isArray(value)) {
    for (const item of value) deepFreeze(item);
  } else {
    for (const key in value) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
