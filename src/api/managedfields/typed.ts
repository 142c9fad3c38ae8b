// The walks of structured-merge-diff's typed values that field ownership needs: the set of fields a value
// sets (ToFieldSet), what changed between two values (Compare), the merge of an apply configuration into the
// live object (Merge), and the removal of fields nobody owns any more (RemoveItems, as prune uses it). Each
// walk visits every value once, with the list items of an associative list found by key in a Map, so they
// are linear in the size of the object: a kubelet status write pays one pass over the pod.
import { isObject, type JsonObject, type JsonValue, jsonEqual, setKey } from '../patch/json-value.js';
import { FieldSet, type PathElement } from './field-set.js';
import { deduce, fieldOf, structFields as structKeys, type TypeNode } from './type-node.js';

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

// Key fields that may be omitted because the schema defaults them (upstream's openapi has the defaults).
const KEY_DEFAULTS: Readonly<Record<string, JsonValue>> = { protocol: 'TCP' };

/** The path element of one item of a set or associative list. */
export function itemElement(t: TypeNode & { kind: 'list' }, item: JsonValue): PathElement {
  if (t.rel === 'map' && isObject(item)) {
    if (t.keys.length === 1) {
      const k = t.keys[0]!;
      const v = Object.hasOwn(item, k) ? item[k] : KEY_DEFAULTS[k];
      return v === undefined ? 'k:{}' : `k:{${JSON.stringify(k)}:${JSON.stringify(v)}}`;
    }
    const key: JsonObject = {};
    for (const k of [...t.keys].sort()) {
      const v = Object.hasOwn(item, k) ? item[k] : KEY_DEFAULTS[k];
      if (v !== undefined) setKey(key, k, v);
    }
    return `k:${JSON.stringify(key)}`;
  }
  return `v:${JSON.stringify(item)}`;
}

function resolve(t: TypeNode, v: JsonValue | undefined): Exclude<TypeNode, { kind: 'deduced' }> {
  return t.kind === 'deduced' ? deduce(v) : t;
}

// ---- ToFieldSet ----

/** Every field `value` sets, as typed.TypedValue.ToFieldSet. */
export function toFieldSet(value: JsonValue, t: TypeNode): FieldSet {
  const set = new FieldSet();
  walkSet(value, t, [], set);
  return set;
}

function walkSet(v: JsonValue, type: TypeNode, path: PathElement[], set: FieldSet): void {
  const t = resolve(type, v);
  if (t.kind === 'scalar') {
    set.insert(path);
    return;
  }
  if (v === null) return;
  if (t.kind === 'list') {
    if (t.rel === 'atomic' || !Array.isArray(v)) {
      set.insert(path);
      return;
    }
    const seen = new Set<PathElement>();
    const duplicates = new Set<PathElement>();
    const pes = v.map((item) => itemElement(t, item));
    for (const pe of pes) {
      if (seen.has(pe) && !duplicates.has(pe)) {
        duplicates.add(pe);
        set.insert([...path, pe]);
      }
      seen.add(pe);
    }
    v.forEach((item, i) => {
      const pe = pes[i]!;
      if (duplicates.has(pe)) return;
      path.push(pe);
      walkSet(item, t.elem, path, set);
      set.insert(path);
      path.pop();
    });
    return;
  }
  if (t.atomic || !isObject(v)) {
    set.insert(path);
    return;
  }
  for (const [key, val] of Object.entries(v)) {
    const f = fieldOf(t, key);
    path.push(`f:${key}`);
    walkSet(val, f.type, path, set);
    if (val === null || (isObject(val) && Object.keys(val).length === 0) || !f.declared) set.insert(path);
    path.pop();
  }
}

// ---- Compare ----

/** What changed from `lhs` to `rhs`, leaf by leaf, as typed.TypedValue.Compare. */
export function compare(lhs: JsonValue, rhs: JsonValue, t: TypeNode): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  walkCompare(lhs, rhs, t, [], c);
  return c;
}

