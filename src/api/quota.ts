// What an object counts against a ResourceQuota (k8s.io/kubernetes pkg/quota/v1/evaluator/core and
// generic): the pod evaluator's compute resources and counts, the service evaluator's node ports and load
// balancers, and `count/<resource>.<group>` for every kind. Shared by the ResourceQuota admission plugin
// (src/apiserver/policy-admission) and the quota controller (src/controllers/policy).
import {
  addQuantity,
  cmpQuantity,
  formatQuantity,
  parseQuantity,
  type Quantity,
} from './resource-quantity.js';
import type { ResourceInfo } from './resources.js';
import type { Container, KubeObject, Pod, ResourceQuota, Service } from './types.js';

export type Usage = Map<string, Quantity>;

const one = (): Quantity => ({ num: 1n, den: 1n, format: 'DecimalSI' });

/** The names an object of `r` is counted under: `count/deployments.apps`, and the legacy `pods`, `services`… */
export function objectCountName(r: ResourceInfo): string {
  return r.group === '' ? `count/${r.resource}` : `count/${r.resource}.${r.group}`;
}

const LEGACY_COUNTS = new Set([
  'pods',
  'services',
  'configmaps',
  'secrets',
  'persistentvolumeclaims',
  'replicationcontrollers',
  'resourcequotas',
]);

function add(usage: Usage, name: string, q: Quantity): void {
  const prev = usage.get(name);
  usage.set(name, prev ? addQuantity(prev, q) : q);
}

/** The container's requests as API defaulting leaves them: an absent request takes the limit. */
export function effectiveRequests(c: Container): Record<string, string> {
  return {
    ...((c.resources?.limits ?? {}) as Record<string, string>),
    ...((c.resources?.requests ?? {}) as Record<string, string>),
  };
}

function listOf(m: Record<string, string | number>): Usage {
  const out: Usage = new Map();
  for (const [k, v] of Object.entries(m)) {
    const q = parseQuantity(v);
    if (q) out.set(k, q);
  }
  return out;
}

/** resourcehelper.PodRequests / PodLimits: the larger of the app containers' sum and each init container, plus overhead. */
function podResources(pod: Pod, pick: (c: Container) => Record<string, string | number>): Usage {
  const sum: Usage = new Map();
  for (const c of pod.spec?.containers ?? []) for (const [k, q] of listOf(pick(c))) add(sum, k, q);
  for (const c of pod.spec?.initContainers ?? []) {
    for (const [k, q] of listOf(pick(c))) {
      const prev = sum.get(k);
      if (!prev || cmpQuantity(q, prev) > 0) sum.set(k, q);
    }
  }
  for (const [k, q] of listOf((pod.spec?.overhead ?? {}) as Record<string, string>)) add(sum, k, q);
  return sum;
}

/** QuotaV1Pod: a pod counts its compute resources until it is terminal. */
function podIsLive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

/** podComputeUsageHelper: requests and limits under their quota names. */
function computeUsage(requests: Usage, limits: Usage): Usage {
  const out: Usage = new Map([['pods', one()]]);
  for (const [k, q] of requests) {
    if (k === 'cpu' || k === 'memory' || k === 'ephemeral-storage') {
      out.set(k, q);
      out.set(`requests.${k}`, q);
    } else if (k.startsWith('hugepages-') || k.includes('/')) {
      out.set(`requests.${k}`, q);
    }
  }
  for (const [k, q] of limits) {
    if (k === 'cpu' || k === 'memory' || k === 'ephemeral-storage') out.set(`limits.${k}`, q);
  }
  return out;
}

/** PodUsageFunc. */
export function podUsage(pod: Pod): Usage {
  const usage: Usage = new Map([['count/pods', one()]]);
  if (!podIsLive(pod)) return usage;
  const requests = podResources(pod, effectiveRequests);
  const limits = podResources(pod, (c) => (c.resources?.limits ?? {}) as Record<string, string>);
  for (const [k, q] of computeUsage(requests, limits)) usage.set(k, q);
  return usage;
}

