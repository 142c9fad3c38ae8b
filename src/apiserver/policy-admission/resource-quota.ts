// The ResourceQuota admission plugin (plugin/pkg/admission/resourcequota and apiserver's quota controller,
// v1.32), for creates: every quota of the namespace whose status the controller has filled in and whose
// scopes cover the object is charged with what the object uses; one that would go over its hard limit
// refuses the create with upstream's `exceeded quota: …` message, and the others record the new usage in
// status.used at once, so two creates in a row cannot both take the last unit.
import {
  addUsage,
  mask,
  objectUsage,
  prettyPrint,
  quotaMatches,
  tracksResource,
  type Usage,
  usageOf,
  usageToList,
} from '../../api/quota.js';
import { cmpQuantity } from '../../api/resource-quantity.js';
import type { ResourceInfo } from '../../api/resources.js';
import type { Container, KubeObject, Pod, ResourceQuota } from '../../api/types.js';
import { forbidden } from '../errors.js';

/** The compute resources each container must name once a quota limits them (the pod evaluator's Constraints). */
const VALIDATION_SET = ['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'];

function containerNames(c: Container): Set<string> {
  const out = new Set<string>();
  const requests = { ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) };
  for (const k of ['cpu', 'memory']) {
    if (k in requests) {
      out.add(k);
      out.add(`requests.${k}`);
    }
    if (k in (c.resources?.limits ?? {})) out.add(`limits.${k}`);
  }
  return out;
}

function podConstraints(pod: Pod, restricted: string[]): string | undefined {
  const required = restricted.filter((n) => VALIDATION_SET.includes(n));
  const missing = new Map<string, Set<string>>();
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    const have = containerNames(c);
    for (const n of required) {
      if (!have.has(n)) missing.set(n, (missing.get(n) ?? new Set()).add(c.name));
    }
  }
  if (missing.size === 0) return undefined;
  const parts = [...missing.keys()].sort().map((n) => `${n} for: ${[...missing.get(n)!].sort().join(',')}`);
  return `must specify ${parts.join('; ')}`;
}

/**
 * Charges `obj` (being created as a `r`) to `quotas`. Returns the quotas whose status.used changed, with the
 * new usage; throws Forbidden when one would be exceeded, as upstream's checkRequest.
 */
export function chargeQuotas(r: ResourceInfo, obj: KubeObject, quotas: ResourceQuota[]): ResourceQuota[] {
  const name = obj.metadata?.name ?? '';
  const delta = objectUsage(r, obj);
  const interesting: ResourceQuota[] = [];
  for (const q of quotas) {
    if (!quotaMatches(q, r, obj)) continue;
    const hard = usageOf(q.status?.hard as Record<string, string> | undefined);
    const restricted = [...hard.keys()].filter((n) => tracksResource(r, n, delta));
    if (restricted.length === 0) continue;
    if (r.group === '' && r.resource === 'pods') {
      const err = podConstraints(obj as unknown as Pod, restricted);
      if (err) throw forbidden(r, name, `failed quota: ${q.metadata?.name}: ${err}`);
    }
    const used = (q.status?.used ?? {}) as Record<string, string>;
    const missing = restricted.filter((n) => !(n in used)).sort();
    if (missing.length > 0) {
      throw forbidden(
        r,
        name,
        `status unknown for quota: ${q.metadata?.name}, resources: ${restricted.sort().join(',')}`,
      );
    }
    interesting.push(q);
  }
  for (const [k, v] of delta) if (v.num === 0n) delta.delete(k);
  if (delta.size === 0) return [];
  const out: ResourceQuota[] = [];
  for (const q of interesting) {
    const hard = usageOf(q.status?.hard as Record<string, string> | undefined);
    const used = usageOf(q.status?.used as Record<string, string> | undefined);
    const requested = mask(delta, hard.keys());
    const newUsage = addUsage(used, requested);
    const exceeded: string[] = [];
    for (const [k, v] of mask(newUsage, requested.keys())) {
      const h = hard.get(k);
      if (h && cmpQuantity(v, h) > 0) exceeded.push(k);
    }
    if (exceeded.length > 0) {
      throw forbidden(
        r,
        name,
        `exceeded quota: ${q.metadata?.name}, requested: ${prettyPrint(mask(requested, exceeded))}, used: ${prettyPrint(mask(used, exceeded))}, limited: ${prettyPrint(mask(hard, exceeded))}`,
      );
    }
    if (requested.size === 0) continue;
    out.push({ ...q, status: { ...q.status, used: usageToList(newUsage as Usage) } });
  }
  return out;
}
