// Query parameters read the way the API server's parameter codec converts them
// (k8s.io/apimachinery/pkg/runtime: Convert_Slice_string_To_bool, Convert_Slice_string_To_int64), so that
// every client's spelling means what it means upstream: the Python client sends `watch=True`.
import { goQuote } from '../../util/go-format.js';
import { ApiError, badRequest } from '../errors.js';

/**
 * A boolean parameter: absent is undefined; "0" and "false" in any case are false; any other value, the
 * empty string included, is true.
 */
export function queryBool(query: URLSearchParams, name: string): boolean | undefined {
  const v = query.get(name);
  if (v === null) return undefined;
  return !(v === '0' || v.toLowerCase() === 'false');
}

// strconv.ParseInt(s, 10, 64): an optional sign, then decimal digits; nothing else, not even spaces.
const GO_INT = /^[+-]?[0-9]+$/;

/**
 * An integer parameter, undefined when absent or empty. Anything strconv.ParseInt refuses is a 400 with
 * its message.
 */
export function queryInt(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  if (!GO_INT.test(v)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) {
    throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: value out of range`);
  }
  return n;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

// The largest double below 2^63: int64's maximum rounds up to 2^63, which decoding then refuses as out of range.
const LARGEST_INT64_DOUBLE = 2 ** 63 - 1024;

/**
 * strconv.ParseInt(v, 10, 64), for an int64 parameter that takes the whole range (DeleteOptions'
 * gracePeriodSeconds): the empty string is invalid syntax, and what it refuses is a 400 with its message. A
 * value past 2^53 comes back as a nearby double that is still an int64.
 */
export function parseInt64(v: string): number {
  if (!GO_INT.test(v)) throw badRequest(`strconv.ParseInt: parsing ${goQuote(v)}: invalid syntax`);
  const n = BigInt(v);
  if (n < INT64_MIN || n > INT64_MAX) {
    throw badRequest(`strconv.ParseInt: parsing ${goQuote(v)}: value out of range`);
  }
  return Math.min(Number(n), LARGEST_INT64_DOUBLE);
}

/** `limit` decodes as an int64 for every request that carries ListOptions: a list, a watch, a deletecollection. */
export function checkListLimit(query: URLSearchParams): void {
  const limit = query.get('limit');
  if (limit !== null && limit !== '') parseInt64(limit);
}

/**
 * A list's own parameters, as upstream decodes and checks them before it lists (ListOptions'
 * conversion, then ValidateListOptions): `limit` is an int64 (podrun answers every list whole, which a
 * client that pages reads as the last page), and `resourceVersionMatch` takes Exact or NotOlderThan, with a
 * resourceVersion and without a continue token.
 */
export function checkListQuery(query: URLSearchParams): void {
  checkListLimit(query);
  const match = query.get('resourceVersionMatch') ?? '';
  if (match === '') return;
  const rv = query.get('resourceVersion') ?? '';
  const errs: string[] = [];
  const path = 'resourceVersionMatch';
  if (rv === '')
    errs.push(`${path}: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided`);
  if ((query.get('continue') ?? '') !== '')
    errs.push(`${path}: Forbidden: resourceVersionMatch is forbidden when continue is provided`);
  if (match !== 'Exact' && match !== 'NotOlderThan') {
    errs.push(`${path}: Unsupported value: ${goQuote(match)}: supported values: "Exact", "NotOlderThan", ""`);
  }
  if (match === 'Exact' && rv === '0') {
    errs.push(`${path}: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"`);
  }
  if (errs.length === 0) return;
  const message = `ListOptions.meta.k8s.io "" is invalid: ${errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`}`;
  throw new ApiError(422, 'Invalid', message, { group: 'meta.k8s.io', kind: 'ListOptions', name: '' });
}
