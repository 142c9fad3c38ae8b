// Field ownership: metadata.managedFields read and written, and the two operations that change it, as
// k8s.io/apimachinery's managedfields (fieldmanager.go, structuredmerge.go, managedfieldsupdater.go,
// capmanagers.go, stripmeta.go) and structured-merge-diff's merge.Updater do them.
// - Update (POST, PUT, non-apply PATCH): the writer takes the fields it added or changed; every other manager
//   loses the fields that changed or went.
// - Apply: the applier owns exactly the fields of its configuration; a field that another manager owns and
//   the apply changes is a conflict (refused unless forced, which moves the field to the applier); a field
//   the applier set last time and omits now is removed unless another manager owns it.
import { isObject, type JsonObject, type JsonValue, jsonEqual } from '../patch/json-value.js';
import { FieldSet, FieldsV1Error, type Path, pathString } from './field-set.js';
import type { TypeNode } from './type-node.js';
import { compare, merge, removeUnowned, toFieldSet, zeroValue } from './typed.js';

export type Operation = 'Apply' | 'Update';

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: JsonValue;
  subresource?: string;
}

export interface ManagerEntry {
  manager: string;
  operation: Operation;
  apiVersion: string;
  subresource: string;
  time: string | undefined;
  set: FieldSet;
  /** The entry as read, reused when neither set nor time changed (no re-encoding of untouched managers). */
  raw?: ManagedFieldsEntry;
}

/** Managers by identity (BuildManagerIdentifier: an applier is one manager whatever apiVersion it uses). */
export type Managed = Map<string, ManagerEntry>;

export interface Writer {
  manager: string;
  apiVersion: string;
  subresource: string;
}

export const MAX_UPDATE_MANAGERS = 10;
const ANCIENT_CHANGES = 'ancient-changes';

export function managerId(
  e: Pick<ManagerEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>,
): string {
  return JSON.stringify([e.manager, e.operation, e.operation === 'Apply' ? '' : e.apiVersion, e.subresource]);
}

/**
 * Reads managedFields; a FieldsV1Error for entries upstream's DecodeManagedFields refuses. With `lazy`
 * (managedFields this server wrote), an entry's fieldsV1 is decoded only when its set is used: a write
 * that touches none of a manager's fields neither decodes nor re-encodes that manager.
 */
export function decodeManaged(entries: unknown, lazy = false): Managed {
  const out: Managed = new Map();
  if (entries === undefined || entries === null) return out;
  if (!Array.isArray(entries)) throw new FieldsV1Error('managedFields must be a list');
  entries.forEach((raw: unknown, i) => {
    if (!isObject(raw)) throw new FieldsV1Error(`managedFields[${i}] must be an object`);
    const e = raw as ManagedFieldsEntry;
    if (e.fieldsType !== 'FieldsV1') {
      throw new FieldsV1Error(
        `managedFields[${i}].fieldsType: must be "FieldsV1", not ${JSON.stringify(e.fieldsType)}`,
      );
    }
    if (e.operation !== 'Apply' && e.operation !== 'Update') {
      throw new FieldsV1Error(`managedFields[${i}].operation: must be "Apply" or "Update"`);
    }
    const entry = {
      manager: typeof e.manager === 'string' ? e.manager : '',
      operation: e.operation,
      apiVersion: typeof e.apiVersion === 'string' ? e.apiVersion : '',
      subresource: typeof e.subresource === 'string' ? e.subresource : '',
      time: typeof e.time === 'string' ? e.time : undefined,
      raw: e,
    } as ManagerEntry;
    let set: FieldSet | undefined;
    // An own enumerable accessor, so that `{ ...entry }` copies the (decoded) set.
    Object.defineProperty(entry, 'set', {
      enumerable: true,
      configurable: true,
      get: () => {
        set ??= FieldSet.fromFieldsV1(e.fieldsV1, `managedFields[${i}].fieldsV1`);
        return set;
      },
      set: (v: FieldSet) => {
        set = v;
      },
    });
    if (!lazy) void entry.set;
    const id = managerId(entry);
    if (out.has(id))
      throw new FieldsV1Error(
        `managedFields[${i}]: duplicate entry for manager ${JSON.stringify(entry.manager)}`,
      );
    out.set(id, entry);
  });
  return out;
}

