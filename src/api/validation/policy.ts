// Validation of the policy kinds (Kubernetes v1.32): PodDisruptionBudget (pkg/apis/policy/validation),
// PriorityClass (pkg/apis/scheduling/validation), LimitRange and ResourceQuota (pkg/apis/core/validation),
// NetworkPolicy, Ingress and IngressClass (pkg/apis/networking/validation), with upstream's messages.
import type { LimitRange, LimitRangeItem, ResourceQuota } from 'kubernetes-types/core/v1.js';
import type {
  Ingress,
  IngressBackend,
  IngressClass,
  NetworkPolicy,
  NetworkPolicySpec,
} from 'kubernetes-types/networking/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { cmpQuantity, formatQuantity, parseQuantity, type Quantity } from '../resource-quantity.js';
import { duplicate, type FieldError, forbidden, invalid, notSupported, required } from './field-error.js';
import { validateLabelSelector } from './meta.js';
import { isDNS1035Label, isDNS1123Subdomain, isQualifiedName, isValidPercent } from './names.js';
import { child, index, key, type Path } from './path.js';

/** scheduling.HighestUserDefinablePriority. */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
/** The two classes every cluster has (scheduling.SystemPriorityClasses). */
export const SYSTEM_PRIORITY_CLASSES: ReadonlyArray<{ name: string; value: number; description: string }> = [
  {
    name: 'system-node-critical',
    value: 2_000_001_000,
    description: 'Used for system critical pods that must not be moved from their current node.',
  },
  {
    name: 'system-cluster-critical',
    value: 2_000_000_000,
    description:
      'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
  },
];
const PREEMPTION_POLICIES = ['Never', 'PreemptLowerPriority'];

// ---- PodDisruptionBudget ----

function positiveIntOrPercent(v: number | string, path: Path): FieldError[] {
  if (typeof v === 'string') {
    const errs = isValidPercent(v).map((m) => invalid(path, v, m));
    if (errs.length === 0 && Number(v.slice(0, -1)) > 100) {
      errs.push(invalid(path, v, 'must not be greater than 100%'));
    }
    return errs;
  }
  return v < 0 ? [invalid(path, v, 'must be greater than or equal to 0')] : [];
}

export function validatePodDisruptionBudget(pdb: PodDisruptionBudget): FieldError[] {
  const spec = pdb.spec ?? {};
  const errs: FieldError[] = [];
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    errs.push(invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  }
  if (spec.minAvailable !== undefined)
    errs.push(...positiveIntOrPercent(spec.minAvailable, 'spec.minAvailable'));
  if (spec.maxUnavailable !== undefined)
    errs.push(...positiveIntOrPercent(spec.maxUnavailable, 'spec.maxUnavailable'));
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (policy !== undefined && policy !== 'IfHealthyBudget' && policy !== 'AlwaysAllow') {
    errs.push(notSupported('spec.unhealthyPodEvictionPolicy', policy, ['AlwaysAllow', 'IfHealthyBudget']));
  }
  return errs;
}

// ---- PriorityClass ----

export function validatePriorityClass(pc: PriorityClass): FieldError[] {
  const errs: FieldError[] = [];
  const name = pc.metadata?.name ?? '';
  if (name.startsWith('system-')) {
    const known = SYSTEM_PRIORITY_CLASSES.find((c) => c.name === name);
    let why = '';
    if (!known) why = `${name} is not a known system priority class`;
    else if (known.value !== pc.value) why = `value of ${name} PriorityClass must be ${known.value}`;
    else if (pc.globalDefault) why = `globalDefault of ${name} PriorityClass must be false`;
    if (why) {
      errs.push(
        forbidden(
          'metadata.name',
          `priority class names with 'system-' prefix are reserved for system use only. error: ${why}`,
        ),
      );
    }
  } else if (pc.value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(
      forbidden(
        'value',
        `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`,
      ),
    );
  }
  if (pc.preemptionPolicy !== undefined && !PREEMPTION_POLICIES.includes(pc.preemptionPolicy)) {
    errs.push(notSupported('preemptionPolicy', pc.preemptionPolicy, PREEMPTION_POLICIES));
  }
  return errs;
}

export function validatePriorityClassUpdate(pc: PriorityClass, old: PriorityClass): FieldError[] {
  const errs: FieldError[] = [];
  if (pc.value !== old.value) errs.push(forbidden('value', 'may not be changed in an update.'));
  if (pc.preemptionPolicy !== old.preemptionPolicy) {
    errs.push(invalid('preemptionPolicy', pc.preemptionPolicy ?? null, 'field is immutable'));
  }
  return errs;
}

// ---- LimitRange ----

const LIMIT_TYPES = ['Container', 'Pod', 'PersistentVolumeClaim'];
type QuantityMap = Record<string, string | number> | undefined;

