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