/** managedFields as upstream encodes them: Apply entries first, then by time, manager, apiVersion. */
export function encodeManaged(managed: Managed): ManagedFieldsEntry[] {
  const entries = [...managed.values()].filter((e) =>
    e.raw ? isObject(e.raw.fieldsV1) && Object.keys(e.raw.fieldsV1).length > 0 : !e.set.isEmpty(),
  );
  entries.sort((p, q) => {
    if (p.operation !== q.operation) return p.operation < q.operation ? -1 : 1;
    const pt = p.time ? Math.floor(Date.parse(p.time) / 1000) : 0;
    const qt = q.time ? Math.floor(Date.parse(q.time) / 1000) : 0;
    if (pt !== qt) return pt - qt;
    if (p.manager !== q.manager) return p.manager < q.manager ? -1 : 1;
    if (p.apiVersion !== q.apiVersion) return p.apiVersion < q.apiVersion ? -1 : 1;
    return p.subresource < q.subresource ? -1 : p.subresource > q.subresource ? 1 : 0;
  });
  return entries.map(
    (e) =>
      e.raw ?? {
        manager: e.manager,
        operation: e.operation,
        apiVersion: e.apiVersion,
        ...(e.time ? { time: e.time } : {}),
        fieldsType: 'FieldsV1',
        fieldsV1: e.set.toFieldsV1(),
        ...(e.subresource ? { subresource: e.subresource } : {}),
      },
  );
}

/** What an endpoint may own: the main resource does not own the status, the status subresource only it. */
export interface Scope {
  /** Top-level fields (`f:status`) that this endpoint ignores; undefined = none. */
  ignore?: readonly string[];
  /** Top-level fields that are the only ones this endpoint owns; undefined = all. */
  only?: readonly string[];
}

// stripmeta.go: the server-owned parts of an object belong to nobody.
const STRIPPED_META = [
  'name',
  'namespace',
  'creationTimestamp',
  'selfLink',
  'uid',
  'clusterName',
  'generation',
  'managedFields',
  'resourceVersion',
];

/** The top-level fields of `v` that `scope` owns: a status write compares the status only, not the spec. */
function inScope(v: JsonValue, scope: Scope): JsonValue {
  if (!isObject(v) || (!scope.only && !scope.ignore)) return v;
  const out: JsonObject = {};
  for (const k of Object.keys(v)) {
    if (scope.only && !scope.only.includes(k)) continue;
    if (scope.ignore?.includes(k)) continue;
    out[k] = v[k]!;
  }
  return out;
}

function scoped(set: FieldSet, scope: Scope): FieldSet {
  let out = set;
  if (scope.only) out = out.onlyPrefixes(scope.only.map((f) => [`f:${f}`]));
  for (const f of scope.ignore ?? []) out = out.withoutPrefix([`f:${f}`]);
  out.members.delete('f:apiVersion');
  out.members.delete('f:kind');
  out.members.delete('f:metadata');
  const meta = out.children.get('f:metadata');
  if (meta) {
    for (const f of STRIPPED_META) {
      meta.members.delete(`f:${f}`);
      meta.children.delete(`f:${f}`);
    }
    if (meta.isEmpty()) out.children.delete('f:metadata');
  }
  return out;
}

/** Gives `entry` the fields `set` in `managed` (a new entry object: a refused apply shares the old ones). */
function setOf(managed: Managed, id: string, entry: ManagerEntry, set: FieldSet): void {
  if (set.isEmpty()) managed.delete(id);
  else managed.set(id, set.equals(entry.set) ? entry : { ...entry, set, raw: undefined });
}

