// The fields a create owns, remembered by the object's shape. A create (an Update with no live object and no
// managers yet) gives its writer every field the object sets: which fields those are depends on the object's
// keys, not on its values, except in lists, whose items are named by their values (`k:{"name":…}`, `v:…`).
// So for an object without lists, the FieldsV1 of its create is the same for every object of that kind with
// the same keys, nested the same way and holding the same kinds of values. Events are such objects, and they
// are most of what the kubelet and the controllers create: their FieldsV1 is worked out once per shape.
import { cloneJson, deepFreeze } from '../../store/json-clone.js';
import type { JsonValue } from '../patch/json-value.js';

const MAX_SHAPES = 256;
/** Characters of a shape's key; an event's is about 400. */
const MAX_SHAPE_LENGTH = 4096;
const remembered = new Map<string, JsonValue>();

/**
 * The object's shape as a key: its keys, nested, with each value's type in place of the value. Undefined when
 * it holds a list (the fields of a list's items depend on their values).
 */
export function shapeKey(v: JsonValue | undefined): string | undefined {
  if (v === undefined) return 'u';
  if (v === null) return 'z';
  switch (typeof v) {
    case 'string':
      return 's';
    case 'number':
      return 'n';
    case 'boolean':
      return 'b';
  }
  if (Array.isArray(v)) return undefined;
  let out = '{';
  for (const key of Object.keys(v)) {
    const inner = shapeKey(v[key]);
    if (inner === undefined) return undefined;
    // Length-prefixed: any key, whatever characters it holds, reads back one way.
    out += `${key.length}:${key}${inner}`;
  }
  return `${out}}`;
}

/**
 * The FieldsV1 a create of this shape gave, if remembered: frozen, and shared by every object of the shape
 * (the store copies what it keeps; a dry run's answer holds it as it is).
 */
export function rememberedFields(key: string): JsonValue | undefined {
  return remembered.get(key);
}

export function rememberFields(key: string, fieldsV1: JsonValue): void {
  // A big object (a ConfigMap with many keys) is not worth keeping: its shape is as big as its fields.
  if (key.length > MAX_SHAPE_LENGTH) return;
  // Shapes are few (a kind's events vary little); a caller making endless new ones only starts it over.
  if (remembered.size >= MAX_SHAPES) remembered.clear();
  remembered.set(key, deepFreeze(cloneJson(fieldsV1)));
}

/** For tests: forget every shape. */
export function forgetShapes(): void {
  remembered.clear();
}