/** What one object of `r` uses: its count, and for pods and services what their evaluators add. */
export function objectUsage(r: ResourceInfo, obj: KubeObject): Usage {
  if (r.group === '' && r.resource === 'pods') return podUsage(obj as unknown as Pod);
  const usage: Usage = new Map([[objectCountName(r), one()]]);
  if (r.group === '' && LEGACY_COUNTS.has(r.resource)) usage.set(r.resource, one());
  if (r.group === '' && r.resource === 'services') {
    const svc = obj as unknown as Service;
    const type = svc.spec?.type ?? 'ClusterIP';
    const ports = (svc.spec?.ports ?? []).length;
    if (type === 'NodePort' || type === 'LoadBalancer') {
      usage.set('services.nodeports', { num: BigInt(ports), den: 1n, format: 'DecimalSI' });
    }
    if (type === 'LoadBalancer') usage.set('services.loadbalancers', one());
  }
  if (r.group === '' && r.resource === 'persistentvolumeclaims') {
    const storage = parseQuantity(
      ((obj.spec as { resources?: { requests?: Record<string, string> } } | undefined)?.resources?.requests
        ?.storage ?? '0') as string,
    );
    if (storage) usage.set('requests.storage', storage);
  }
  return usage;
}

/** The pod evaluator's resources a quota may name (MatchingResources); everything else is a count. */
function podMatchesResource(name: string): boolean {
  return (
    name === 'pods' ||
    name === 'count/pods' ||
    name === 'cpu' ||
    name === 'memory' ||
    name === 'ephemeral-storage' ||
    name.startsWith('requests.') ||
    name.startsWith('limits.')
  );
}

/** Whether a quota's resource name is one `r`'s evaluator tracks. */
export function tracksResource(r: ResourceInfo, name: string, sample: Usage): boolean {
  if (r.group === '' && r.resource === 'pods') return podMatchesResource(name);
  return sample.has(name) || name === objectCountName(r);
}

// ---- scopes ----

function isBestEffort(pod: Pod): boolean {
  return [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].every(
    (c) =>
      Object.keys(c.resources?.requests ?? {}).length === 0 &&
      Object.keys(c.resources?.limits ?? {}).length === 0,
  );
}

interface ScopeRequirement {
  scopeName: string;
  operator: string;
  values?: string[];
}

function scopeRequirements(rq: ResourceQuota): ScopeRequirement[] {
  const out: ScopeRequirement[] = (rq.spec?.scopes ?? []).map((s) => ({ scopeName: s, operator: 'Exists' }));
  for (const e of rq.spec?.scopeSelector?.matchExpressions ?? []) out.push(e);
  return out;
}

function podMatchesScope(pod: Pod, s: ScopeRequirement): boolean {
  switch (s.scopeName) {
    case 'Terminating':
      return pod.spec?.activeDeadlineSeconds !== undefined && pod.spec.activeDeadlineSeconds >= 0;
    case 'NotTerminating':
      return pod.spec?.activeDeadlineSeconds === undefined;
    case 'BestEffort':
      return isBestEffort(pod);
    case 'NotBestEffort':
      return !isBestEffort(pod);
    case 'PriorityClass': {
      const name = pod.spec?.priorityClassName ?? '';
      const values = s.values ?? [];
      switch (s.operator) {
        case 'In':
          return values.includes(name);
        case 'NotIn':
          return !values.includes(name);
        case 'Exists':
          return name !== '';
        case 'DoesNotExist':
          return name === '';
        default:
          return false;
      }
    }
    default:
      return false;
  }
}

/** Whether the quota covers an object of `r`: a quota with scopes covers only the pods in all of them. */
export function quotaMatches(rq: ResourceQuota, r: ResourceInfo, obj: KubeObject): boolean {
  const reqs = scopeRequirements(rq);
  if (reqs.length === 0) return true;
  if (!(r.group === '' && r.resource === 'pods')) return false;
  return reqs.every((s) => podMatchesScope(obj as unknown as Pod, s));
}

// ---- lists ----

export function usageOf(list: Record<string, string | number> | undefined): Usage {
  return listOf(list ?? {});
}

/** quota.Mask: only the names given. */
export function mask(u: Usage, names: Iterable<string>): Usage {
  const out: Usage = new Map();
  for (const n of names) {
    const q = u.get(n);
    if (q) out.set(n, q);
  }
  return out;
}

/** quota.Add: a's entries plus b's, in a's formats. */
export function addUsage(a: Usage, b: Usage): Usage {
  const out: Usage = new Map(a);
  for (const [k, q] of b) add(out, k, q);
  return out;
}

/** prettyPrint: `requests.cpu=500m,requests.memory=1Gi`, sorted by name. */
export function prettyPrint(u: Usage): string {
  return [...u.keys()]
    .sort()
    .map((k) => `${k}=${formatQuantity(u.get(k)!)}`)
    .join(',');
}

export function usageToList(u: Usage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [...u.keys()].sort()) out[k] = formatQuantity(u.get(k)!);
  return out;
}
