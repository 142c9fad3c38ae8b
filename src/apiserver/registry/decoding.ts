// What every write does to a request body before it reaches the store, as upstream's decoder and
// rest.BeforeCreate/BeforeUpdate: the body typed from the URL, the namespace and name checked against the
// URL, strict decoding per fieldValidation, validation into an Invalid Status, and store errors translated
// into API errors. Pure functions of the resource and the body, so the registry's methods stay short.
import { groupResource, type ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { type ObjectKey, StoreError } from '../../store/types.js';
import {
  decodeObject,
  type FieldError,
  formatFieldError,
  OMIT_VALUE,
  validateObject,
  validateStatusUpdate,
  validateUpdate,
} from '../api-deps.js';
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  type InvalidCause,
  invalid,
  notFound,
  OPTIMISTIC_LOCK_MESSAGE,
} from '../errors.js';
import { isPlainObject } from '../object-util.js';
import type { WriteOptions } from './types.js';

export function objectKey(r: ResourceInfo, namespace: string | undefined, name: string): ObjectKey {
  return { groupResource: groupResource(r), namespace: r.namespaced ? (namespace ?? '') : '', name };
}

export function withTypeMeta(r: ResourceInfo, o: KubeObject): KubeObject {
  const apiVersion = r.group === '' ? r.version : `${r.group}/${r.version}`;
  if (o.apiVersion === apiVersion && o.kind === r.kind) return o;
  return { ...o, apiVersion, kind: r.kind };
}

/** The body as an object of this resource's kind; kind/apiVersion default from the URL, as upstream decodes. */
export function typedBody(r: ResourceInfo, body: unknown): KubeObject {
  if (!isPlainObject(body)) {
    throw badRequest(
      `${r.kind} in version "${r.version}" cannot be handled as a ${r.kind}: the body must be a JSON object`,
    );
  }
  const apiVersion = r.group === '' ? r.version : `${r.group}/${r.version}`;
  if (body.apiVersion !== undefined && body.apiVersion !== apiVersion) {
    throw badRequest(
      `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${apiVersion})`,
    );
  }
  if (body.kind !== undefined && body.kind !== r.kind) {
    throw badRequest(
      `the kind in the data (${String(body.kind)}) does not match the expected kind (${r.kind})`,
    );
  }
  const metadata = isPlainObject(body.metadata) ? body.metadata : {};
  // A shallow copy is enough: callers only set top-level metadata fields before decodeBody, which builds a
  // new object and shares nothing with its input. It must stay so: a controller's body is often an informer's
  // object, whose nested parts are the store's frozen ones (WatchOptions.shared).
  return { ...body, apiVersion, kind: r.kind, metadata: { ...metadata } } as KubeObject;
}

