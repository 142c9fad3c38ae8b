// DeleteOptions as upstream reads them (k8s.io/apiserver/pkg/endpoints/handlers/delete.go). A body is decoded
// into metav1.DeleteOptions by encoding/json, so a value of the wrong JSON type, or a number its Go field
// cannot hold, is a 400 in encoding/json's words (`{"dryRun":"All"}` must never be read as a dry run, nor
// `gracePeriodSeconds: true` as 1). Query parameters go through the parameter codec (strconv.ParseInt for
// gracePeriodSeconds). Then ValidateDeleteOptions turns what decoded but is not allowed into a 422 Invalid.
import { type FieldError, invalid, notSupported } from '../api/validation/field-error.js';
import { badRequest, invalid as invalidError } from './errors.js';
import { parseInt64, queryBool } from './http/query.js';
import { isPlainObject } from './object-util.js';
import { toCause } from './registry/decoding.js';
import type { DeleteOptions } from './registry.js';
import type { PropagationPolicy } from './strategy.js';

/** metav1.DeleteOptions as decoded, before validation: each field as its Go type holds it (nil is undefined). */
export interface RawDeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  orphanDependents?: boolean;
  propagationPolicy?: string;
  dryRun?: string[];
}

/** A body that encoding/json refuses; `message` is its error's text. */
export class DeleteOptionsDecodeError extends Error {}

/** encoding/json's UnmarshalTypeError.Value: the JSON kind, and a number's text when it was meant for an int. */
function jsonValue(v: unknown, intTarget: boolean): string {
  if (typeof v === 'number') return intTarget ? `number ${String(v)}` : 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : 'string';
}

function unmarshalError(
  v: unknown,
  struct: string,
  field: string,
  goType: string,
  intTarget = false,
): DeleteOptionsDecodeError {
  return new DeleteOptionsDecodeError(
    `json: cannot unmarshal ${jsonValue(v, intTarget)} into Go struct field ${struct}.${field} of type ${goType}`,
  );
}

// int64's range as doubles; 2^63 - 1 rounds up to 2^63, hence the exclusive bound.
const INT64_BOUND = 2 ** 63;

function int64Field(v: unknown, struct: string, field: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= -INT64_BOUND && v < INT64_BOUND) return v;
  throw unmarshalError(v, struct, field, 'int64', true);
}

function stringField(v: unknown, struct: string, field: string, goType: string): string {
  if (typeof v === 'string') return v;
  throw unmarshalError(v, struct, field, goType);
}

/**
 * Decodes a metav1.DeleteOptions from JSON as encoding/json does: fields it does not know are ignored, null
 * leaves a field unset, and the first value of the wrong type is the error. `at` is where the options sit in
 * the decoded document (`deleteOptions` in an Eviction), for the error's field path.
 */
export function decodeDeleteOptions(body: unknown, at = ''): RawDeleteOptions {
  const path = (f: string) => (at === '' ? f : `${at}.${f}`);
  if (!isPlainObject(body)) {
    if (at === '')
      throw new DeleteOptionsDecodeError('the DeleteOptions in the request body must be an object');
    throw unmarshalError(body, 'Eviction', at, 'v1.DeleteOptions');
  }
  const out: RawDeleteOptions = {};
  for (const key of Object.keys(body)) {
    const v = body[key];
    if (v === null || v === undefined) continue;
    switch (key) {
      case 'gracePeriodSeconds':
        out.gracePeriodSeconds = int64Field(v, 'DeleteOptions', path(key));
        break;
      case 'orphanDependents':
        if (typeof v !== 'boolean') throw unmarshalError(v, 'DeleteOptions', path(key), 'bool');
        out.orphanDependents = v;
        break;
      case 'propagationPolicy':
        out.propagationPolicy = stringField(v, 'DeleteOptions', path(key), 'v1.DeletionPropagation');
        break;
      case 'dryRun': {
        if (!Array.isArray(v)) throw unmarshalError(v, 'DeleteOptions', path(key), '[]string');
        // A null item has no effect on a Go string: it stays "".
        out.dryRun = v.map((item: unknown) =>
          item === null ? '' : stringField(item, 'DeleteOptions', path(key), 'string'),
        );
        break;
      }
      case 'preconditions': {
        if (!isPlainObject(v)) throw unmarshalError(v, 'DeleteOptions', path(key), 'v1.Preconditions');
        const pre: { uid?: string; resourceVersion?: string } = {};
        const uid = v.uid;
        if (uid !== null && uid !== undefined) {
          pre.uid = stringField(uid, 'Preconditions', path('preconditions.uid'), 'types.UID');
        }
        const rv = v.resourceVersion;
        if (rv !== null && rv !== undefined) {
          pre.resourceVersion = stringField(
            rv,
            'Preconditions',
            path('preconditions.resourceVersion'),
            'string',
          );
        }
        out.preconditions = pre;
        break;
      }
    }
  }
  return out;
}

