// The registry's side of field ownership: which manager a request writes as (the fieldManager parameter, or
// the User-Agent's prefix as upstream's managerOrUserAgent), which managedFields a write starts from (the
// request's own, as upstream's decodeLiveOrNew allows, or the live object's), what each endpoint may own, and
// the 409 an apply conflict answers.
import { rememberedFields, rememberFields, shapeKey } from '../api/managedfields/created-fields.js';
import { FieldsV1Error, pathString } from '../api/managedfields/field-set.js';
import { allowedConflicts, KUBECTL_MANAGER, updateLastApplied } from '../api/managedfields/last-applied.js';
import {
  ApplyConflictError,
  apply,
  decodeManaged,
  encodeManaged,
  type Managed,
  type ManagedFieldsEntry,
  printManager,
  type Scope,
  update,
  type Writer,
} from '../api/managedfields/managers.js';
import { rootType } from '../api/managedfields/type-node.js';
import { isObject, type JsonObject, type JsonValue } from '../api/patch/json-value.js';
import { apiVersionOf, type ResourceInfo } from '../api/resources.js';
import type { KubeObject } from '../api/types.js';
import { ApiError, badRequest } from './errors.js';
import { metaOf, rfc3339 } from './object-util.js';

/** The manager of writes that name none and come with no User-Agent (buildManagerInfo's fallback). */
export const UNKNOWN_MANAGER = 'unknown';
const FIELD_MANAGER_MAX_LENGTH = 128;

/**
 * prefixFromUserAgent: what comes before the first `/`, printable characters only, at most 128 bytes.
 * `kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07` → `kubectl`.
 */
export function prefixFromUserAgent(userAgent: string | undefined): string {
  const head = (userAgent ?? '').split('/')[0] ?? '';
  let out = '';
  let bytes = 0;
  for (const ch of head) {
    if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) continue;
    const n = Buffer.byteLength(ch);
    if (bytes + n > FIELD_MANAGER_MAX_LENGTH) break;
    out += ch;
    bytes += n;
  }
  return out;
}

export type Target = 'main' | 'status' | 'scale' | 'ephemeralcontainers';

/** The fields an endpoint's writes own (the strategies' GetResetFields, as podrun's strategies reset them). */
export function scopeFor(r: ResourceInfo, target: Target): Scope {
  if (target === 'status') return { only: ['status', 'metadata'] };
  return r.subresources.includes('status') ? { ignore: ['status'] } : {};
}

function writer(r: ResourceInfo, manager: string | undefined, target: Target): Writer {
  return {
    manager: manager || UNKNOWN_MANAGER,
    apiVersion: apiVersionOf(r),
    subresource: target === 'main' ? '' : target,
  };
}

/** isResetManagedFields: an empty list (or one empty entry) asks for no managers at all. */
function isReset(requested: unknown): boolean {
  if (!Array.isArray(requested)) return false;
  if (requested.length === 0) return true;
  return requested.length === 1 && isObject(requested[0]) && Object.keys(requested[0]).length === 0;
}

/**
 * decodeLiveOrNew: the request's managedFields when it sends some that decode (a client may rewrite them,
 * as kubectl's server-side apply migration does), none for an explicit reset, else the live object's.
 * Subresources always start from the live object's.
 */
function startingPoint(live: KubeObject | undefined, requested: unknown, target: Target): Managed {
  const fromLive = (): Managed => {
    try {
      return decodeManaged(live?.metadata.managedFields, true);
    } catch (e) {
      if (e instanceof FieldsV1Error) return new Map();
      throw e;
    }
  };
  if (target !== 'main') return fromLive();
  if (isReset(requested)) return new Map();
  if (requested === undefined || requested === null) return fromLive();
  try {
    const m = decodeManaged(requested);
    return m.size > 0 ? m : fromLive();
  } catch (e) {
    if (e instanceof FieldsV1Error) return fromLive();
    throw e;
  }
}

function stored(managed: Managed): ManagedFieldsEntry[] | undefined {
  const entries = encodeManaged(managed);
  return entries.length > 0 ? entries : undefined;
}

function setManagedFields(obj: KubeObject, entries: ManagedFieldsEntry[] | undefined): void {
  const meta = metaOf(obj) as { managedFields?: unknown };
  if (entries) meta.managedFields = entries;
  else delete meta.managedFields;
}

/**
 * Sets obj.metadata.managedFields after a create or update (Update operation) by `manager`. `requested` is
 * what the request body had in metadata.managedFields; `live` the stored object (undefined for a create).
 */
