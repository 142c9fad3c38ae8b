// The request target as the API server reads it: the path exactly as sent (still percent-encoded; split into
// segments and decoded by paths.ts) and the query. Not through WHATWG `new URL`, which would resolve `.` and
// `..` segments, `%2e%2e` included, and turn `\` into `/`: `DELETE /api/v1/namespaces/%2e%2e/pods` would
// become the cluster-wide `DELETE /api/v1/pods`. Upstream's handlers take such a segment as a name.

export interface RequestTarget {
  /** The path as sent, percent-encoded. */
  pathname: string;
  /** The path without its trailing slashes (`/` for the root). */
  path: string;
  searchParams: URLSearchParams;
}

export function requestTarget(raw: string | undefined): RequestTarget {
  let target = raw || '/';
  // An absolute-form target (`GET https://host/api HTTP/1.1`, as a proxy sends): its path is what counts.
  const scheme = /^https?:\/\/[^/?#]*/i.exec(target);
  if (scheme) target = target.slice(scheme[0].length) || '/';
  const hash = target.indexOf('#');
  if (hash >= 0) target = target.slice(0, hash);
  const q = target.indexOf('?');
  const pathname = q >= 0 ? target.slice(0, q) : target;
  const searchParams = new URLSearchParams(q >= 0 ? target.slice(q + 1) : '');
  return { pathname, path: trimTrailingSlashes(pathname) || '/', searchParams };
}

/** Without the trailing slashes, in one pass (a regex like /\/+$/ backtracks quadratically on a run of slashes
 * that does not end the string, and a request line may hold a million of them). */
export function trimTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === 47) end--;
  return path.slice(0, end);
}