function quantities(m: QuantityMap, path: Path, errs: FieldError[]): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  for (const [k, v] of Object.entries(m ?? {})) {
    const p = key(path, k);
    for (const msg of isQualifiedName(k)) errs.push(invalid(p, k, msg));
    const q = parseQuantity(v);
    if (!q) {
      errs.push(invalid(p, String(v), 'quantities must match the regular expression'));
      continue;
    }
    if (q.num < 0n) errs.push(invalid(p, String(v), 'must be greater than or equal to 0'));
    out.set(k, q);
  }
  return out;
}

function validateLimitRangeItem(item: LimitRangeItem, path: Path, seen: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  const type = item.type;
  if (!type) errs.push(required(child(path, 'type')));
  else if (!LIMIT_TYPES.includes(type) && isQualifiedName(type).length > 0) {
    errs.push(...isQualifiedName(type).map((m) => invalid(child(path, 'type'), type, m)));
  }
  if (type && seen.has(type)) errs.push(duplicate(child(path, 'type'), type));
  if (type) seen.add(type);
  const max = quantities(item.max, child(path, 'max'), errs);
  const min = quantities(item.min, child(path, 'min'), errs);
  const def = quantities(item.default, child(path, 'default'), errs);
  const defReq = quantities(item.defaultRequest, child(path, 'defaultRequest'), errs);
  const ratio = quantities(item.maxLimitRequestRatio, child(path, 'maxLimitRequestRatio'), errs);
  if (type === 'Pod') {
    if (def.size > 0)
      errs.push(forbidden(child(path, 'default'), "may not be specified when `type` is 'Pod'"));
    if (defReq.size > 0) {
      errs.push(forbidden(child(path, 'defaultRequest'), "may not be specified when `type` is 'Pod'"));
    }
  }
  const names = new Set([...max.keys(), ...min.keys(), ...def.keys(), ...defReq.keys(), ...ratio.keys()]);
  const s = formatQuantity;
  for (const k of [...names].sort()) {
    const mn = min.get(k);
    const mx = max.get(k);
    const d = def.get(k);
    const dr = defReq.get(k);
    const r = ratio.get(k);
    if (mn && mx && cmpQuantity(mn, mx) > 0) {
      errs.push(
        invalid(key(child(path, 'min'), k), s(mn), `min value ${s(mn)} is greater than max value ${s(mx)}`),
      );
    }
    if (dr && mn && cmpQuantity(mn, dr) > 0) {
      errs.push(
        invalid(
          key(child(path, 'defaultRequest'), k),
          s(dr),
          `min value ${s(mn)} is greater than default request value ${s(dr)}`,
        ),
      );
    }
    if (dr && mx && cmpQuantity(dr, mx) > 0) {
      errs.push(
        invalid(
          key(child(path, 'defaultRequest'), k),
          s(dr),
          `default request value ${s(dr)} is greater than max value ${s(mx)}`,
        ),
      );
    }
    if (dr && d && cmpQuantity(dr, d) > 0) {
      errs.push(
        invalid(
          key(child(path, 'defaultRequest'), k),
          s(dr),
          `default request value ${s(dr)} is greater than default limit value ${s(d)}`,
        ),
      );
    }
    if (d && mn && cmpQuantity(mn, d) > 0) {
      errs.push(
        invalid(
          key(child(path, 'default'), k),
          s(mn),
          `min value ${s(mn)} is greater than default value ${s(d)}`,
        ),
      );
    }
    if (d && mx && cmpQuantity(d, mx) > 0) {
      errs.push(
        invalid(
          key(child(path, 'default'), k),
          s(mx),
          `default value ${s(d)} is greater than max value ${s(mx)}`,
        ),
      );
    }
    if (r && r.num < r.den) {
      errs.push(invalid(key(child(path, 'maxLimitRequestRatio'), k), s(r), `ratio ${s(r)} is less than 1`));
    }
  }
  return errs;
}

export function validateLimitRange(lr: LimitRange): FieldError[] {
  const seen = new Set<string>();
  return (lr.spec?.limits ?? []).flatMap((item, i) =>
    validateLimitRangeItem(item, index('spec.limits', i), seen),
  );
}

// ---- ResourceQuota ----

const QUOTA_SCOPES = [
  'Terminating',
  'NotTerminating',
  'BestEffort',
  'NotBestEffort',
  'PriorityClass',
  'CrossNamespacePodAffinity',
];

export function validateResourceQuota(rq: ResourceQuota): FieldError[] {
  const errs: FieldError[] = [];
  quantities(rq.spec?.hard as QuantityMap, 'spec.hard', errs);
  quantities(rq.status?.hard as QuantityMap, 'status.hard', errs);
  quantities(rq.status?.used as QuantityMap, 'status.used', errs);
  (rq.spec?.scopes ?? []).forEach((scope, i) => {
    if (!QUOTA_SCOPES.includes(scope)) errs.push(notSupported(index('spec.scopes', i), scope, QUOTA_SCOPES));
  });
  return errs;
}

// ---- NetworkPolicy, Ingress, IngressClass ----

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const POLICY_TYPES = ['Egress', 'Ingress'];

