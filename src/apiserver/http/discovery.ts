// Discovery documents, built from the resource table: aggregated discovery (apidiscovery.k8s.io/v2, one
// request for everything) and the legacy documents (/api, /apis, /api/v1, /apis/{g}, /apis/{g}/{v}).
import { CONVERTED_RESOURCES } from '../../api/converted-resources.js';
import { METRICS_RESOURCES } from '../../api/metrics-resources.js';
import { apiVersionOf, type ResourceInfo, RESOURCES as STORED } from '../../api/resources.js';

/**
 * Everything discovery lists: the stored kinds, the versions converted from them (after, so that the stored
 * version is preferred), then metrics.k8s.io (served from readings, see metrics.ts).
 */
const RESOURCES: readonly ResourceInfo[] = [...STORED, ...CONVERTED_RESOURCES, ...METRICS_RESOURCES];

const STATUS_VERBS = ['get', 'patch', 'update'];

function subresourceVerbs(sub: string): string[] {
  if (sub === 'token' || sub === 'eviction') return ['create'];
  if (sub === 'portforward' || sub === 'exec' || sub === 'attach') return ['create', 'get'];
  return sub === 'log' ? ['get'] : STATUS_VERBS;
}

/** What a subresource answers with: the resource's own kind, or autoscaling/v1 Scale for `scale`. */
function subresourceKind(r: ResourceInfo, sub: string): { group: string; version: string; kind: string } {
  if (sub === 'token') return { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' };
  if (sub === 'eviction') return { group: 'policy', version: 'v1', kind: 'Eviction' };
  if (sub === 'portforward') return { group: '', version: 'v1', kind: 'PodPortForwardOptions' };
  if (sub === 'exec') return { group: '', version: 'v1', kind: 'PodExecOptions' };
  if (sub === 'attach') return { group: '', version: 'v1', kind: 'PodAttachOptions' };
  return sub === 'scale'
    ? { group: 'autoscaling', version: 'v1', kind: 'Scale' }
    : { group: r.group, version: r.version, kind: r.kind };
}

function groupsInOrder(): string[] {
  const groups: string[] = [];
  for (const r of RESOURCES) if (r.group !== '' && !groups.includes(r.group)) groups.push(r.group);
  return groups;
}

function versionsOf(group: string): string[] {
  const versions: string[] = [];
  for (const r of RESOURCES) if (r.group === group && !versions.includes(r.version)) versions.push(r.version);
  return versions;
}

function aggregatedResource(r: ResourceInfo): Record<string, unknown> {
  return {
    resource: r.resource,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: r.verbs,
    ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
    ...(r.categories.length > 0 ? { categories: r.categories } : {}),
    ...(r.subresources.length > 0
      ? {
          subresources: r.subresources.map((s) => ({
            subresource: s,
            responseKind: subresourceKind(r, s),
            verbs: subresourceVerbs(s),
          })),
        }
      : {}),
  };
}

function aggregatedGroup(group: string): Record<string, unknown> {
  return {
    metadata: { name: group, creationTimestamp: null },
    versions: versionsOf(group).map((version) => ({
      version,
      resources: RESOURCES.filter((r) => r.group === group && r.version === version).map(aggregatedResource),
      freshness: 'Current',
    })),
  };
}

/** `/api` (core: true) or `/apis` as an APIGroupDiscoveryList. */
export function aggregatedDiscovery(core: boolean, version: 'v2' | 'v2beta1'): Record<string, unknown> {
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: core ? [aggregatedGroup('')] : groupsInOrder().map(aggregatedGroup),
  };
}

export function aggregatedContentType(version: 'v2' | 'v2beta1'): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}

export function legacyApiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: versionsOf(''),
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function apiGroup(group: string): Record<string, unknown> {
  const versions = versionsOf(group).map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return { name: group, versions, preferredVersion: versions[0] };
}

export function legacyApiGroupList(): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groupsInOrder().map(apiGroup) };
}

export function legacyApiGroup(group: string): Record<string, unknown> | undefined {
  if (!groupsInOrder().includes(group)) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group) };
}

export function legacyResourceList(group: string, version: string): Record<string, unknown> | undefined {
  const resources = RESOURCES.filter((r) => r.group === group && r.version === version);
  if (resources.length === 0) return undefined;
  const list: Record<string, unknown>[] = [];
  for (const r of resources) {
    list.push({
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
      ...(r.categories.length > 0 ? { categories: r.categories } : {}),
    });
    for (const s of r.subresources) {
      const k = subresourceKind(r, s);
      list.push({
        name: `${r.resource}/${s}`,
        singularName: '',
        namespaced: r.namespaced,
        ...(s === 'scale' || s === 'token' || s === 'eviction' ? { group: k.group, version: k.version } : {}),
        kind: k.kind,
        verbs: subresourceVerbs(s),
      });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf(resources[0]!),
    resources: list,
  };
}
