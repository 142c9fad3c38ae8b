// The LimitRanger admission plugin for pods (plugin/pkg/admission/limitranger, v1.32): each LimitRange of the
// namespace first fills in its Container defaults (default → limits, defaultRequest → requests) where a
// container names none, recording what it set in the `kubernetes.io/limit-ranger` annotation, then checks
// min, max and maxLimitRequestRatio per Container and per Pod. The errors keep upstream's words.
import { effectiveRequests } from '../../api/quota.js';
import {
  cmpQuantity,
  formatQuantity,
  milliValue,
  parseQuantity,
  type Quantity,
  unitValue,
} from '../../api/resource-quantity.js';
import type { Container, LimitRange, Pod } from '../../api/types.js';

export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

type List = Record<string, string>;

/** Pod defaulting's part that LimitRanger must see first: an absent request takes the limit. */
function defaultRequestsFromLimits(c: Container): void {
  const limits = (c.resources?.limits ?? {}) as List;
  if (Object.keys(limits).length === 0) return;
  c.resources ??= {};
  c.resources.requests = effectiveRequests(c);
}

function mergeContainer(c: Container, limits: List, requests: List, prefix: string, notes: string[]): void {
  const setLimits: string[] = [];
  const setRequests: string[] = [];
  const curLimits: List = { ...((c.resources?.limits ?? {}) as List) };
  const curRequests: List = { ...((c.resources?.requests ?? {}) as List) };
  for (const [k, v] of Object.entries(limits)) {
    if (!(k in curLimits)) {
      curLimits[k] = v;
      setLimits.push(k);
    }
  }
  for (const [k, v] of Object.entries(requests)) {
    if (!(k in curRequests)) {
      curRequests[k] = v;
      setRequests.push(k);
    }
  }
  if (setLimits.length + setRequests.length === 0) return;
  c.resources ??= {};
  if (Object.keys(curLimits).length > 0) c.resources.limits = curLimits;
  if (Object.keys(curRequests).length > 0) c.resources.requests = curRequests;
  if (setRequests.length > 0) notes.push(`${setRequests.sort().join(', ')} request for ${prefix} ${c.name}`);
  if (setLimits.length > 0) notes.push(`${setLimits.sort().join(', ')} limit for ${prefix} ${c.name}`);
}