export function validateNetworkPolicy(np: NetworkPolicy): FieldError[] {
  const spec: Partial<NetworkPolicySpec> = np.spec ?? {};
  const errs = validateLabelSelector(spec.podSelector, 'spec.podSelector');
  const rules = [
    ...(spec.ingress ?? []).map((r, i) => ({
      ports: r.ports,
      peers: r.from,
      path: index('spec.ingress', i),
      peerField: 'from',
    })),
    ...(spec.egress ?? []).map((r, i) => ({
      ports: r.ports,
      peers: r.to,
      path: index('spec.egress', i),
      peerField: 'to',
    })),
  ];
  for (const rule of rules) {
    (rule.ports ?? []).forEach((p, i) => {
      const pp = index(child(rule.path, 'ports'), i);
      if (p.protocol !== undefined && !PROTOCOLS.includes(p.protocol)) {
        errs.push(notSupported(child(pp, 'protocol'), p.protocol, PROTOCOLS));
      }
      if (typeof p.port === 'number' && (p.port < 1 || p.port > 65535)) {
        errs.push(invalid(child(pp, 'port'), p.port, 'must be between 1 and 65535, inclusive'));
      }
    });
    (rule.peers ?? []).forEach((peer, i) => {
      const pp = index(child(rule.path, rule.peerField), i);
      if (peer.podSelector) errs.push(...validateLabelSelector(peer.podSelector, child(pp, 'podSelector')));
      if (peer.namespaceSelector) {
        errs.push(...validateLabelSelector(peer.namespaceSelector, child(pp, 'namespaceSelector')));
      }
      const set = [peer.podSelector, peer.namespaceSelector, peer.ipBlock].filter((x) => x !== undefined);
      if (set.length === 0) errs.push(required(pp, 'must specify a peer'));
      else if (peer.ipBlock && set.length > 1)
        errs.push(forbidden(pp, 'may not specify both ipBlock and another peer'));
    });
  }
  (spec.policyTypes ?? []).forEach((t, i) => {
    if (!POLICY_TYPES.includes(t)) errs.push(notSupported(index('spec.policyTypes', i), t, POLICY_TYPES));
  });
  return errs;
}

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];

function validateIngressBackend(b: IngressBackend, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (b.service && b.resource) return [invalid(path, '', 'cannot set both resource and service backends')];
  if (b.service) {
    const sp = child(path, 'service');
    for (const m of isDNS1035Label(b.service.name ?? ''))
      errs.push(invalid(child(sp, 'name'), b.service.name ?? '', m));
    const port = b.service.port ?? {};
    if (port.name && port.number !== undefined) {
      errs.push(invalid(child(sp, 'port'), port.name, 'cannot set both port name & port number'));
    } else if (port.name) {
      for (const m of isDNS1035Label(port.name)) errs.push(invalid(child(sp, 'port', 'name'), port.name, m));
    } else if (port.number !== undefined) {
      if (port.number < 1 || port.number > 65535) {
        errs.push(
          invalid(child(sp, 'port', 'number'), port.number, 'must be between 1 and 65535, inclusive'),
        );
      }
    } else {
      errs.push(required(child(sp, 'port'), 'port name or number is required'));
    }
  } else if (!b.resource) {
    errs.push(invalid(path, '', 'resource or service backend is required'));
  }
  return errs;
}

export function validateIngress(ing: Ingress): FieldError[] {
  const spec = ing.spec ?? {};
  const errs: FieldError[] = [];
  if (spec.defaultBackend) errs.push(...validateIngressBackend(spec.defaultBackend, 'spec.defaultBackend'));
  else if ((spec.rules ?? []).length === 0) {
    errs.push(invalid('spec.rules', [], 'either `defaultBackend` or `rules` must be specified'));
  }
  if (spec.ingressClassName !== undefined) {
    for (const m of isDNS1123Subdomain(spec.ingressClassName)) {
      errs.push(invalid('spec.ingressClassName', spec.ingressClassName, m));
    }
  }
  (spec.rules ?? []).forEach((rule, i) => {
    const rp = index('spec.rules', i);
    (rule.http?.paths ?? []).forEach((p, j) => {
      const pp = index(child(rp, 'http', 'paths'), j);
      if (!p.pathType) errs.push(required(child(pp, 'pathType'), 'pathType must be specified'));
      else if (!PATH_TYPES.includes(p.pathType))
        errs.push(notSupported(child(pp, 'pathType'), p.pathType, PATH_TYPES));
      else if (p.pathType !== 'ImplementationSpecific' && !(p.path ?? '').startsWith('/')) {
        errs.push(invalid(child(pp, 'path'), p.path ?? '', 'must be an absolute path'));
      }
      errs.push(...validateIngressBackend(p.backend ?? {}, child(pp, 'backend')));
    });
  });
  return errs;
}

export function validateIngressClass(ic: IngressClass): FieldError[] {
  const controller = ic.spec?.controller;
  if (controller === undefined || controller === '') return [required('spec.controller')];
  return [];
}
