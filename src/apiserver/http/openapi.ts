// OpenAPI v3, as much as kubectl needs: for each group-version a document whose operations declare the
// `fieldValidation` query parameter. That is what kubectl's validation gate looks for before it lets the
// server validate (`fieldValidation=Strict`); without it `kubectl apply` refuses to run. The PATCH operations
// carry no request body schema, so kubectl computes patches from its compiled-in types, as it does for every
// built-in kind. The component schemas (field names and types from the strict decoder's table, with upstream's
// descriptions from descriptions.generated.ts) are what `kubectl explain` walks.
import { createHash } from 'node:crypto';
import { RESOURCES, type ResourceInfo } from '../../api/resources.js';
import { DESCRIPTIONS } from '../../api/schema/descriptions.generated.js';
import { STRUCTS } from '../../api/schema/types.generated.js';

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

const QUERY = (name: string, type = 'string') => ({
  name,
  in: 'query',
  schema: { type, uniqueItems: true },
});

function operation(r: ResourceInfo, action: string, params: string[]): Record<string, unknown> {
  return {
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: r.group, version: r.version, kind: r.kind },
    parameters: params.map((p) => QUERY(p, p === 'force' ? 'boolean' : 'string')),
    responses: { '200': { description: 'OK' } },
  };
}

function documentFor(group: string, version: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const r of RESOURCES.filter((x) => x.group === group && x.version === version)) {
    const base = `/${gvPath(group, version)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.resource}`;
    paths[base] = {
      post: operation(r, 'post', ['dryRun', 'fieldManager', 'fieldValidation']),
    };
    paths[`${base}/{name}`] = {
      put: operation(r, 'put', ['dryRun', 'fieldManager', 'fieldValidation']),
      patch: operation(r, 'patch', ['dryRun', 'fieldManager', 'fieldValidation', 'force']),
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: { schemas: schemasFor(group, version) },
  };
}

/**
 * `io.k8s.api.apps.v1.`, `io.k8s.api.discovery.v1.` (the Go package, named for the group's first label) —
 * every struct of a group-version's document is named under its prefix.
 */
function schemaPrefix(group: string, version: string): string {
  return `io.k8s.api.${group === '' ? 'core' : group.split('.')[0]}.${version}.`;
}

function typeSchema(type: string, prefix: string, refs: Set<string>): Record<string, unknown> {
  if (type.startsWith('[]')) return { type: 'array', items: typeSchema(type.slice(2), prefix, refs) };
  if (type.startsWith('map[string]')) {
    return {
      type: 'object',
      additionalProperties: typeSchema(type.slice('map[string]'.length), prefix, refs),
    };
  }
  switch (type) {
    case 'string':
      return { type: 'string' };
    case 'int':
      return { type: 'integer', format: 'int64' };
    case 'bool':
      return { type: 'boolean' };
    case 'time':
      return { type: 'string', format: 'date-time' };
    case 'bytes':
      return { type: 'string', format: 'byte' };
    case 'intOrString':
      return { 'x-kubernetes-int-or-string': true };
    case 'quantity':
      return { oneOf: [{ type: 'string' }, { type: 'number' }] };
    case 'any':
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    default:
      refs.add(type);
      return { allOf: [{ $ref: `#/components/schemas/${prefix}${type}` }], default: {} };
  }
}

function schemasFor(group: string, version: string): Record<string, unknown> {
  const prefix = schemaPrefix(group, version);
  const schemas: Record<string, unknown> = {};
  const kinds = RESOURCES.filter((r) => r.group === group && r.version === version);
  const pending = kinds.map((r) => r.kind).filter((k) => STRUCTS[k]);
  const done = new Set<string>();
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (done.has(name)) continue;
    done.add(name);
    const fields = STRUCTS[name]!;
    const refs = new Set<string>();
    const properties: Record<string, unknown> = {};
    const docs = DESCRIPTIONS[name];
    for (const [field, type] of Object.entries(fields)) {
      const description = docs?.fields[field];
      // Upstream's order: the description first, then the type or the allOf of a reference.
      properties[field] = { ...(description ? { description } : {}), ...typeSchema(type, prefix, refs) };
    }
    const kind = kinds.find((r) => r.kind === name);
    schemas[`${prefix}${name}`] = {
      ...(docs?.description ? { description: docs.description } : {}),
      type: 'object',
      properties,
      ...(kind ? { 'x-kubernetes-group-version-kind': [{ group, kind: name, version }] } : {}),
    };
    for (const ref of refs) if (STRUCTS[ref] && !done.has(ref)) pending.push(ref);
  }
  return schemas;
}

interface Doc {
  body: string;
  hash: string;
}

const DOCS = new Map<string, Doc>();
for (const r of RESOURCES) {
  const path = gvPath(r.group, r.version);
  if (DOCS.has(path)) continue;
  const body = JSON.stringify(documentFor(r.group, r.version));
  // Clients cache per-version documents by this hash, so it changes whenever the document does.
  DOCS.set(path, { body, hash: createHash('sha512').update(body).digest('hex').toUpperCase() });
}

export function openApiRoot(): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const [path, doc] of DOCS) paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${doc.hash}` };
  return { paths };
}

/** The document for `api/v1`, `apis/apps/v1`, …; undefined for an unknown group-version. */
export function openApiDocument(path: string): string | undefined {
  return DOCS.get(path)?.body;
}
