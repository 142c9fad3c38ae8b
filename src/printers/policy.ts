// printPodDisruptionBudget, printNetworkPolicy, printIngress, printIngressClass, printPriorityClass,
// printResourceQuota (pkg/printers/internalversion/printers.go, v1.32) and kube-aggregator's APIService
// table. LimitRange uses the default NAME / CREATED AT table, as upstream's does.
import { canonicalQuantity } from '../api/resource-quantity.js';
import type {
  Ingress,
  IngressClass,
  NetworkPolicy,
  PodDisruptionBudget,
  PriorityClass,
  ResourceQuota,
} from '../api/types.js';
import { translateTimestampSince } from './duration.js';
import { AGE_COLUMN, column, compareGoStrings, formatLabelSelector, NAME_COLUMN } from './meta.js';
import { printer } from './row-printer.js';
import type { TablePrinter } from './types.js';

const age = (o: { metadata?: { creationTimestamp?: string } }, now: number) =>
  translateTimestampSince(o.metadata?.creationTimestamp, now);

export const printPodDisruptionBudgets = printer<PodDisruptionBudget>(
  [
    NAME_COLUMN,
    column(
      'Min Available',
      'string',
      'The minimum number or percentage of available pods this budget requires.',
    ),
    column(
      'Max Unavailable',
      'string',
      'The maximum number or percentage of unavailable pods this budget requires.',
    ),
    column('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    AGE_COLUMN,
  ],
  (pdb, now) => [
    pdb.metadata?.name ?? '',
    pdb.spec?.minAvailable !== undefined ? String(pdb.spec.minAvailable) : 'N/A',
    pdb.spec?.maxUnavailable !== undefined ? String(pdb.spec.maxUnavailable) : 'N/A',
    pdb.status?.disruptionsAllowed ?? 0,
    age(pdb, now),
  ],
);

export const printNetworkPolicies = printer<NetworkPolicy>(
  [
    NAME_COLUMN,
    column('Pod-Selector', 'string', 'A label query over pods that the policy applies to.'),
    AGE_COLUMN,
  ],
  (np, now) => [np.metadata?.name ?? '', formatLabelSelector(np.spec?.podSelector), age(np, now)],
);

/** formatHosts: the first three hosts, then `+ N more...`; `*` for none. */
function formatHosts(ing: Ingress): string {
  const hosts = (ing.spec?.rules ?? []).map((r) => r.host ?? '').filter((h) => h !== '');
  if (hosts.length === 0) return '*';
  const shown = hosts.slice(0, 3).join(',');
  return hosts.length > 3 ? `${shown} + ${hosts.length - 3} more...` : shown;
}

export const printIngresses = printer<Ingress>(
  [
    NAME_COLUMN,
    column('Class', 'string', 'The name of the IngressClass resource that should be used for ingresses'),
    column('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    column('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    column('Ports', 'string', 'Ports of TLS configurations that open'),
    AGE_COLUMN,
  ],
  (ing, now) => {
    const address = (ing.status?.loadBalancer?.ingress ?? [])
      .map((i) => i.ip || i.hostname || '')
      .filter((a) => a !== '')
      .join(',');
    return [
      ing.metadata?.name ?? '',
      ing.spec?.ingressClassName ?? '<none>',
      formatHosts(ing),
      address,
      (ing.spec?.tls ?? []).length > 0 ? '80, 443' : '80',
      age(ing, now),
    ];
  },
);

export const printIngressClasses = printer<IngressClass>(
  [
    NAME_COLUMN,
    column('Controller', 'string', 'Controller that is responsible for handling this class'),
    column('Parameters', 'string', 'A reference to a resource with additional parameters'),
    AGE_COLUMN,
  ],
  (ic, now) => {
    const p = ic.spec?.parameters;
    const params = p ? `${p.kind}${p.apiGroup ? `.${p.apiGroup}` : ''}/${p.name}` : '<none>';
    return [ic.metadata?.name ?? '', ic.spec?.controller ?? '', params, age(ic, now)];
  },
);

export const printPriorityClasses = printer<PriorityClass>(
  [
    NAME_COLUMN,
    column(
      'Value',
      'integer',
      'The value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec.',
    ),
    column(
      'Global-Default',
      'boolean',
      'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.',
    ),
    AGE_COLUMN,
    column(
      'PreemptionPolicy',
      'string',
      'PreemptionPolicy is the Policy for preempting pods with lower priority.',
    ),
  ],
  (pc, now) => [
    pc.metadata?.name ?? '',
    pc.value,
    pc.globalDefault ?? false,
    age(pc, now),
    pc.preemptionPolicy ?? '',
  ],
);

export const printResourceQuotas = printer<ResourceQuota>(
  [
    NAME_COLUMN,
    AGE_COLUMN,
    column(
      'Request',
      'string',
      'Request represents a minimum amount of cpu/memory that a container may consume.',
    ),
    column(
      'Limit',
      'string',
      'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.',
    ),
  ],
  (rq, now) => {
    const hard = (rq.status?.hard ?? {}) as Record<string, string>;
    const used = (rq.status?.used ?? {}) as Record<string, string>;
    const requests: string[] = [];
    const limits: string[] = [];
    for (const name of Object.keys(hard).sort(compareGoStrings)) {
      const pieces = name.split('.');
      const text = `${name}: ${canonicalQuantity(used[name] ?? '0')}/${canonicalQuantity(hard[name]!)}`;
      (pieces.length > 1 && pieces[0] === 'limits' ? limits : requests).push(text);
    }
    return [rq.metadata?.name ?? '', age(rq, now), requests.join(', '), limits.join(', ')];
  },
);

interface APIService {
  metadata?: { name?: string; creationTimestamp?: string };
  spec?: { service?: { namespace?: string; name?: string } };
  status?: { conditions?: Array<{ type?: string; status?: string; reason?: string }> };
}

export const printAPIServices = printer<APIService>(
  [
    NAME_COLUMN,
    column('Service', 'string', 'The reference to the service that hosts this API endpoint.'),
    column('Available', 'string', 'Whether this service is available.'),
    AGE_COLUMN,
  ],
  (s, now) => {
    const svc = s.spec?.service;
    const available = (s.status?.conditions ?? []).find((c) => c.type === 'Available');
    let status = 'Unknown';
    if (available) {
      status = available.status ?? 'Unknown';
      if (status !== 'True' && available.reason) status = `${status} (${available.reason})`;
    }
    return [
      s.metadata?.name ?? '',
      svc ? `${svc.namespace ?? ''}/${svc.name ?? ''}` : 'Local',
      status,
      age(s, now),
    ];
  },
);

/** These printers by kind, spread into index.ts's table. */
export const POLICY_PRINTERS: Readonly<Record<string, TablePrinter>> = {
  PodDisruptionBudget: printPodDisruptionBudgets,
  NetworkPolicy: printNetworkPolicies,
  Ingress: printIngresses,
  IngressClass: printIngressClasses,
  PriorityClass: printPriorityClasses,
  ResourceQuota: printResourceQuotas,
  APIService: printAPIServices,
};
