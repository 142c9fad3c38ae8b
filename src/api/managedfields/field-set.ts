// Sets of field paths, as structured-merge-diff's fieldpath.Set, and their `FieldsV1` encoding in
// metadata.managedFields. A path element is kept as the text fieldsV1 spells it: `f:<field>`,
// `k:<json object of the key fields>` (an item of an associative list), `v:<json value>` (an item of a set),
// `i:<index>`. A set is a trie: `members` are the paths that end here, `children` the paths that go on.
import { isObject, type JsonObject, type JsonValue } from '../patch/json-value.js';

export type PathElement = string;
export type Path = readonly PathElement[];

export class FieldSet {
  readonly members = new Set<PathElement>();
  readonly children = new Map<PathElement, FieldSet>();

  isEmpty(): boolean {
    return this.members.size === 0 && this.children.size === 0;
  }

  insert(path: Path): void {
    let node: FieldSet = this;
    for (let i = 0; i < path.length - 1; i++) node = node.descend(path[i]!);
    if (path.length > 0) node.members.add(path[path.length - 1]!);
  }

  has(path: Path): boolean {
    let node: FieldSet | undefined = this;
    for (let i = 0; i < path.length - 1 && node; i++) node = node.children.get(path[i]!);
    return !!node && path.length > 0 && node.members.has(path[path.length - 1]!);
  }

  /** The child set under `pe`, created when missing. */
  descend(pe: PathElement): FieldSet {
    let child = this.children.get(pe);
    if (!child) {
      child = new FieldSet();
      this.children.set(pe, child);
    }
    return child;
  }

  union(other: FieldSet): FieldSet {
    const out = this.copy();
    out.#addAll(other);
    return out;
  }

  #addAll(other: FieldSet): void {
    for (const m of other.members) this.members.add(m);
    for (const [pe, c] of other.children) this.descend(pe).#addAll(c);
  }

  /** The paths of this set that `other` does not have (path by path, as fieldpath.Set.Difference). */
  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!other.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      const o = other.children.get(pe);
      const d = o ? c.difference(o) : c.copy();
      if (!d.isEmpty()) out.children.set(pe, d);
    }
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    const [small, large] = this.members.size <= other.members.size ? [this, other] : [other, this];
    for (const m of small.members) if (large.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      const o = other.children.get(pe);
      if (!o) continue;
      const i = c.intersection(o);
      if (!i.isEmpty()) out.children.set(pe, i);
    }
    return out;
  }

  /** This set without any path under (or at) `prefix`. */
  withoutPrefix(prefix: Path): FieldSet {
    if (prefix.length === 0) return new FieldSet();
    const out = this.copy();
    let node: FieldSet | undefined = out;
    for (let i = 0; i < prefix.length - 1 && node; i++) node = node.children.get(prefix[i]!);
    if (node) {
      const last = prefix[prefix.length - 1]!;
      node.members.delete(last);
      node.children.delete(last);
    }
    return out;
  }

  /** This set with only the paths under (or at) one of `prefixes`. */
  onlyPrefixes(prefixes: readonly Path[]): FieldSet {
    const out = new FieldSet();
    for (const prefix of prefixes) {
      let src: FieldSet | undefined = this;
      let dst = out;
      for (let i = 0; i < prefix.length - 1 && src; i++) {
        src = src.children.get(prefix[i]!);
        dst = dst.descend(prefix[i]!);
      }
      const last = prefix[prefix.length - 1]!;
      if (!src) continue;
      if (src.members.has(last)) dst.members.add(last);
      const c = src.children.get(last);
      if (c) dst.children.set(last, c.copy());
    }
    out.#prune();
    return out;
  }

  #prune(): void {
    for (const [pe, c] of this.children) {
      c.#prune();
      if (c.isEmpty()) this.children.delete(pe);
    }
  }

  copy(): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) out.members.add(m);
    for (const [pe, c] of this.children) out.children.set(pe, c.copy());
    return out;
  }

  equals(other: FieldSet): boolean {
    if (this.members.size !== other.members.size || this.children.size !== other.children.size) return false;
    for (const m of this.members) if (!other.members.has(m)) return false;
    for (const [pe, c] of this.children) {
      const o = other.children.get(pe);
      if (!o || !c.equals(o)) return false;
    }
    return true;
  }

  /** Every member path, in fieldpath's order (a member before the paths under it). */
  paths(prefix: PathElement[] = [], out: PathElement[][] = []): PathElement[][] {
    const keys = new Set([...this.members, ...this.children.keys()]);
    for (const pe of [...keys].sort(comparePathElements)) {
      if (this.members.has(pe)) out.push([...prefix, pe]);
      const c = this.children.get(pe);
      if (c) c.paths([...prefix, pe], out);
    }
    return out;
  }

  /** The FieldsV1 object of this set. */
  toFieldsV1(): JsonObject {
    const out: JsonObject = {};
    // Every element once: members without a child set, then the children.
    const keys: PathElement[] = [];
    for (const m of this.members) if (!this.children.has(m)) keys.push(m);
    for (const pe of this.children.keys()) keys.push(pe);
    if (keys.length > 1) keys.sort(comparePathElements);
    for (const pe of keys) {
      const c = this.children.get(pe);
      if (!c) {
        out[pe] = {};
        continue;
      }
      const inner = c.toFieldsV1();
      out[pe] = this.members.has(pe) ? { '.': {}, ...inner } : inner;
    }
    return out;
  }

  /** Reads a FieldsV1 object; throws a FieldsV1Error naming what is wrong. */
  static fromFieldsV1(v: JsonValue | undefined, where = 'fieldsV1'): FieldSet {
    const out = new FieldSet();
    if (v === undefined || v === null) return out;
    if (!isObject(v)) throw new FieldsV1Error(`${where}: expected an object`);
    out.#read(v, where);
    return out;
  }

  #read(v: JsonObject, where: string): void {
    for (const [pe, sub] of Object.entries(v)) {
      if (pe === '.') continue;
      if (!/^[fkvi]:/.test(pe))
        throw new FieldsV1Error(`${where}: unexpected path element ${JSON.stringify(pe)}`);
      if (!isObject(sub))
        throw new FieldsV1Error(`${where}: the value of ${JSON.stringify(pe)} must be an object`);
      const keys = Object.keys(sub);
      if (keys.length === 0 || '.' in sub) this.members.add(pe);
      if (keys.some((k) => k !== '.')) this.descend(pe).#read(sub, where);
    }
  }
}

