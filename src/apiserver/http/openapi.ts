// OpenAPI v3, as much as kubectl needs: for each group-version a document whose operations declare the
// `fieldValidation` query parameter. That is what kubectl's validation gate looks for before it lets the
// server validate (`fieldValidation=Strict`); without it `kubectl apply` refuses to run. The documents carry
// no schemas, so kubectl computes patches from its compiled-in types. `kubectl explain` is not served.
import { createHash } from 'node:crypto';
import { RESOURCES, type ResourceInfo } from '../../api/resources.js';

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
    components: { schemas: {} },
  };
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