export function recordUpdate(
  r: ResourceInfo,
  live: KubeObject | undefined,
  obj: KubeObject,
  requested: unknown,
  manager: string | undefined,
  target: Target,
  now: number,
): void {
  const managed = startingPoint(live, requested, target);
  const liveValue = live ? withoutManagedFields(live) : undefined;
  const next = withoutManagedFields(obj);
  const w = writer(r, manager, target);
  const time = rfc3339(now);
  // A create of an object without lists owns what its shape says (created-fields.ts).
  const shape = !live && managed.size === 0 ? shapeKey(next) : undefined;
  const key =
    shape === undefined ? undefined : `${apiVersionOf(r)}\u0000${r.kind}\u0000${target}\u0000${shape}`;
  const known = key === undefined ? undefined : rememberedFields(key);
  if (known !== undefined) {
    setManagedFields(obj, [
      {
        manager: w.manager,
        operation: 'Update',
        apiVersion: w.apiVersion,
        time,
        fieldsType: 'FieldsV1',
        fieldsV1: known,
        ...(w.subresource ? { subresource: w.subresource } : {}),
      },
    ]);
    return;
  }
  update(managed, liveValue, next, rootType(r.kind), w, scopeFor(r, target), time);
  const entries = stored(managed);
  if (key !== undefined && entries?.length === 1 && entries[0]!.fieldsV1 !== undefined)
    rememberFields(key, entries[0]!.fieldsV1);
  setManagedFields(obj, entries);
}

/**
 * Server-side apply of `config` by `manager` to `live` (undefined: it creates). Answers the merged object with
 * its managedFields; a conflict is a 409 as upstream's NewApplyConflict.
 */
export function applyConfiguration(
  r: ResourceInfo,
  live: KubeObject | undefined,
  config: JsonObject,
  manager: string,
  force: boolean,
  target: Target,
  now: number,
): JsonObject {
  if (isObject(config.metadata) && config.metadata.managedFields != null) {
    throw badRequest('metadata.managedFields must be nil');
  }
  // An apply starts from the live object's managers whatever the configuration says.
  const managed = startingPoint(live, undefined, 'status');
  const base = live ? withoutManagedFields(live) : undefined;
  const type = rootType(r.kind);
  const run = (forced: boolean) =>
    apply(managed, base, config, type, writer(r, manager, target), scopeFor(r, target), forced, rfc3339(now));
  try {
    let object: JsonObject;
    try {
      object = run(force).object;
    } catch (e) {
      // lastappliedmanager.go: kubectl taking over from its own client-side apply.
      const allowed =
        e instanceof ApplyConflictError && manager === KUBECTL_MANAGER && base
          ? allowedConflicts(base, type, apiVersionOf(r))
          : undefined;
      if (!allowed || !(e instanceof ApplyConflictError)) throw e;
      const remaining = e.conflicts.filter((c) => !allowed.has(c.path));
      if (remaining.length > 0) throw new ApplyConflictError(remaining);
      object = run(true).object;
    }
    if (manager === KUBECTL_MANAGER) updateLastApplied(object, config);
    const meta = isObject(object.metadata) ? object.metadata : {};
    object.metadata = meta;
    const entries = stored(managed);
    if (entries) meta.managedFields = entries as unknown as JsonValue;
    else delete meta.managedFields;
    return object;
  } catch (e) {
    if (e instanceof ApplyConflictError) throw applyConflict(e);
    throw e;
  }
}

/** errors.NewApplyConflict with conflict.go's causes. */
export function applyConflict(e: ApplyConflictError): ApiError {
  return new ApiError(409, 'Conflict', e.message, {
    causes: e.conflicts.map((c) => ({
      reason: 'FieldManagerConflict',
      message: `conflict with ${printManager(c.entry)}`,
      field: pathString(c.path),
    })),
  });
}

function withoutManagedFields(o: KubeObject): JsonObject {
  const { managedFields: _mf, ...meta } = (o.metadata ?? {}) as Record<string, unknown>;
  return { ...(o as unknown as JsonObject), metadata: meta as JsonObject };
}

/** Whether two managedFields lists differ only in their times (the IgnoreManagedFieldsTimestamps check). */
export function sameExceptTimes(a: unknown, b: unknown): boolean {
  const strip = (v: unknown) =>
    JSON.stringify(Array.isArray(v) ? v.map((e) => (isObject(e) ? { ...e, time: undefined } : e)) : v);
  return strip(a) === strip(b);
}
