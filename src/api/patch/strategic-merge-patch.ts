// Strategic merge patch, `application/strategic-merge-patch+json`, as the API server applies it
// (apimachinery pkg/util/strategicpatch/patch.go, StrategicMergePatch with MergeParallelList and
// IgnoreUnmatchedNulls). Lists merge by the merge keys of patch-schema.ts; lists without one are replaced.
// Directives: `null` deletes a key; `$patch: replace|delete` in a map, `$patch: delete|replace` as a list
// item; `$setElementOrder/<list>`; `$deleteFromPrimitiveList/<list>`; `$retainKeys`.
//
// One deliberate difference: where upstream copies a patch value that has no counterpart in the original
// verbatim (nested directives and nulls included) and then relies on decoding into Go structs to drop them,
// podrun runs that value through the same merge against an empty original, so no directive or null is
// ever stored.
import { cloneJson } from '../../store/json-clone.js';
import { PatchError } from './errors.js';
import { isObject, type JsonObject, type JsonValue, setKey } from './json-value.js';
import { canonicalJson, ListIndex } from './list-index.js';
import { type FieldMeta, patchSchemaFor, type TypeSchema } from './patch-schema.js';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';

/**
 * Applies `patch` to `original` for an object of `kind` (e.g. `Deployment`). Inputs are not modified; the
 * result shares nothing with them. Throws PatchError for malformed directives.
 */
export function strategicMergePatch<T extends object>(original: T, patch: object, kind: string): T {
  if (!isObject(patch)) throw new PatchError('malformed', 'strategic merge patch must be a JSON object');
  return mergeMap(
    cloneJson(original) as unknown as JsonObject,
    cloneJson(patch) as JsonObject,
    patchSchemaFor(kind),
    '',
  ) as unknown as T;
}

/** Exposed for server-side apply, which merges with the same schema. */
export function mergeWithSchema(original: JsonObject, patch: JsonObject, schema: TypeSchema): JsonObject {
  return mergeMap(cloneJson(original), cloneJson(patch), schema, '');
}

