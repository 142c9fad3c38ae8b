// Installs the policy admission plugins on a registry, in the order of a default API server: LimitRanger and
// Priority on pods, the single-default rule on PriorityClasses, and ResourceQuota last on every namespaced
// resource. They read what they need (LimitRanges, PriorityClasses, ResourceQuotas) at each create.
import { RESOURCES, type ResourceInfo } from '../../api/resources.js';
import type { KubeObject, LimitRange, Pod, PriorityClass, ResourceQuota } from '../../api/types.js';
import { ApiError, forbidden } from '../errors.js';
import type { Registry } from '../registry.js';
import { aggregate, limitPod } from './limit-ranger.js';
import { admitPodPriority, admitPriorityClass, listPriorityClasses } from './priority.js';
import { chargeQuotas } from './resource-quota.js';

async function chargeWithRetry(
  registry: Registry,
  r: ResourceInfo,
  obj: KubeObject,
  dryRun: boolean,
): Promise<void> {
  const ns = obj.metadata.namespace ?? '';
  for (let attempt = 0; ; attempt++) {
    const quotas = (await registry.list('resourcequotas', ns)).items as unknown as ResourceQuota[];
    if (quotas.length === 0) return;
    const updated = chargeQuotas(r, obj, quotas);
    if (dryRun) return;
    try {
      for (const q of updated) {
        await registry.updateStatus('resourcequotas', ns, q.metadata?.name ?? '', q);
      }
      return;
    } catch (e) {
      // Another create charged the quota first: charge the new usage.
      if (e instanceof ApiError && e.reason === 'Conflict' && attempt < 5) continue;
      throw e;
    }
  }
}

export function installPolicyAdmission(registry: Registry): void {
  registry.addAdmission('pods', async (obj) => {
    const pod = obj as unknown as Pod;
    const ns = obj.metadata.namespace ?? '';
    const ranges = (await registry.list('limitranges', ns)).items as unknown as LimitRange[];
    const errs = limitPod(pod, ranges);
    if (errs.length > 0)
      throw forbidden({ group: '', resource: 'pods' }, obj.metadata.name ?? '', aggregate(errs));
    admitPodPriority(pod, await listPriorityClasses(registry));
  });
  registry.addAdmission('priorityclasses.scheduling.k8s.io', async (obj) => {
    admitPriorityClass(obj as unknown as PriorityClass, await listPriorityClasses(registry));
  });
  for (const r of RESOURCES) {
    if (!r.namespaced) continue;
    registry.addAdmission(r, (obj, dryRun) => chargeWithRetry(registry, r, obj, dryRun));
  }
}