/**
 * The query parameters of a DELETE as the parameter codec converts them into DeleteOptions
 * (autoConvert_url_Values_To_v1_DeleteOptions): the first value of each; a parameter given empty is set
 * (to "", which ParseInt refuses and ValidateDeleteOptions does not support).
 */
export function deleteOptionsFromQuery(query: URLSearchParams): RawDeleteOptions {
  const out: RawDeleteOptions = {};
  const grace = query.get('gracePeriodSeconds');
  if (grace !== null) out.gracePeriodSeconds = parseInt64(grace);
  const orphan = queryBool(query, 'orphanDependents');
  if (orphan !== undefined) out.orphanDependents = orphan;
  const policy = query.get('propagationPolicy');
  if (policy !== null) out.propagationPolicy = policy;
  const dry = query.getAll('dryRun');
  if (dry.length > 0) out.dryRun = dry;
  return out;
}

const POLICIES: readonly string[] = ['Foreground', 'Background', 'Orphan'];

/** ValidateDeleteOptions (apimachinery pkg/apis/meta/v1/validation). */
export function validateDeleteOptions(o: RawDeleteOptions): FieldError[] {
  const errs: FieldError[] = [];
  if (o.orphanDependents !== undefined && o.propagationPolicy !== undefined) {
    errs.push(
      invalid(
        'propagationPolicy',
        o.propagationPolicy,
        'orphanDependents and deletionPropagation cannot be both set',
      ),
    );
  }
  if (o.propagationPolicy !== undefined && !POLICIES.includes(o.propagationPolicy)) {
    errs.push(notSupported('propagationPolicy', o.propagationPolicy, [...POLICIES, 'nil']));
  }
  // ValidateDryRun: every value must be "All".
  if (o.dryRun?.some((v) => v !== 'All')) errs.push(notSupported('dryRun', o.dryRun, ['All']));
  return errs;
}

/** What the registry acts on. A propagation policy upstream would not recognise is left to the default. */
export function toDeleteOptions(o: RawDeleteOptions): DeleteOptions {
  const out: DeleteOptions = {};
  if (o.gracePeriodSeconds !== undefined) out.gracePeriodSeconds = o.gracePeriodSeconds;
  if (o.preconditions !== undefined) out.preconditions = o.preconditions;
  if (o.propagationPolicy !== undefined && POLICIES.includes(o.propagationPolicy)) {
    out.propagationPolicy = o.propagationPolicy as PropagationPolicy;
  } else if (o.orphanDependents !== undefined) {
    out.propagationPolicy = o.orphanDependents ? 'Orphan' : 'Background';
  }
  // dryrun.IsDryRun: any value at all (validation has already refused all but "All" where it runs).
  if (o.dryRun !== undefined && o.dryRun.length > 0) out.dryRun = true;
  return out;
}

/**
 * A DELETE's options: the body's, with the query's for what the body leaves unset. Upstream reads the query
 * only when there is no body; a `?dryRun=All` is still honoured next to a body here, as podrun always has,
 * since dropping it would turn a dry run into a real delete. Errors are upstream's 400 and 422.
 */
export function requestDeleteOptions(body: unknown, query: URLSearchParams): DeleteOptions {
  let fromBody: RawDeleteOptions = {};
  if (body !== undefined) {
    try {
      fromBody = decodeDeleteOptions(body);
    } catch (e) {
      if (e instanceof DeleteOptionsDecodeError) throw badRequest(e.message);
      throw e;
    }
  }
  const merged: RawDeleteOptions = { ...deleteOptionsFromQuery(query), ...fromBody };
  const errs = validateDeleteOptions(merged);
  if (errs.length > 0) {
    throw invalidError({ group: 'meta.k8s.io', kind: 'DeleteOptions' }, '', errs.map(toCause));
  }
  return toDeleteOptions(merged);
}