/** A directive's value for a message; String() would throw on `{"toString": 1}` (an object from the patch). */
function directiveText(v: JsonValue | undefined): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function mergeMap(original: JsonObject, patch: JsonObject, schema: TypeSchema, path: string): JsonObject {
  if (Object.hasOwn(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    if (directive === 'replace') {
      delete patch[DIRECTIVE];
      return mergeMap({}, patch, schema, path);
    }
    if (directive === 'delete') return {};
    throw new PatchError(
      'malformed',
      `unknown patch type: ${typeof directive === 'string' ? directive : JSON.stringify(directive)} in map: ${JSON.stringify(patch)}`,
    );
  }

  applyRetainKeys(original, patch, path);
  applySetElementOrder(original, patch, schema, path);

  for (const rawKey of Object.keys(patch)) {
    const patchValue = patch[rawKey]!;
    let key = rawKey;
    let isDeleteList = false;
    if (rawKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      key = rawKey.slice(DELETE_FROM_PRIMITIVE_LIST.length);
      isDeleteList = true;
    } else if (rawKey.startsWith('$')) {
      // Directives handled above, or unknown ones: never stored.
      continue;
    }
    const meta: FieldMeta = schema[key] ?? {};
    const childPath = join(path, key);

    if (patchValue === null) {
      delete original[key];
      continue;
    }
    const exists = Object.hasOwn(original, key);
    const current = exists ? original[key]! : undefined;

    if (isDeleteList) {
      if (!Array.isArray(patchValue)) {
        throw new PatchError('malformed', `${rawKey}: the delete list must be a list`);
      }
      if (Array.isArray(current)) {
        const doomed = new ListIndex(patchValue, undefined);
        original[key] = current.filter((v) => !doomed.has(v));
      }
      continue;
    }

    if (isObject(patchValue) && (current === undefined || isObject(current))) {
      setKey(original, key, mergeMap(current ?? {}, patchValue, meta.type ?? {}, childPath));
    } else if (Array.isArray(patchValue) && (current === undefined || Array.isArray(current))) {
      setKey(original, key, mergeList(current ?? [], patchValue, meta, childPath));
    } else {
      // Scalars, and a value whose type differs from the original's, replace it.
      setKey(original, key, withoutNullsOrDirectives(patchValue, meta, childPath));
    }
  }
  return original;
}

/** A patch value that has no counterpart in the original, cleaned the way a merge into nothing would. */
function withoutNullsOrDirectives(value: JsonValue, meta: FieldMeta, path: string): JsonValue {
  if (isObject(value)) return mergeMap({}, value, meta.type ?? {}, path);
  if (Array.isArray(value)) return mergeList([], value, meta, path);
  return value;
}

function mergeList(original: JsonValue[], patch: JsonValue[], meta: FieldMeta, path: string): JsonValue[] {
  if (meta.strategy !== 'merge') return patch;
  if (original.length === 0 && patch.length === 0) return original;

  const objects = [...original, ...patch].some(isObject);
  if (!objects) {
    // A set of scalars (finalizers): union, keeping first occurrences.
    const merged: JsonValue[] = [];
    const seen = new Set<string>();
    for (const v of [...original, ...patch]) {
      const k = canonicalJson(v);
      if (seen.has(k)) continue;
      seen.add(k);
      merged.push(v);
    }
    const inPatch = new ListIndex(patch, undefined);
    const [patchItems, serverOnly] = partition(merged, (v) => inPatch.has(v));
    return normalizeElementOrder(patchItems, serverOnly, patch, original, undefined);
  }

  const mergeKey = meta.mergeKey;
  if (!mergeKey) throw new PatchError('malformed', `cannot merge lists without merge key for ${path}`);
  for (const item of [...original, ...patch]) {
    if (!isObject(item))
      throw new PatchError('malformed', `${path}: cannot mix objects and scalars in one list`);
  }
  let base = original as JsonObject[];
  const items: JsonObject[] = [];
  const deleted = new Set<string>();
  let replace = false;
  for (const item of patch as JsonObject[]) {
    if (!Object.hasOwn(item, DIRECTIVE)) {
      items.push(item);
      continue;
    }
    const directive = item[DIRECTIVE];
    if (directive === 'delete') {
      if (!Object.hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
      deleted.add(canonicalJson(item[mergeKey]));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw new PatchError('malformed', 'merging lists cannot yet be specified in the patch');
    } else {
      throw new PatchError(
        'malformed',
        `unknown patch type: ${directiveText(directive)} in map: ${JSON.stringify(item)}`,
      );
    }
  }
  if (deleted.size > 0) base = base.filter((o) => !deleted.has(canonicalJson(o[mergeKey])));
  // `$patch: replace` as an item: the other items are the whole list.
  if (replace) base = [];

  const merged: JsonObject[] = [...base];
  // Where each merge key value first sits in `merged`: the item a linear search would find.
  const keyOf = (o: JsonObject) => canonicalJson(o[mergeKey]);
  const at = new Map<string, number>();
  merged.forEach((o, i) => {
    const k = keyOf(o);
    if (!at.has(k)) at.set(k, i);
  });
  for (const item of items) {
    if (!Object.hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
    const k = canonicalJson(item[mergeKey]);
    const i = at.get(k);
    const itemPath = `${path}[${mergeKey}=${JSON.stringify(item[mergeKey])}]`;
    if (i !== undefined) {
      merged[i] = mergeMap(merged[i]!, item, meta.type ?? {}, itemPath);
      const now = keyOf(merged[i]!);
      if (now !== k) {
        // The merge changed the item's key (a null merge key is dropped): index what is there now.
        const next = merged.findIndex((o, n) => n > i && keyOf(o) === k);
        if (next >= 0) at.set(k, next);
        else at.delete(k);
        const first = at.get(now);
        if (first === undefined || first > i) at.set(now, i);
      }
    } else {
      const added = mergeMap({}, item, meta.type ?? {}, itemPath);
      merged.push(added);
      const now = keyOf(added);
      if (!at.has(now)) at.set(now, merged.length - 1);
    }
  }
  if (replace) return merged;
  const inPatch = new ListIndex(items, mergeKey);
  const [patchItems, serverOnly] = partition(merged, (v) => inPatch.has(v));
  return normalizeElementOrder(patchItems, serverOnly, items, base, mergeKey);
}

function noMergeKey(item: JsonObject, mergeKey: string): PatchError {
  return new PatchError(
    'malformed',
    `map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`,
  );
}

/** `$retainKeys: [..]` clears every key of the original not listed. */
function applyRetainKeys(original: JsonObject, patch: JsonObject, path: string): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS)) return;
  const retain = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(retain))
    throw new PatchError('malformed', `invalid patch format of retainKeys at ${path || '<root>'}`);
  const keep = new Set(retain.map(String));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!keep.has(k))
      throw new PatchError('malformed', `invalid patch format of retainKeys at ${path || '<root>'}`);
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