export function namespaceFor(r: ResourceInfo, urlNamespace: string | undefined, obj: KubeObject): string {
  if (!r.namespaced) return '';
  const bodyNs = obj.metadata.namespace;
  if (urlNamespace && bodyNs && bodyNs !== urlNamespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  const ns = urlNamespace || bodyNs;
  if (!ns) throw badRequest('the namespace of the provided object is not set and no namespace was given');
  return ns;
}

/** The body's name must be the URL's (or absent, and then it is the URL's). */
export function checkName(obj: KubeObject, name: string, namespace?: string): void {
  const bodyName = obj.metadata.name;
  if (bodyName && bodyName !== name) {
    throw badRequest(`the name of the object (${bodyName}) does not match the name on the URL (${name})`);
  }
  // A patched object's namespace (handlers' checkName): a patch that moves it is refused, not ignored.
  const bodyNs = obj.metadata.namespace;
  if (namespace && bodyNs && bodyNs !== namespace) {
    throw badRequest(
      `the namespace of the object (${bodyNs}) does not match the namespace on the request (${namespace})`,
    );
  }
  obj.metadata.name = name;
}

/** Strict decoding per fieldValidation; type errors are a 400 as upstream's decoder gives. */
export function decodeBody(
  r: ResourceInfo,
  input: KubeObject,
  options: WriteOptions,
  source: 'body' | 'patch' = 'body',
): KubeObject {
  const { object, unknownFields, errors: decodeErrors } = decodeObject(input);
  // A Secret's values never come back in an error, whatever is wrong with them.
  const errors =
    r.kind === 'Secret'
      ? decodeErrors.map((e) => (/^(data|stringData)\[/.test(e.field) ? { ...e, badValue: OMIT_VALUE } : e))
      : decodeErrors;
  if (errors.length > 0 || !object) {
    const why =
      errors.length > 0
        ? // A Go type error (`json: cannot unmarshal number … of type int32`) names its field itself, as upstream
          // prints it; podrun's own decode errors are field errors.
          errors.map((e) => (e.detail.startsWith('json: ') ? e.detail : formatFieldError(e))).join(', ')
        : 'the object could not be decoded';
    throw badRequest(`${r.kind} in version "${r.version}" cannot be handled as a ${r.kind}: ${why}`);
  }
  const mode = options.fieldValidation ?? 'Warn';
  if (unknownFields.length > 0) {
    const texts = unknownFields.map((f) => `unknown field "${f}"`);
    if (mode === 'Strict') {
      // A request body's decode error names the kind (transformDecodeError); a patch's does not (patch.go).
      const strict = `strict decoding error: ${texts.join(', ')}`;
      throw badRequest(
        source === 'body'
          ? `${r.kind} in version "${r.version}" cannot be handled as a ${r.kind}: ${strict}`
          : strict,
      );
    }
    if (mode === 'Warn') options.warnings?.push(...texts);
  }
  const out = object as KubeObject;
  out.apiVersion = input.apiVersion;
  out.kind = input.kind;
  out.metadata ??= {};
  if (r.kind === 'Secret' && r.group === '') mergeStringData(out);
  return out;
}

/**
 * `stringData` is write-only: the conversion to the internal Secret writes each value into `data` (base64 on
 * the wire), over a value of the same key, so it is never stored or returned (Convert_v1_Secret_To_core_Secret).
 */
function mergeStringData(secret: KubeObject): void {
  const strings = secret.stringData as Record<string, string> | undefined;
  if (strings === undefined) return;
  const data = (secret.data ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(strings)) data[k] = Buffer.from(v, 'utf8').toString('base64');
  secret.data = data;
  delete secret.stringData;
}

/**
 * Validation (of an update when `old` is given; of a status write with `status`) as a 422 Invalid with one
 * cause per field error.
 */
export function validateWrite(
  r: ResourceInfo,
  obj: KubeObject,
  old: KubeObject | undefined,
  target: 'main' | 'status' = 'main',
): void {
  const errors = !old
    ? validateObject(obj)
    : target === 'status'
      ? validateStatusUpdate(obj, old)
      : validateUpdate(obj, old);
  if (errors.length === 0) return;
  throw invalid(r, obj.metadata.name ?? '', errors.map(toCause));
}

/** A field error as a cause of an Invalid Status. */
export function toCause(e: FieldError): InvalidCause {
  const full = formatFieldError(e);
  const prefix = `${e.field}: `;
  return {
    reason: e.type,
    field: e.field,
    body: full.startsWith(prefix) ? full.slice(prefix.length) : full,
    full,
  };
}

/** A store error as the API error a client sees; anything else unchanged. */
export function apiErrorOf(r: ResourceInfo, name: string, e: unknown): unknown {
  if (!(e instanceof StoreError)) return e;
  switch (e.reason) {
    case 'NotFound':
      return notFound(r, name);
    case 'AlreadyExists':
      return alreadyExists(r, name);
    case 'Conflict':
      return conflict(r, name, OPTIMISTIC_LOCK_MESSAGE);
    case 'Expired':
      return new ApiError(410, 'Expired', e.message);
  }
}

/** Runs a store call, translating its errors with apiErrorOf. */
export async function storeCall<T>(r: ResourceInfo, name: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw apiErrorOf(r, name, e);
  }
}

/** '' and '0' mean "any" (0); otherwise a non-negative decimal. */
export function parseResourceVersion(rv: string | undefined): number {
  if (rv === undefined || rv === '' || rv === '0') return 0;
  if (!/^\d+$/.test(rv)) throw badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
  return Number(rv);
}

export function setOrDelete<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined): void {
  if (v === undefined) delete o[k];
  else o[k] = v;
}