/** defaultContainerResourceRequirements + mergePodResourceRequirements. */
function applyDefaults(lr: LimitRange, pod: Pod): void {
  const limits: List = {};
  const requests: List = {};
  for (const item of lr.spec?.limits ?? []) {
    if (item.type !== 'Container') continue;
    Object.assign(requests, item.defaultRequest ?? {});
    Object.assign(limits, item.default ?? {});
  }
  const notes: string[] = [];
  for (const c of pod.spec?.containers ?? []) mergeContainer(c, limits, requests, 'container', notes);
  for (const c of pod.spec?.initContainers ?? [])
    mergeContainer(c, limits, requests, 'init container', notes);
  if (notes.length > 0) {
    pod.metadata ??= {};
    pod.metadata.annotations = {
      ...pod.metadata.annotations,
      [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}`,
    };
  }
}

const MAX_MILLI = 2n ** 63n / 1000n;

/** requestLimitEnforcedValues: milli-units when none overflows, whole units otherwise. */
function values(
  req: Quantity | undefined,
  lim: Quantity | undefined,
  enforced: Quantity,
): [bigint, bigint, bigint] {
  const z: Quantity = { num: 0n, den: 1n, format: 'DecimalSI' };
  const [r, l, e] = [req ?? z, lim ?? z, enforced];
  if (unitValue(r) <= MAX_MILLI && unitValue(l) <= MAX_MILLI && unitValue(e) <= MAX_MILLI) {
    return [milliValue(r), milliValue(l), milliValue(e)];
  }
  return [unitValue(r), unitValue(l), unitValue(e)];
}

type Checked = Map<string, Quantity>;

function qmap(list: Record<string, string | number> | undefined): Checked {
  const out: Checked = new Map();
  for (const [k, v] of Object.entries(list ?? {})) {
    const q = parseQuantity(v);
    if (q) out.set(k, q);
  }
  return out;
}

function minConstraint(
  type: string,
  name: string,
  enforced: Quantity,
  request: Checked,
  limit: Checked,
): string | undefined {
  const req = request.get(name);
  const lim = limit.get(name);
  const [r, l, e] = values(req, lim, enforced);
  const s = formatQuantity;
  if (!req) return `minimum ${name} usage per ${type} is ${s(enforced)}.  No request is specified`;
  if (r < e) return `minimum ${name} usage per ${type} is ${s(enforced)}, but request is ${s(req)}`;
  if (lim && l < e) return `minimum ${name} usage per ${type} is ${s(enforced)}, but limit is ${s(lim)}`;
  return undefined;
}

function maxConstraint(
  type: string,
  name: string,
  enforced: Quantity,
  request: Checked,
  limit: Checked,
): string | undefined {
  const req = request.get(name);
  const lim = limit.get(name);
  const [r, l, e] = values(req, lim, enforced);
  const s = formatQuantity;
  if (!lim) return `maximum ${name} usage per ${type} is ${s(enforced)}.  No limit is specified`;
  if (l > e) return `maximum ${name} usage per ${type} is ${s(enforced)}, but limit is ${s(lim)}`;
  if (req && r > e) return `maximum ${name} usage per ${type} is ${s(enforced)}, but request is ${s(req)}`;
  return undefined;
}

function ratioConstraint(
  type: string,
  name: string,
  enforced: Quantity,
  request: Checked,
  limit: Checked,
): string | undefined {
  const req = request.get(name);
  const lim = limit.get(name);
  const [r, l] = values(req, lim, enforced);
  const s = formatQuantity(enforced);
  if (!req || r === 0n) {
    return `${name} max limit to request ratio per ${type} is ${s}, but no request is specified or request is 0`;
  }
  if (!lim || l === 0n) {
    return `${name} max limit to request ratio per ${type} is ${s}, but no limit is specified or limit is 0`;
  }
  const observed = Number(l) / Number(r);
  let ratio = observed;
  let max = Number(unitValue(enforced));
  if (unitValue(enforced) <= MAX_MILLI) {
    ratio = observed * 1000;
    max = Number(milliValue(enforced));
  }
  // Go's %f: six decimals.
  if (ratio > max)
    return `${name} max limit to request ratio per ${type} is ${s}, but provided ratio is ${observed.toFixed(6)}`;
  return undefined;
}

function checkAll(
  type: string,
  item: NonNullable<LimitRange['spec']>['limits'][number],
  request: Checked,
  limit: Checked,
): string[] {
  const errs: string[] = [];
  for (const [k, v] of qmap(item.min)) {
    const e = minConstraint(type, k, v, request, limit);
    if (e) errs.push(e);
  }
  for (const [k, v] of qmap(item.max)) {
    const e = maxConstraint(type, k, v, request, limit);
    if (e) errs.push(e);
  }
  for (const [k, v] of qmap(item.maxLimitRequestRatio)) {
    const e = ratioConstraint(type, k, v, request, limit);
    if (e) errs.push(e);
  }
  return errs;
}

/** sum(): each resource totalled over the containers, left out unless every container names it. */
function sum(lists: Checked[]): Checked {
  const out: Checked = new Map();
  const keys = new Set(lists.flatMap((l) => [...l.keys()]));
  for (const k of keys) {
    if (!lists.every((l) => l.has(k))) continue;
    let total = 0n;
    for (const l of lists) total += k === 'cpu' ? milliValue(l.get(k)!) : unitValue(l.get(k)!);
    out.set(
      k,
      k === 'cpu'
        ? { num: total, den: 1000n, format: 'DecimalSI' }
        : { num: total, den: 1n, format: 'DecimalSI' },
    );
  }
  return out;
}

/** PodValidateLimitFunc for one LimitRange. */
function validate(lr: LimitRange, pod: Pod): string[] {
  const errs: string[] = [];
  const containers = pod.spec?.containers ?? [];
  const inits = pod.spec?.initContainers ?? [];
  for (const item of lr.spec?.limits ?? []) {
    if (item.type === 'Container') {
      for (const c of [...containers, ...inits]) {
        errs.push(...checkAll('Container', item, qmap(c.resources?.requests), qmap(c.resources?.limits)));
      }
    }
    if (item.type === 'Pod') {
      const requests = sum(containers.map((c) => qmap(c.resources?.requests)));
      const limits = sum(containers.map((c) => qmap(c.resources?.limits)));
      for (const c of inits) {
        for (const [k, q] of qmap(c.resources?.requests)) {
          const prev = requests.get(k);
          if (!prev || cmpQuantity(q, prev) > 0) requests.set(k, q);
        }
        for (const [k, q] of qmap(c.resources?.limits)) {
          const prev = limits.get(k);
          if (!prev || cmpQuantity(q, prev) > 0) limits.set(k, q);
        }
      }
      errs.push(...checkAll('Pod', item, requests, limits));
    }
  }
  return errs;
}

/**
 * Applies every LimitRange's defaults to `pod` (in place) and returns the constraint violations, in
 * upstream's order, empty when the pod is admitted.
 */
export function limitPod(pod: Pod, limitRanges: LimitRange[]): string[] {
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    defaultRequestsFromLimits(c);
  }
  const errs: string[] = [];
  for (const lr of limitRanges) {
    applyDefaults(lr, pod);
    errs.push(...validate(lr, pod));
  }
  return errs;
}

/** utilerrors.NewAggregate(errs).Error(): one error alone, several in brackets. */
export function aggregate(errs: string[]): string {
  return errs.length === 1 ? errs[0]! : `[${errs.join(', ')}]`;
}
