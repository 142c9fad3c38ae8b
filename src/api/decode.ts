// Strict structural decoding of an object against the Kubernetes v1.30 types podrun serves, like the API server's
// strict JSON decoder: unknown fields are collected separately (the caller decides Strict/Warn/Ignore) and removed;
// type mismatches are FieldErrors. Semantic rules live in validation/.

import { cloneJson } from '../store/json-clone.js';
import { knownKindNames, resolveKind } from './kinds.js';
import { INT_FORMATS } from './schema/int-formats.generated.js';
import { STRUCTS } from './schema/types.generated.js';
import type { KubeObject } from './types.js';
import {
  type FieldError,
  notSupported,
  OMIT_VALUE,
  required,
  typeInvalid,
} from './validation/field-error.js';
import { child, index, key } from './validation/path.js';

export interface DecodeResult {
  /** The decoded object with unknown fields and nulls removed; undefined when `errors` is not empty. */
  object: KubeObject | undefined;
  /** Dotted paths of fields the schema does not know, e.g. `spec.containers[0].imagee`. */
  unknownFields: string[];
  errors: FieldError[];
}

// resource.ErrFormatWrong's wording (apimachinery pkg/api/resource/quantity.go).
const QUANTITY_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;
export const QUANTITY_FORMAT_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const RFC3339_RE = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

interface Ctx {
  unknown: string[];
  errors: FieldError[];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'number' ? 'number' : typeof v === 'object' ? 'object' : typeof v;
}

/** Where base64 decoding fails, as Go's base64.CorruptInputError counts (newlines are skipped). */
export function base64ErrorOffset(s: string): number | undefined {
  const clean = s.replace(/[\r\n]/g, '');
  const m = /[^A-Za-z0-9+/=]/.exec(clean);
  if (m) return m.index;
  const pad = clean.indexOf('=');
  if (pad >= 0 && (!/^=*$/.test(clean.slice(pad)) || clean.length - pad > 2)) return pad;
  if (clean.length % 4 !== 0) return clean.length - (clean.length % 4);
  return undefined;
}

function zeroOf(type: string): unknown {
  if (type === 'string' || type === 'time' || type === 'bytes') return '';
  if (type === 'int' || type === 'int32' || type === 'int64') return 0;
  if (type === 'bool') return false;
  if (type.startsWith('[]') || type === 'any') return null;
  if (type.startsWith('map[')) return {};
  return {};
}

// The schema says `int` for every integer; fieldDesc makes it the Go field's int32 or int64 (INT_FORMATS).
type LeafType =
  | 'string'
  | 'int'
  | 'int32'
  | 'int64'
  | 'bool'
  | 'intOrString'
  | 'quantity'
  | 'time'
  | 'bytes'
  | 'any';
const LEAF_TYPES = new Set<string>([
  'string',
  'int',
  'int32',
  'int64',
  'bool',
  'intOrString',
  'quantity',
  'time',
  'bytes',
  'any',
]);

/**
 * A schema type parsed once: every object written through the API is decoded, so the per-field work is kept to
 * a lookup (no string slicing or prefix tests per value).
 */
type TypeDesc =
  | { kind: 'leaf'; type: LeafType }
  | { kind: 'array'; itemType: string; item: TypeDesc | undefined }
  | { kind: 'map'; itemType: string; item: TypeDesc | undefined }
  | {
      kind: 'struct';
      type: string;
      fields: Readonly<Record<string, string>>;
      byField: Map<string, TypeDesc>;
    };

const DESCS = new Map<string, TypeDesc>();

function descOf(type: string): TypeDesc {
  let d = DESCS.get(type);
  if (d) return d;
  if (LEAF_TYPES.has(type)) d = { kind: 'leaf', type: type as LeafType };
  else if (type.startsWith('[]')) d = { kind: 'array', itemType: type.slice(2), item: undefined };
  else if (type.startsWith('map[string]'))
    d = { kind: 'map', itemType: type.slice('map[string]'.length), item: undefined };
  else {
    const fields = STRUCTS[type];
    if (!fields) throw new Error(`decode: no schema for type ${type}`);
    d = { kind: 'struct', type, fields, byField: new Map() };
  }
  DESCS.set(type, d);
  return d;
}

function fieldDesc(d: TypeDesc & { kind: 'struct' }, field: string): TypeDesc | undefined {
  let f = d.byField.get(field);
  if (f) return f;
  if (!Object.hasOwn(d.fields, field)) return undefined;
  let type = d.fields[field]!;
  if (type === 'int' || type.endsWith(']int')) {
    // A field the table lacks (none, as generated) gets int64's range: never narrower than upstream's.
    type = type.slice(0, -3) + (INT_FORMATS[d.type]?.[field] ?? 'int64');
  }
  f = descOf(type);
  d.byField.set(field, f);
  return f;
}

