// API defaulting of the policy kinds (the SetDefaults_* functions of networking/v1, scheduling/v1 and core/v1
// LimitRangeItem), called from applyDefaultsInPlace.
import type { LimitRange, NetworkPolicy, PriorityClass } from './types.js';

type ResourceList = Record<string, string>;

/** SetDefaults_LimitRangeItem: a Container item's default limit falls back to max, its default request to the default limit, then to min. */
export function defaultLimitRange(lr: LimitRange): void {
  for (const item of lr.spec?.limits ?? []) {
    if (item.type !== 'Container') continue;
    const def: ResourceList = { ...(item.default as ResourceList | undefined) };
    const req: ResourceList = { ...(item.defaultRequest as ResourceList | undefined) };
    for (const [k, v] of Object.entries((item.max ?? {}) as ResourceList)) if (!(k in def)) def[k] = v;
    for (const [k, v] of Object.entries(def)) if (!(k in req)) req[k] = v;
    for (const [k, v] of Object.entries((item.min ?? {}) as ResourceList)) if (!(k in req)) req[k] = v;
    // Empty maps are omitted, as Go's omitempty drops them.
    if (Object.keys(def).length > 0) item.default = def;
    if (Object.keys(req).length > 0) item.defaultRequest = req;
  }
}

/** SetDefaults_NetworkPolicy and SetDefaults_NetworkPolicyPort. */
export function defaultNetworkPolicy(np: NetworkPolicy): void {
  const spec = np.spec;
  if (!spec) return;
  for (const rule of [...(spec.ingress ?? []), ...(spec.egress ?? [])]) {
    for (const p of rule.ports ?? []) p.protocol ??= 'TCP';
  }
  if (!spec.policyTypes || spec.policyTypes.length === 0) {
    spec.policyTypes = (spec.egress ?? []).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  }
}

/** SetDefaults_PriorityClass; `value` is a Go int32, so absent (a protobuf body drops zeros) is 0. */
export function defaultPriorityClass(pc: PriorityClass): void {
  pc.value ??= 0;
  pc.preemptionPolicy ??= 'PreemptLowerPriority';
}