/** Whether the fieldsV1 object `raw` has a path of `set` (without decoding it). */
function overlaps(raw: JsonValue | undefined, set: FieldSet): boolean {
  if (!isObject(raw)) return false;
  for (const pe of set.members) {
    const v = raw[pe];
    if (isObject(v) && (Object.keys(v).length === 0 || Object.hasOwn(v, '.'))) return true;
  }
  for (const [pe, child] of set.children) {
    if (Object.hasOwn(raw, pe) && overlaps(raw[pe], child)) return true;
  }
  return false;
}

/** Other managers lose what changed or went (merge.Updater.update); returns the conflicts it took. */
function takeFromOthers(
  managed: Managed,
  selfId: string,
  changed: FieldSet,
  removed: FieldSet,
): Array<{ id: string; entry: ManagerEntry; set: FieldSet }> {
  const conflicts: Array<{ id: string; entry: ManagerEntry; set: FieldSet }> = [];
  for (const [id, entry] of [...managed]) {
    if (id === selfId) continue;
    if (entry.raw && !overlaps(entry.raw.fieldsV1, changed) && !overlaps(entry.raw.fieldsV1, removed))
      continue;
    const conflict = entry.set.intersection(changed);
    if (!conflict.isEmpty()) conflicts.push({ id, entry, set: conflict });
    const lost = entry.set.intersection(removed);
    if (conflict.isEmpty() && lost.isEmpty()) continue;
    setOf(managed, id, entry, entry.set.difference(conflict).difference(removed));
  }
  return conflicts;
}

/**
 * Ownership after an update by `writer` from `live` to `next` (both as they are stored). `live` is undefined
 * for a create: the object is compared with its kind's zero value. Changes `managed` in place.
 */
export function update(
  managed: Managed,
  live: JsonValue | undefined,
  next: JsonValue,
  type: TypeNode,
  writer: Writer,
  scope: Scope,
  now: string,
): Managed {
  const c = compare(inScope(live ?? zeroValue(type), scope), inScope(next, scope), type);
  const changed = scoped(c.modified.union(c.added), scope);
  const removed = scoped(c.removed, scope);
  const selfId = managerId({ ...writer, operation: 'Update' });
  // The writer's own earlier entry is "another manager" here (managedfieldsupdater.go's current-operation).
  takeFromOthers(managed, '', changed, removed);
  if (!changed.isEmpty()) {
    const previous = managed.get(selfId);
    const entry: ManagerEntry = previous ?? {
      manager: writer.manager,
      operation: 'Update',
      apiVersion: writer.apiVersion,
      subresource: writer.subresource,
      time: now,
      set: new FieldSet(),
    };
    entry.set = previous ? previous.set.union(changed) : changed;
    entry.time = now;
    entry.raw = undefined;
    managed.set(selfId, entry);
  }
  capUpdateManagers(managed);
  return managed;
}

export class ApplyConflictError extends Error {
  constructor(readonly conflicts: ReadonlyArray<{ entry: ManagerEntry; path: Path }>) {
    super(conflictMessage(conflicts));
    this.name = 'ApplyConflictError';
  }
}

/** conflict.go's printManager. */
export function printManager(
  e: Pick<ManagerEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>,
): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource) s = `${s} with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') return `${s} using ${e.apiVersion}`;
  return s;
}

function conflictMessage(conflicts: ReadonlyArray<{ entry: ManagerEntry; path: Path }>): string {
  if (conflicts.length === 1) {
    const [c] = conflicts;
    return `Apply failed with 1 conflict: conflict with ${printManager(c!.entry)}: ${pathString(c!.path)}`;
  }
  const byManager = new Map<string, { entry: ManagerEntry; paths: Path[] }>();
  for (const c of conflicts) {
    const id = managerId(c.entry);
    const g = byManager.get(id) ?? { entry: c.entry, paths: [] };
    g.paths.push(c.path);
    byManager.set(id, g);
  }
  const lines: string[] = [];
  for (const id of [...byManager.keys()].sort()) {
    const g = byManager.get(id)!;
    lines.push(`conflicts with ${printManager(g.entry)}:`);
    for (const p of g.paths) lines.push(`- ${pathString(p)}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

