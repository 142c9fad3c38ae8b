// Server-side apply (`PATCH` with `application/apply-patch+yaml`), at the level podrun supports: the body is
// the desired state; when the object exists, the body is merged into the live object with the strategic
// merge patch schema (lists by merge key, maps key by key), so fields the body does not mention are kept.
//
// Approximations, relative to upstream's field ownership (structured-merge-diff):
// - managedFields are not tracked, so there are no apply conflicts (no 409, `force` has no effect), and a
//   field or list item that an earlier apply set but this one omits is kept rather than removed.
// - an explicit `null` removes the field (upstream: the applier gives the field up, which removes it when no
//   other manager owns it, the usual case).
// - `$patch` and other strategic-merge directives have no meaning in an apply body and are dropped.
// The caller (the API server's registry) still owns defaulting, validation, status and resourceVersion rules.
import { cloneJson } from '../../store/json-clone.js';
import { PatchError } from './errors.js';
import { isObject, type JsonObject, type JsonValue, setKey } from './json-value.js';
import { patchSchemaFor } from './patch-schema.js';
import { mergeWithSchema } from './strategic-merge-patch.js';

export function serverSideApply<T extends object>(live: T | undefined, applied: object, kind: string): T {
  if (!isObject(applied)) throw new PatchError('malformed', 'an apply body must be a JSON object');
  const desired = withoutDirectives(applied) as JsonObject;
  const base = live === undefined ? {} : (cloneJson(live) as unknown as JsonObject);
  return mergeWithSchema(base, desired, patchSchemaFor(kind)) as unknown as T;
}

function withoutDirectives(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(withoutDirectives);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$')) continue;
    setKey(out, k, withoutDirectives(v));
  }
  return out;
}