/**
 * `$setElementOrder/<list>`: merges the list now, then orders it: the items named in the directive in its
 * order, with items only on the server kept where they were relative to them (mergePatchIntoOriginal).
 */
function applySetElementOrder(
  original: JsonObject,
  patch: JsonObject,
  schema: TypeSchema,
  path: string,
): void {
  for (const directiveKey of Object.keys(patch)) {
    if (!directiveKey.startsWith(SET_ELEMENT_ORDER)) continue;
    const key = directiveKey.slice(SET_ELEMENT_ORDER.length);
    const order = patch[directiveKey];
    delete patch[directiveKey];
    if (!Array.isArray(order)) throw new PatchError('malformed', `${directiveKey} must be a list`);
    const meta: FieldMeta = schema[key] ?? {};
    const originalList = Object.hasOwn(original, key) ? original[key] : undefined;
    const patchList = Object.hasOwn(patch, key) ? patch[key] : undefined;
    if (originalList === undefined && patchList === undefined) continue;
    if (
      (originalList !== undefined && !Array.isArray(originalList)) ||
      (patchList !== undefined && !Array.isArray(patchList))
    ) {
      continue; // Not a list on one side: the ordinary merge below replaces it.
    }
    const mergeKey = meta.mergeKey;
    if (order.some(isObject) && mergeKey) {
      for (const o of order)
        if (!isObject(o) || !Object.hasOwn(o, mergeKey)) throw noMergeKey(o as JsonObject, mergeKey);
    }
    const merged =
      patchList === undefined
        ? (originalList as JsonValue[])
        : mergeList(
            (originalList as JsonValue[] | undefined) ?? [],
            patchList as JsonValue[],
            meta,
            join(path, key),
          );
    const itemKey = merged.some(isObject) ? mergeKey : undefined;
    const inOrder = new ListIndex(order, itemKey);
    const [patchItems, serverOnly] = partition(merged, (v) => inOrder.has(v));
    const both = normalizeElementOrder(
      patchItems,
      serverOnly,
      order,
      (originalList as JsonValue[]) ?? [],
      itemKey,
    );
    if (both.length > 0) original[key] = both;
    else delete original[key];
    delete patch[key];
  }
}

function partition<T>(items: T[], inFirst: (v: T) => boolean): [T[], T[]] {
  const a: T[] = [];
  const b: T[] = [];
  for (const v of items) (inFirst(v) ? a : b).push(v);
  return [a, b];
}

/**
 * Sorts `patchItems` by `patchOrder` and `serverOnly` by `serverOrder`, then interleaves them, keeping
 * each list's relative order and placing server-only items before the first patch item that the server
 * had after them (upstream normalizeElementOrder + mergeSortedSlice).
 */
function normalizeElementOrder(
  patchItems: JsonValue[],
  serverOnly: JsonValue[],
  patchOrder: JsonValue[],
  serverOrder: JsonValue[],
  mergeKey: string | undefined,
): JsonValue[] {
  const left = sortBy(serverOnly, serverOrder, mergeKey);
  const right = sortBy(patchItems, patchOrder, mergeKey);
  const server = new ListIndex(serverOrder, mergeKey);
  const out: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]!);
    else if (j >= right.length) out.push(left[i++]!);
    else {
      const li = server.indexOf(left[i]!);
      const ri = server.indexOf(right[j]!);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]!);
      else out.push(right[j++]!);
    }
  }
  return out;
}

/** Stable sort by position in `order`; items not in `order` keep their relative place after those that are. */
function sortBy(items: JsonValue[], order: JsonValue[], mergeKey: string | undefined): JsonValue[] {
  const index = new ListIndex(order, mergeKey);
  const ranked = items.map((v, n) => ({ v, n, at: index.indexOf(v) }));
  ranked.sort((a, b) => {
    if (a.at >= 0 && b.at >= 0) return a.at - b.at;
    if (a.at >= 0) return -1;
    if (b.at >= 0) return 1;
    return a.n - b.n;
  });
  return ranked.map((r) => r.v);
}
