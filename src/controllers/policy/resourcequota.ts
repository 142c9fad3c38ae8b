// The resource quota controller (pkg/controller/resourcequota, v1.32): status.hard follows spec.hard, and
// status.used is recounted from what the namespace holds: for each resource the quota names, the usage of
// every object its evaluator covers (src/api/quota.ts), zero when nothing uses it. The admission plugin
// charges creates at once; this recount catches deletions, pods that finished, and objects of kinds no
// informer watches (a periodic resync, as upstream's --resource-quota-sync-period).
import {
  addUsage,
  objectUsage,
  quotaMatches,
  tracksResource,
  type Usage,
  usageOf,
  usageToList,
} from '../../api/quota.js';
import { canonicalQuantity, zeroQuantity } from '../../api/resource-quantity.js';
import { RESOURCES, type ResourceInfo } from '../../api/resources.js';
import type { KubeObject, ResourceQuota } from '../../api/types.js';
import { type ControllerClient, isStaleWrite } from '../client.js';
import type { Informer } from '../informer.js';
import type { SyncResult } from '../queue.js';

/** How often a quota is recounted without a change to its pods (upstream's default is five minutes). */
export const QUOTA_RESYNC_MS = 30_000;

export interface QuotaDeps {
  client: ControllerClient;
  resource: ResourceInfo;
  quotas: Informer;
  pods: Informer;
}

/** The resources whose objects a quota's hard names count. */
function resourcesFor(names: string[]): ResourceInfo[] {
  const out = new Set<ResourceInfo>();
  for (const r of RESOURCES) {
    if (!r.namespaced) continue;
    const sample = objectUsage(r, { apiVersion: '', kind: r.kind, metadata: {} });
    if (names.some((n) => tracksResource(r, n, sample))) out.add(r);
  }
  return [...out];
}

/** The usage of everything in `ns` the quota covers, for the names it limits. */
export async function computeQuotaUsed(
  deps: QuotaDeps,
  rq: ResourceQuota,
  ns: string,
): Promise<Record<string, string>> {
  const names = Object.keys(rq.spec?.hard ?? {});
  let used: Usage = new Map(names.map((n) => [n, zeroQuantity()]));
  for (const r of resourcesFor(names)) {
    const objects: KubeObject[] =
      r.group === '' && r.resource === 'pods' ? deps.pods.list(ns) : (await deps.client.list(r, ns)).items;
    for (const o of objects) {
      if (!quotaMatches(rq, r, o)) continue;
      const u = objectUsage(r, o);
      for (const k of [...u.keys()]) if (!names.includes(k)) u.delete(k);
      used = addUsage(used, u);
    }
  }
  return usageToList(used);
}

export async function syncResourceQuota(deps: QuotaDeps, ns: string, name: string): Promise<SyncResult> {
  const obj = deps.quotas.get(ns, name);
  if (!obj || obj.metadata.deletionTimestamp) return undefined;
  const rq = obj as unknown as ResourceQuota;
  const hard: Record<string, string> = {};
  for (const [k, v] of Object.entries(rq.spec?.hard ?? {})) hard[k] = canonicalQuantity(v);
  const used = await computeQuotaUsed(deps, rq, ns);
  const same = (a: Record<string, string> | undefined, b: Record<string, string>) => {
    const ua = usageOf(a);
    return (
      ua.size === Object.keys(b).length &&
      Object.entries(b).every(([k, v]) => ua.has(k) && canonicalQuantity(v) === canonicalQuantity(a![k]!))
    );
  };
  if (
    !same(rq.status?.hard as Record<string, string> | undefined, hard) ||
    !same(rq.status?.used as Record<string, string> | undefined, used)
  ) {
    try {
      await deps.client.updateStatus(deps.resource, ns, { ...obj, status: { hard, used } });
    } catch (e) {
      if (!isStaleWrite(e)) throw e;
    }
  }
  return { requeueAfterMs: QUOTA_RESYNC_MS };
}