function walkCompare(
  l: JsonValue | undefined,
  r: JsonValue | undefined,
  type: TypeNode,
  path: PathElement[],
  c: Comparison,
): void {
  if (l === r) return;
  const t = resolve(type, r !== undefined ? r : l);
  const leaf = (): void => {
    if (l === undefined) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
    else if (!jsonEqual(l, r)) c.modified.insert(path);
  };
  if (t.kind === 'scalar') {
    leaf();
    return;
  }
  if (t.kind === 'list') {
    const la = Array.isArray(l) ? l : l === null || l === undefined ? [] : undefined;
    const ra = Array.isArray(r) ? r : r === null || r === undefined ? [] : undefined;
    if (t.rel === 'atomic' || !la || !ra || (la.length === 0 && ra.length === 0)) {
      leaf();
      return;
    }
    compareItems(la, ra, t, path, c);
  } else {
    const lo = isObject(l) ? l : l === null || l === undefined ? {} : undefined;
    const ro = isObject(r) ? r : r === null || r === undefined ? {} : undefined;
    if (t.atomic || !lo || !ro) {
      leaf();
      return;
    }
    const lk = Object.keys(lo);
    const rk = Object.keys(ro);
    if (lk.length === 0 && rk.length === 0) {
      leaf();
      return;
    }
    for (const key of lk) {
      path.push(`f:${key}`);
      walkCompare(lo[key], Object.hasOwn(ro, key) ? ro[key] : undefined, fieldOf(t, key).type, path, c);
      path.pop();
    }
    for (const key of rk) {
      if (Object.hasOwn(lo, key)) continue;
      path.push(`f:${key}`);
      walkCompare(undefined, ro[key], fieldOf(t, key).type, path, c);
      path.pop();
    }
  }
  if (l === undefined) c.added.insert(path);
  else if (r === undefined) c.removed.insert(path);
}

function groupItems(t: TypeNode & { kind: 'list' }, list: JsonValue[], order: PathElement[]) {
  const m = new Map<PathElement, JsonValue[]>();
  for (const item of list) {
    const pe = itemElement(t, item);
    const g = m.get(pe);
    if (g) g.push(item);
    else {
      m.set(pe, [item]);
      order.push(pe);
    }
  }
  return m;
}

function compareItems(
  la: JsonValue[],
  ra: JsonValue[],
  t: TypeNode & { kind: 'list' },
  path: PathElement[],
  c: Comparison,
): void {
  const order: PathElement[] = [];
  const lm = groupItems(t, la, order);
  const rOrder: PathElement[] = [];
  const rm = groupItems(t, ra, rOrder);
  for (const pe of rOrder) if (!lm.has(pe)) order.push(pe);
  for (const pe of order) {
    const ls = lm.get(pe) ?? [];
    const rs = rm.get(pe) ?? [];
    path.push(pe);
    if (ls.length <= 1 && rs.length <= 1) {
      walkCompare(ls[0], rs[0], t.elem, path, c);
    } else if (ls.length >= 2 && rs.length >= 2) {
      if (!jsonEqual(ls, rs)) c.modified.insert(path);
    } else if (ls.length >= 2) {
      c.removed.insert(path);
    } else {
      c.added.insert(path);
    }
    path.pop();
  }
}

// ---- Merge ----

/**
 * `config` merged into `live` (changed in place where it is an object; the result is returned): maps and
 * structs key by key, associative lists and sets item by item, atomic values replaced. An explicit `null`
 * removes the field (upstream keeps the null, which decoding then drops).
 */
