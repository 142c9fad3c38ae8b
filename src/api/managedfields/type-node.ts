// The schema server-side apply walks an object with: which values are leaves, which maps or structs are
// granular, how list items are identified. Built from the decoder's struct table (types.generated.ts) and the
// apply markers transcribed in field-types.ts. A kind podrun has no struct for, and a free-form (`any`)
// field, are "deduced" as upstream deduces untyped values: objects granular, lists atomic.
import { STRUCTS } from '../schema/types.generated.js';
import { ATOMIC_STRUCTS, FIELD_CODES } from './field-types.js';

export type TypeNode =
  | { readonly kind: 'scalar' }
  | { readonly kind: 'deduced' }
  | { readonly kind: 'struct'; readonly name: string; readonly atomic: boolean }
  | { readonly kind: 'map'; readonly elem: TypeNode; readonly atomic: boolean }
  | {
      readonly kind: 'list';
      readonly elem: TypeNode;
      readonly rel: 'atomic' | 'set' | 'map';
      readonly keys: readonly string[];
    };

export interface FieldType {
  readonly type: TypeNode;
  /** A field of a struct (declared), as opposed to a key of a map: toFieldSet lists map keys themselves. */
  readonly declared: boolean;
  /** The field is in the Go zero value of its struct (see field-types.ts). */
  readonly present: boolean;
}

const SCALAR = { kind: 'scalar' } as const;
const DEDUCED: TypeNode = { kind: 'deduced' };
const SCALAR_NAMES = new Set(['string', 'int', 'bool', 'intOrString', 'quantity', 'time', 'bytes', 'number']);
const DEDUCED_FIELD: FieldType = { type: DEDUCED, declared: false, present: false };

const fieldCache = new Map<string, Map<string, FieldType>>();

export function rootType(kind: string): TypeNode {
  return STRUCTS[kind] ? structNode(kind) : DEDUCED;
}

function structNode(name: string): TypeNode {
  return { kind: 'struct', name, atomic: ATOMIC_STRUCTS.has(name) };
}

function parseType(text: string, code: string): TypeNode {
  if (text.startsWith('[]')) {
    const elem = parseType(text.slice(2), '');
    const c = code.split(' ')[0] ?? '';
    if (c === 'set') return { kind: 'list', elem, rel: 'set', keys: [] };
    if (c.startsWith('map:')) return { kind: 'list', elem, rel: 'map', keys: c.slice(4).split(',') };
    return { kind: 'list', elem, rel: 'atomic', keys: [] };
  }
  if (text.startsWith('map[string]')) {
    return {
      kind: 'map',
      elem: parseType(text.slice('map[string]'.length), ''),
      atomic: code.startsWith('atomic'),
    };
  }
  if (SCALAR_NAMES.has(text)) return SCALAR;
  if (text === 'any') return DEDUCED;
  if (STRUCTS[text]) {
    return code.startsWith('atomic') ? { kind: 'struct', name: text, atomic: true } : structNode(text);
  }
  return DEDUCED;
}

/** The type of `key` in a map or struct of type `t` (a deduced type for what the schema does not know). */
export function fieldOf(t: TypeNode, key: string): FieldType {
  if (t.kind === 'map') return { type: t.elem, declared: false, present: false };
  if (t.kind !== 'struct') return DEDUCED_FIELD;
  let fields = fieldCache.get(t.name);
  if (!fields) {
    fields = new Map();
    fieldCache.set(t.name, fields);
  }
  let f = fields.get(key);
  if (!f) {
    const text = STRUCTS[t.name]?.[key];
    if (text === undefined || !Object.hasOwn(STRUCTS[t.name]!, key)) return DEDUCED_FIELD;
    const code = FIELD_CODES[t.name]?.[key] ?? '';
    f = { type: parseType(text, code), declared: true, present: code.endsWith('present') };
    fields.set(key, f);
  }
  return f;
}

/** What a deduced type is for one value. */
export function deduce(value: unknown): Exclude<TypeNode, { kind: 'deduced' }> {
  if (Array.isArray(value)) return { kind: 'list', elem: DEDUCED, rel: 'atomic', keys: [] };
  if (value !== null && typeof value === 'object') return { kind: 'map', elem: DEDUCED, atomic: false };
  return SCALAR;
}

/** The declared fields of a struct (for the zero value of a kind). */
export function structFields(name: string): readonly string[] {
  return Object.keys(STRUCTS[name] ?? {});
}
