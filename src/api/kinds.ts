// Maps apiVersion/kind onto the resource table (resources.ts) and the decoder's struct for the kind.

import { apiVersionOf, RESOURCES, type ResourceInfo, resourceForKind } from './resources.js';
import { STRUCTS } from './schema/types.generated.js';

export type KindResolution =
  | { ok: true; resource: ResourceInfo; struct: string }
  | { ok: false; reason: 'kind' }
  | { ok: false; reason: 'version'; apiVersions: string[] };

export function resolveKind(apiVersion: string, kind: string): KindResolution {
  const resource = resourceForKind(apiVersion, kind);
  if (resource && STRUCTS[kind]) return { ok: true, resource, struct: kind };
  const sameKind = RESOURCES.filter((r) => r.kind === kind && STRUCTS[kind]);
  if (sameKind.length > 0) return { ok: false, reason: 'version', apiVersions: sameKind.map(apiVersionOf) };
  return { ok: false, reason: 'kind' };
}

/** Kind names the decoder accepts, sorted: the `supported values` of an unknown kind. */
export function knownKindNames(): string[] {
  return [...new Set(RESOURCES.filter((r) => STRUCTS[r.kind]).map((r) => r.kind))].sort();
}
