// Query parameters read the way the API server's parameter codec converts them
// (k8s.io/apimachinery/pkg/runtime: Convert_Slice_string_To_bool, Convert_Slice_string_To_int64), so that
// every client's spelling means what it means upstream: the Python client sends `watch=True`.
import { badRequest } from '../errors.js';

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
