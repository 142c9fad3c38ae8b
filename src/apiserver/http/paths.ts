// Resource URL parsing: `/api/v1[/namespaces/{ns}]/{resource}[/{name}[/{subresource}]]` and the same under
// `/apis/{group}/{version}`. Namespaces themselves are `/api/v1/namespaces/{name}[/status]`.
import { CONVERTED_RESOURCES } from '../../api/converted-resources.js';
import { RESOURCES, type ResourceInfo } from '../../api/resources.js';
import { badRequest } from '../errors.js';

export interface ResourcePath {
  r: ResourceInfo;
  /** The namespace in the URL; undefined for cluster-scoped resources and all-namespace lists. */
  namespace: string | undefined;
  name?: string;
  subresource?: string;
}

function find(group: string, version: string, resource: string): ResourceInfo | undefined {
  const match = (r: ResourceInfo) => r.group === group && r.version === version && r.resource === resource;
  return RESOURCES.find(match) ?? CONVERTED_RESOURCES.find(match);
}

/** undefined when the path names no resource podrun serves (→ 404). */
export function parseResourcePath(segments: string[]): ResourcePath | undefined {
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 3) {
    group = '';
    version = segments[1]!;
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    group = segments[1]!;
    version = segments[2]!;
    rest = segments.slice(3);
  } else {
    return undefined;
  }
  if (rest.some((s) => s === '')) return undefined;

  if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status' && rest[2] !== 'finalize') {
    const r = find(group, version, rest[2]!);
    if (!r?.namespaced || rest.length > 5) return undefined;
    const ns = rest[1]!;
    if (rest.length === 3) return { r, namespace: ns };
    if (rest.length === 4) return { r, namespace: ns, name: rest[3]! };
    // pods/binding is the scheduler's write; it is served but, like the rest of podrun's API, not advertised.
    const bindable = r.resource === 'pods' && r.group === '' && rest[4] === 'binding';
    if (!r.subresources.includes(rest[4]!) && !bindable) return undefined;
    return { r, namespace: ns, name: rest[3]!, subresource: rest[4]! };
  }
  const r = find(group, version, rest[0]!);
  if (!r || rest.length > 3) return undefined;
  if (rest.length === 1) return { r, namespace: undefined };
  // A namespaced resource has items only under /namespaces/{ns}/.
  if (r.namespaced) return undefined;
  if (rest.length === 2) return { r, namespace: undefined, name: rest[1]! };
  if (!r.subresources.includes(rest[2]!)) return undefined;
  return { r, namespace: undefined, name: rest[1]!, subresource: rest[2]! };
}

/** `/api/v1/namespaces/a%2Fb` → ['api', 'v1', 'namespaces', 'a/b']; a broken %-escape is a 400, not a 500. */
export function decodePathSegments(path: string): string[] {
  return path
    .split('/')
    .slice(1)
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        // Either a `%` not followed by two hex digits, or escapes that are not UTF-8.
        throw badRequest(
          `invalid URL escape in the path segment ${JSON.stringify(segment)}: write a literal "%" as %25, and escape only UTF-8 bytes`,
        );
      }
    });
}