export interface ApplyResult {
  /** The live object with the configuration merged in and the fields the applier gave up removed. */
  object: JsonObject;
  /** Whether the object changed (an unchanged object keeps the applier's time). */
  changed: boolean;
}

/**
 * Server-side apply of `config` by `writer` to `live` (undefined: the object does not exist yet). Changes
 * `managed` in place; throws ApplyConflictError when the apply changes fields other managers own and
 * `force` is not set.
 */
export function apply(
  managed: Managed,
  live: JsonObject | undefined,
  config: JsonObject,
  type: TypeNode,
  writer: Writer,
  scope: Scope,
  force: boolean,
  now: string,
): ApplyResult {
  const selfId = managerId({ ...writer, operation: 'Apply' });
  const previous = managed.get(selfId);
  const configSet = scoped(toFieldSet(config, type), scope);
  const base = live ?? {};
  const object = merge(structuredClone(base), config, type) as JsonObject;
  // prune: what the applier owned last time and nobody owns now goes.
  if (previous && !previous.set.isEmpty()) {
    let owned = configSet;
    for (const [id, e] of managed) if (id !== selfId) owned = owned.union(e.set);
    const remove = previous.set.difference(owned);
    if (!remove.isEmpty()) removeUnowned(object, type, remove, owned);
  }
  const c = compare(inScope(live ?? zeroValue(type), scope), inScope(object, scope), type);
  const changed = scoped(c.modified.union(c.added), scope);
  const removed = scoped(c.removed, scope);
  const owners = new Map(managed);
  const conflicts = takeFromOthers(owners, selfId, changed, removed);
  if (conflicts.length > 0 && !force) {
    conflicts.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    throw new ApplyConflictError(
      conflicts.flatMap(({ entry, set }) => set.paths().map((path) => ({ entry, path }))),
    );
  }
  managed.clear();
  for (const [id, e] of owners) managed.set(id, e);
  const objectChanged = !jsonEqual(base, object);
  const entry: ManagerEntry = previous
    ? { ...previous }
    : {
        manager: writer.manager,
        operation: 'Apply',
        apiVersion: writer.apiVersion,
        subresource: writer.subresource,
        time: undefined,
        set: new FieldSet(),
      };
  if (entry.apiVersion !== writer.apiVersion) {
    entry.apiVersion = writer.apiVersion;
    entry.raw = undefined;
  }
  if (objectChanged) {
    entry.time = now;
    entry.raw = undefined;
  }
  setOf(managed, selfId, entry, configSet);
  return { object, changed: objectChanged };
}

/** capmanagers.go: past MAX_UPDATE_MANAGERS updaters, the oldest merge into `ancient-changes`. */
export function capUpdateManagers(managed: Managed, max = MAX_UPDATE_MANAGERS): void {
  const updaters = [...managed].filter(([, e]) => e.operation === 'Update');
  if (updaters.length <= max) return;
  const seconds = (e: ManagerEntry) => (e.time ? Math.floor(Date.parse(e.time) / 1000) : 0);
  updaters.sort(([ia, a], [ib, b]) => seconds(a) - seconds(b) || (ia < ib ? -1 : ia > ib ? 1 : 0));
  const firstByVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > max; i++) {
    const [id, e] = updaters[i]!;
    const bucketId = managerId({
      manager: ANCIENT_CHANGES,
      operation: 'Update',
      apiVersion: e.apiVersion,
      subresource: '',
    });
    const first = firstByVersion.get(e.apiVersion);
    if (first === undefined) {
      firstByVersion.set(e.apiVersion, id);
      continue;
    }
    let bucket = managed.get(bucketId);
    if (!bucket) {
      const firstEntry = managed.get(first)!;
      managed.delete(first);
      bucket = { ...firstEntry, manager: ANCIENT_CHANGES, subresource: '', raw: undefined };
      managed.set(bucketId, bucket);
    }
    bucket.set = e.set.union(bucket.set);
    bucket.time = e.time;
    bucket.raw = undefined;
    managed.delete(id);
    length--;
  }
}