export class FieldsV1Error extends Error {}

// fieldpath.PathElement.Compare: field names before keys before values before indexes; keys field by field.
const KIND_ORDER: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };
const F = 'f'.charCodeAt(0);

export function comparePathElements(a: PathElement, b: PathElement): number {
  if (a === b) return 0;
  // Two field names (most comparisons): the same `f:` prefix, so the texts compare as the names do.
  if (a.charCodeAt(0) === F && b.charCodeAt(0) === F) return a < b ? -1 : 1;
  const ka = KIND_ORDER[a[0]!] ?? 4;
  const kb = KIND_ORDER[b[0]!] ?? 4;
  if (ka !== kb) return ka - kb;
  const ra = a.slice(2);
  const rb = b.slice(2);
  switch (a[0]) {
    case 'f':
      return ra < rb ? -1 : 1;
    case 'i':
      return Number(ra) - Number(rb);
    case 'v':
      return compareValues(parse(ra), parse(rb));
    default: {
      const fa = Object.entries(parse(ra) as JsonObject);
      const fb = Object.entries(parse(rb) as JsonObject);
      for (let i = 0; ; i++) {
        if (i >= fa.length || i >= fb.length) return fa.length - fb.length;
        const [na, va] = fa[i]!;
        const [nb, vb] = fb[i]!;
        if (na !== nb) return na < nb ? -1 : 1;
        const c = compareValues(va, vb);
        if (c !== 0) return c;
      }
    }
  }
}

function parse(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

// value.Compare's order of types: null, then booleans, numbers, strings, lists, maps.
function rank(v: JsonValue): number {
  if (v === null) return 0;
  if (typeof v === 'boolean') return 1;
  if (typeof v === 'number') return 2;
  if (typeof v === 'string') return 3;
  return Array.isArray(v) ? 4 : 5;
}

function compareValues(a: JsonValue, b: JsonValue): number {
  const d = rank(a) - rank(b);
  if (d !== 0) return d;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const sa = typeof a === 'string' ? a : JSON.stringify(a);
  const sb = typeof b === 'string' ? b : JSON.stringify(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** fieldpath.Path.String(): `.spec.containers[name="app"].image`, `.metadata.finalizers[="x"]`. */
export function pathString(path: Path): string {
  return path
    .map((pe) => {
      const rest = pe.slice(2);
      switch (pe[0]) {
        case 'f':
          return `.${rest}`;
        case 'k':
          return `[${Object.entries(parse(rest) as JsonObject)
            .map(([k, v]) => `${k}=${valueString(v)}`)
            .join(',')}]`;
        case 'v':
          return `[=${valueString(parse(rest))}]`;
        default:
          return `[${rest}]`;
      }
    })
    .join('');
}

// value.ToString: strings quoted, everything else as JSON.
function valueString(v: JsonValue): string {
  return JSON.stringify(v);
}