export function merge(live: JsonValue | undefined, config: JsonValue, type: TypeNode): JsonValue {
  const t = resolve(type, config);
  if (t.kind === 'scalar' || config === null) return config;
  if (t.kind === 'list') {
    if (t.rel === 'atomic' || !Array.isArray(config) || !Array.isArray(live)) return config;
    const out = [...live];
    const index = new Map<PathElement, number>();
    out.forEach((item, i) => {
      const pe = itemElement(t, item);
      if (!index.has(pe)) index.set(pe, i);
    });
    for (const item of config) {
      const pe = itemElement(t, item);
      const at = index.get(pe);
      if (at === undefined) {
        index.set(pe, out.length);
        out.push(item);
      } else if (t.rel === 'map') {
        out[at] = merge(out[at], item, t.elem);
      }
    }
    return out;
  }
  if (t.atomic || !isObject(config)) return config;
  const out: JsonObject = isObject(live) ? live : {};
  for (const [key, val] of Object.entries(config)) {
    if (val === null) {
      delete out[key];
      continue;
    }
    setKey(out, key, merge(Object.hasOwn(out, key) ? out[key] : undefined, val, fieldOf(t, key).type));
  }
  return out;
}

// ---- RemoveItems (prune) ----

/**
 * Removes from `value` (in place) the fields of `remove`, except those that have a path of `keep` under them:
 * what an applier gave up goes unless someone still owns something inside it. A map or list that the
 * removal empties goes too (as Go's omitempty drops it).
 */
export function removeUnowned(
  value: JsonValue,
  type: TypeNode,
  remove: FieldSet,
  keep: FieldSet | undefined,
): void {
  const t = resolve(type, value);
  if (t.kind === 'list' && Array.isArray(value) && t.rel !== 'atomic') {
    let w = 0;
    for (let i = 0; i < value.length; i++) {
      const item = value[i]!;
      const pe = itemElement(t, item);
      if (!decide(remove, keep, pe, item, t.elem)) value[w++] = item;
    }
    value.length = w;
    return;
  }
  if ((t.kind === 'map' || t.kind === 'struct') && !t.atomic && isObject(value)) {
    for (const pe of new Set([...remove.members, ...remove.children.keys()])) {
      if (!pe.startsWith('f:')) continue;
      const key = pe.slice(2);
      if (!Object.hasOwn(value, key)) continue;
      if (decide(remove, keep, pe, value[key]!, fieldOf(t, key).type)) delete value[key];
    }
  }
}

/** Whether the child at `pe` goes; when it stays, what goes inside it is removed. */
function decide(
  remove: FieldSet,
  keep: FieldSet | undefined,
  pe: PathElement,
  child: JsonValue,
  t: TypeNode,
): boolean {
  const keepChild = keep?.children.get(pe);
  if (remove.members.has(pe) && !keep?.members.has(pe) && !keepChild) return true;
  const sub = remove.children.get(pe);
  if (!sub || child === null || typeof child !== 'object') return false;
  const before = Array.isArray(child) ? child.length : Object.keys(child).length;
  removeUnowned(child, t, sub, keepChild);
  const after = Array.isArray(child) ? child.length : Object.keys(child).length;
  return before > 0 && after === 0 && !keep?.members.has(pe);
}

// ---- the zero value ----

const zeroCache = new Map<string, JsonObject>();

/** The Go zero value of a struct as the API server's typed converter sees it (see field-types.ts). */
export function zeroValue(t: TypeNode): JsonObject {
  if (t.kind !== 'struct') return {};
  const cached = zeroCache.get(t.name);
  if (cached) return cached;
  const out: JsonObject = {};
  zeroCache.set(t.name, out);
  for (const [key, f] of presentFields(t)) {
    out[key] = f.kind === 'struct' ? zeroValue(f) : null;
  }
  return out;
}

function presentFields(t: TypeNode & { kind: 'struct' }): Array<[string, TypeNode]> {
  const out: Array<[string, TypeNode]> = [];
  for (const key of structKeys(t.name)) {
    const f = fieldOf(t, key);
    if (f.present && f.type.kind !== 'scalar') out.push([key, f.type]);
  }
  return out;
}
