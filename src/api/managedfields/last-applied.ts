// kubectl's move from client-side to server-side apply, as upstream's lastappliedmanager.go and
// lastappliedupdater.go: for the manager `kubectl`, conflicts on fields that the client-side apply
// annotation set and that nobody changed since are no conflicts (the same user applied them), and the
// annotation, when the object has one, follows each server-side apply.
import { isObject, type JsonObject, type JsonValue } from '../patch/json-value.js';
import type { FieldSet } from './field-set.js';
import type { TypeNode } from './type-node.js';
import { compare, toFieldSet } from './typed.js';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
export const KUBECTL_MANAGER = 'kubectl';

function annotation(obj: JsonObject): string | undefined {
  const meta = obj.metadata;
  const annotations = isObject(meta) ? meta.annotations : undefined;
  const v = isObject(annotations) ? annotations[LAST_APPLIED_ANNOTATION] : undefined;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The fields whose conflicts the last-applied annotation of `live` allows; undefined without a usable one. */
export function allowedConflicts(live: JsonObject, type: TypeNode, apiVersion: string): FieldSet | undefined {
  const text = annotation(live);
  if (!text) return undefined;
  let last: JsonValue;
  try {
    last = JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
  if (!isObject(last) || last.apiVersion !== apiVersion) return undefined;
  const c = compare(last, live, type);
  return toFieldSet(last, type).difference(c.modified).difference(c.added).difference(c.removed);
}

/** buildLastApplied: the configuration without the annotation, as Go's json.Encoder writes it. */
function lastAppliedOf(config: JsonObject): string {
  const copy = { ...config };
  if (isObject(copy.metadata) && isObject(copy.metadata.annotations)) {
    const { [LAST_APPLIED_ANNOTATION]: _drop, ...rest } = copy.metadata.annotations;
    copy.metadata = { ...copy.metadata, annotations: rest };
  }
  return `${goJson(copy)}\n`;
}

// encoding/json: map keys sorted, <, > and & escaped.
function goJson(v: JsonValue): string {
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${goString(k)}:${goJson(v[k]!)}`)
      .join(',')}}`;
  }
  return typeof v === 'string' ? goString(v) : JSON.stringify(v);
}

function goString(s: string): string {
  return JSON.stringify(s).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** After `kubectl`'s apply: the annotation, if `applied` has one, becomes the applied configuration. */
export function updateLastApplied(applied: JsonObject, config: JsonObject): void {
  if (!annotation(applied)) return;
  const meta = applied.metadata as JsonObject;
  meta.annotations = {
    ...(meta.annotations as JsonObject),
    [LAST_APPLIED_ANNOTATION]: lastAppliedOf(config),
  };
}