/**
 * Where a value sits, built into a string only when an error or unknown field needs it (most values are fine).
 * `seg` is a field name (child), an index, or a map key; `owner` is the struct type holding a field.
 */
interface At {
  parent: At | undefined;
  seg: string | number;
  mapKey: boolean;
  owner: string | undefined;
}

function render(at: At | undefined): string {
  if (!at) return '';
  const p = render(at.parent);
  if (typeof at.seg === 'number') return index(p, at.seg);
  return at.mapKey ? key(p, at.seg) : child(p, at.seg);
}

/**
 * The field path as encoding/json's UnmarshalTypeError names it: the JSON field names from the root, without
 * indexes or map keys (`spec.containers.ports.containerPort`).
 */
function goFieldPath(at: At | undefined): string {
  let out = '';
  for (let a = at; a; a = a.parent) {
    if (typeof a.seg === 'string' && !a.mapKey) out = out === '' ? a.seg : `${a.seg}.${out}`;
  }
  return out;
}

/** The Go struct type holding the field at `at` (the nearest one, for an item of a list or map). */
function goOwner(at: At | undefined): string {
  for (let a = at; a; a = a.parent) if (a.owner !== undefined) return a.owner;
  return '';
}

/**
 * Marks a leaf value of the wrong type; the reason is left in `badDetail`, or for a number its Go field cannot
 * hold, the Go type in `badGoType` (decoding is synchronous).
 */
const BAD: unique symbol = Symbol('bad');
let badDetail = '';
let badGoType: 'int32' | 'int64' | undefined;

function bad(detail: string): typeof BAD {
  badDetail = detail;
  badGoType = undefined;
  return BAD;
}

function badNumber(goType: 'int32' | 'int64'): typeof BAD {
  badGoType = goType;
  return BAD;
}

/**
 * The reason for the last BAD. A number that is not an integer or does not fit the Go field is refused as
 * upstream's decoder refuses it, in encoding/json's words (UnmarshalTypeError; the number printed as JSON
 * prints it, since the request's own spelling is gone after JSON.parse).
 */
function badReason(value: unknown, owner: string, goPath: string): string {
  if (badGoType === undefined) return badDetail;
  return `json: cannot unmarshal number ${String(value)} into Go struct field ${owner}.${goPath} of type ${badGoType}`;
}

// int64's range as doubles: -2^63 is exact; 2^63 - 1 rounds up to 2^63, so the bound is exclusive (a JSON
// 9223372036854775807 is refused, where upstream takes it: the request's text is gone after JSON.parse).
const INT64_BOUND = 2 ** 63;

function decodeInt(value: unknown, goType: 'int32' | 'int64'): unknown {
  if (typeof value !== 'number') return bad(`must be of type integer, not ${jsonType(value)}`);
  if (goType === 'int32') return (value | 0) === value ? value : badNumber('int32');
  return Number.isInteger(value) && value >= -INT64_BOUND && value < INT64_BOUND ? value : badNumber('int64');
}

function decodeLeaf(value: unknown, type: LeafType): unknown {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? value : bad(`must be of type string, not ${jsonType(value)}`);
    case 'int32':
      return decodeInt(value, 'int32');
    case 'int':
    case 'int64':
      return decodeInt(value, 'int64');
    case 'bool':
      return typeof value === 'boolean' ? value : bad(`must be of type boolean, not ${jsonType(value)}`);
    case 'intOrString':
      if (typeof value === 'string') return value;
      // IntOrString.UnmarshalJSON decodes a number into its IntVal, an int32.
      if (typeof value === 'number') return (value | 0) === value ? value : badNumber('int32');
      return bad(`must be an integer or a string, not ${jsonType(value)}`);
    case 'quantity': {
      // Go's Quantity also unmarshals bare JSON numbers.
      const s = typeof value === 'number' ? String(value) : value;
      if (typeof s !== 'string') return bad(`must be a quantity string, not ${jsonType(value)}`);
      return QUANTITY_RE.test(s) ? s : bad(QUANTITY_FORMAT_ERROR);
    }
    case 'time':
      if (typeof value !== 'string')
        return bad(`must be an RFC3339 timestamp string, not ${jsonType(value)}`);
      return RFC3339_RE.test(value) ? value : bad('must be an RFC3339 timestamp (e.g. 2006-01-02T15:04:05Z)');
    case 'bytes': {
      if (typeof value !== 'string') return bad(`must be a base64 string, not ${jsonType(value)}`);
      const at = base64ErrorOffset(value);
      return at === undefined ? value : bad(`illegal base64 data at input byte ${at}`);
    }
    case 'any':
      return cloneJson(value);
  }
}

