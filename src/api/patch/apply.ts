// Server-side apply (`PATCH` with `application/apply-patch+yaml`): the body is the applier's configuration,
// its whole desired state. This module only reads that body; the merge into the live object, field
// ownership (managedFields), conflicts and the removal of fields the applier gave up are in
// ../managedfields (structured-merge-diff's algorithms), driven by the API server's registry.
// - an explicit `null` removes the field (upstream keeps the null in the merged object, which decoding
//   into the typed object then drops: the same result).
// - `$patch` and other strategic-merge directives have no meaning in an apply body and are dropped.
import { PatchError } from './errors.js';
import { isObject, type JsonObject, type JsonValue, setKey } from './json-value.js';

/** The apply configuration of a request body: a JSON object without strategic-merge directives. */
export function applyConfigurationOf(applied: unknown): JsonObject {
  if (!isObject(applied)) throw new PatchError('malformed', 'an apply body must be a JSON object');
  return withoutDirectives(applied) as JsonObject;
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
