// What an HTTP request asks, in the authorizer's terms (k8s.io/apiserver/pkg/endpoints/request
// RequestInfoFactory.NewRequestInfo): `/api/v1/...` and `/apis/<group>/<version>/...` are resource
// requests, everything else (`/api`, `/apis/apps/v1`, `/version`, `/healthz`) is a path with the lowercase
// method as its verb. Computed from the URL alone, before routing, as upstream does, so a request for a
// resource podrun does not serve is refused (403) before it is not found (404).
import { nonResourceAttributes, type RequestAttributes } from './rules.js';

const METHOD_VERBS: Record<string, string> = {
  POST: 'create',
  GET: 'get',
  HEAD: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/** Namespace subresources (`/api/v1/namespaces/<ns>/status`), not resources in the namespace. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function requestAttributes(
  method: string,
  segments: string[],
  query: URLSearchParams,
  rawPath: string,
): RequestAttributes {
  const nonResource = () => nonResourceAttributes(method.toLowerCase(), rawPath);
  let parts = segments;
  if (parts.length < 3 || (parts[0] !== 'api' && parts[0] !== 'apis')) return nonResource();
  const prefix = parts[0];
  parts = parts.slice(1);
  let apiGroup = '';
  if (prefix === 'apis') {
    if (parts.length < 3) return nonResource();
    apiGroup = parts[0]!;
    parts = parts.slice(1);
  }
  const apiVersion = parts[0]!;
  parts = parts.slice(1);
  let verb = METHOD_VERBS[method] ?? '';
  // The deprecated `/api/v1/watch/...` form.
  if (parts[0] === 'watch') {
    verb = 'watch';
    parts = parts.slice(1);
  }
  let namespace = '';
  if (parts[0] === 'namespaces' && parts.length > 1) {
    namespace = parts[1]!;
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2]!)) parts = parts.slice(2);
  }
  const resource = parts[0] ?? '';
  let name = parts[1] ?? '';
  const subresource = parts[2] ?? '';
  if (parts.length < 2) {
    if (verb === 'get') verb = 'list';
    else if (verb === 'delete') verb = 'deletecollection';
  }
  if (verb === 'list') {
    const watch = query.get('watch');
    if (watch !== null && (watch === '1' || watch.toLowerCase() === 'true')) verb = 'watch';
  }
  // A list or watch of one object by name (`--field-selector metadata.name=x`) is authorized as that name.
  if (verb === 'list' || verb === 'watch' || verb === 'deletecollection') {
    const m = /(?:^|,)metadata\.name==?([^,]*)(?:,|$)/.exec(query.get('fieldSelector') ?? '');
    if (m) name = m[1]!;
  }
  return {
    verb,
    resourceRequest: true,
    path: rawPath,
    apiGroup,
    apiVersion,
    resource,
    subresource,
    namespace,
    name,
  };
}