/** The decoded value, or undefined after recording a type error at `at`. */
function decodeValue(value: unknown, d: TypeDesc, at: At | undefined, ctx: Ctx): unknown {
  switch (d.kind) {
    case 'leaf': {
      const out = decodeLeaf(value, d.type);
      if (out !== BAD) return out;
      // Bytes are opaque data (a Secret's values, binaryData): the error names the field, never the content.
      ctx.errors.push(
        typeInvalid(
          render(at),
          d.type === 'bytes' ? OMIT_VALUE : value,
          badReason(value, goOwner(at), goFieldPath(at)),
        ),
      );
      return undefined;
    }
    case 'array': {
      if (!Array.isArray(value)) {
        ctx.errors.push(typeInvalid(render(at), value, `must be of type array, not ${jsonType(value)}`));
        return undefined;
      }
      d.item ??= descOf(d.itemType);
      const out = new Array<unknown>(value.length);
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        out[i] =
          item === null || item === undefined
            ? zeroOf(d.itemType)
            : decodeValue(item, d.item, { parent: at, seg: i, mapKey: false, owner: undefined }, ctx);
      }
      return out;
    }
    case 'map': {
      if (!isPlainObject(value)) {
        ctx.errors.push(typeInvalid(render(at), value, `must be of type object, not ${jsonType(value)}`));
        return undefined;
      }
      d.item ??= descOf(d.itemType);
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(value)) {
        const v = value[k];
        if (v === null || v === undefined) continue;
        const decoded = decodeValue(v, d.item, { parent: at, seg: k, mapKey: true, owner: undefined }, ctx);
        // A map key is the user's: `__proto__` (a ConfigMap key may be one) must stay an own property.
        if (decoded !== undefined) setOwn(out, k, decoded);
      }
      return out;
    }
    case 'struct': {
      if (!isPlainObject(value)) {
        ctx.errors.push(typeInvalid(render(at), value, `must be of type object, not ${jsonType(value)}`));
        return undefined;
      }
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(value)) {
        const f = fieldDesc(d, k);
        if (f === undefined) {
          ctx.unknown.push(child(render(at), k));
          continue;
        }
        const v = value[k];
        if (v === null || v === undefined) continue;
        let decoded: unknown;
        if (f.kind === 'leaf') {
          // Leaves are decoded here so that a path is only made for a value that is wrong.
          decoded = decodeLeaf(v, f.type);
          if (decoded === BAD) {
            const parentPath = goFieldPath(at);
            const reason = badReason(v, d.type, parentPath === '' ? k : `${parentPath}.${k}`);
            ctx.errors.push(typeInvalid(child(render(at), k), v, reason));
            continue;
          }
        } else {
          decoded = decodeValue(v, f, { parent: at, seg: k, mapKey: false, owner: d.type }, ctx);
        }
        if (decoded !== undefined) out[k] = decoded;
      }
      return out;
    }
  }
}

/** Checks `input` against the schema of its apiVersion/kind. See DecodeResult. */
export function decodeObject(input: unknown): DecodeResult {
  const ctx: Ctx = { unknown: [], errors: [] };
  if (!isPlainObject(input)) {
    ctx.errors.push(typeInvalid('', input, `must be a JSON object, not ${jsonType(input)}`));
    return { object: undefined, unknownFields: [], errors: ctx.errors };
  }
  const { apiVersion, kind } = input;
  if (typeof apiVersion !== 'string' || apiVersion === '') {
    ctx.errors.push(
      apiVersion === undefined || apiVersion === '' || apiVersion === null
        ? required('apiVersion')
        : typeInvalid('apiVersion', apiVersion, `must be of type string, not ${jsonType(apiVersion)}`),
    );
  }
  if (typeof kind !== 'string' || kind === '') {
    ctx.errors.push(
      kind === undefined || kind === '' || kind === null
        ? required('kind')
        : typeInvalid('kind', kind, `must be of type string, not ${jsonType(kind)}`),
    );
  }
  if (ctx.errors.length > 0) return { object: undefined, unknownFields: [], errors: ctx.errors };
  const resolved = resolveKind(apiVersion as string, kind as string);
  if (!resolved.ok) {
    ctx.errors.push(
      resolved.reason === 'version'
        ? notSupported('apiVersion', apiVersion, resolved.apiVersions)
        : notSupported('kind', kind, knownKindNames()),
    );
    return { object: undefined, unknownFields: [], errors: ctx.errors };
  }
  const object = decodeValue(input, descOf(resolved.struct), undefined, ctx) as KubeObject;
  if (object.metadata === undefined) object.metadata = {};
  return {
    object: ctx.errors.length === 0 ? object : undefined,
    unknownFields: ctx.unknown,
    errors: ctx.errors,
  };
}

/** out[key] = value, as an own data property even for `__proto__` (plain assignment sets the prototype). */
function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    out[key] = value;
  }
}
