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
  for (const key in source) {
    // JSON.parse makes `__proto__` an own key; plain assignment would set the prototype instead.
    if (key === '__proto__') {
      Object.defineProperty(out, key, {
        value: copy(source[key]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      out[key] = copy(source[key]);
    }
  }
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
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw NOT_PLAIN;
  const source = value as Record<string, unknown>;
  if (typeof source.toJSON === 'function') throw NOT_PLAIN;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    const item = source[key];
    if (omitted(item)) continue;
    if (key === '__proto__') {
      Object.defineProperty(out, key, {
        value: roundTrip(item, freeze),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      out[key] = roundTrip(item, freeze);
    }
  }
  return freeze ? Object.freeze(out) : out;
}

/**
 * deepFreeze(jsonRoundTrip(value)) in one pass: each object is frozen as it is made. `json` is
 * JSON.stringify(value) when the caller has it, for the slow path.
 */
export function frozenJsonCopy<T>(value: T, json?: string): T {
  try {
    return roundTrip(value, true) as T;
  } catch (e) {
    if (e !== NOT_PLAIN && !(e instanceof RangeError)) throw e;
    return deepFreeze(JSON.parse(json ?? JSON.stringify(value)) as T);
  }
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
