// JSON merge patch (RFC 7386), `application/merge-patch+json`: objects merge key by key, `null` removes a
// key, anything else (arrays included) replaces. The result shares nothing with the inputs.
import { cloneJson } from '../../store/json-clone.js';
import { isObject, type JsonValue, setKey } from './json-value.js';

export function jsonMergePatch<T>(target: T, patch: unknown): T {
  return mergeInto(cloneJson(target) as JsonValue | undefined, patch as JsonValue) as T;
}

function mergeInto(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isObject(patch)) return cloneJson(patch);
  const out = isObject(target) ? target : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete out[key];
    } else {
      setKey(out, key, mergeInto(Object.hasOwn(out, key) ? out[key] : undefined, value));
    }
  }
  return out;
}
