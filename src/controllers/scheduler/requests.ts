// What a pod asks of a node, as the scheduler counts it (k8s.io/component-helpers/resource PodRequests, and
// the scheduler's computePodResourceRequest): app containers and sidecars run together, each init container
// runs alone beside the sidecars started before it, the larger of the two wins, and the pod overhead is added.
// Requests that are absent count as zero here (the non-zero defaults are for scoring only).
import { quantityValue } from '../../api/quantity.js';
import type { Container, Pod } from '../../api/types.js';

export interface ResourceAmounts {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** hugepages-*, extended resources (`example.com/gpu`) and the like, by name. */
  scalar: Record<string, number>;
}

export function emptyAmounts(): ResourceAmounts {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, scalar: {} };
}

/** Quantity.MilliValue / Value: rounded up to a whole milli-unit / unit. */
function amount(name: string, q: string | number | undefined): number {
  if (q === undefined) return 0;
  const v = typeof q === 'number' ? q : quantityValue(String(q).trim());
  if (!Number.isFinite(v)) return 0;
  return name === 'cpu' ? Math.ceil(v * 1000 - 1e-9) : Math.ceil(v - 1e-9);
}

/** A resource list (`{cpu: '500m', memory: '1Gi'}`) as amounts; pods is left out (it is the node's count). */
export function amountsOf(list: Record<string, string | number> | undefined): ResourceAmounts {
  const out = emptyAmounts();
  for (const [name, q] of Object.entries(list ?? {})) {
    const v = amount(name, q);
    if (name === 'cpu') out.milliCPU += v;
    else if (name === 'memory') out.memory += v;
    else if (name === 'ephemeral-storage') out.ephemeralStorage += v;
    else if (name !== 'pods') out.scalar[name] = (out.scalar[name] ?? 0) + v;
  }
  return out;
}

export function addAmounts(a: ResourceAmounts, b: ResourceAmounts): ResourceAmounts {
  const scalar = { ...a.scalar };
  for (const [k, v] of Object.entries(b.scalar)) scalar[k] = (scalar[k] ?? 0) + v;
  return {
    milliCPU: a.milliCPU + b.milliCPU,
    memory: a.memory + b.memory,
    ephemeralStorage: a.ephemeralStorage + b.ephemeralStorage,
    scalar,
  };
}

/** a − b, for a sum that loses one of its terms. */
export function subtractAmounts(a: ResourceAmounts, b: ResourceAmounts): ResourceAmounts {
  const scalar = { ...a.scalar };
  for (const [k, v] of Object.entries(b.scalar)) scalar[k] = (scalar[k] ?? 0) - v;
  return {
    milliCPU: a.milliCPU - b.milliCPU,
    memory: a.memory - b.memory,
    ephemeralStorage: a.ephemeralStorage - b.ephemeralStorage,
    scalar,
  };
}

function maxAmounts(a: ResourceAmounts, b: ResourceAmounts): ResourceAmounts {
  const scalar = { ...a.scalar };
  for (const [k, v] of Object.entries(b.scalar)) scalar[k] = Math.max(scalar[k] ?? 0, v);
  return {
    milliCPU: Math.max(a.milliCPU, b.milliCPU),
    memory: Math.max(a.memory, b.memory),
    ephemeralStorage: Math.max(a.ephemeralStorage, b.ephemeralStorage),
    scalar,
  };
}

function containerRequests(c: Container): ResourceAmounts {
  // API defaulting copies limits into absent requests; a pod stored before that still counts its limits.
  const limits = (c.resources?.limits ?? {}) as Record<string, string | number>;
  const requests = (c.resources?.requests ?? {}) as Record<string, string | number>;
  return amountsOf({ ...limits, ...requests });
}

/** The pod's effective requests (PodRequests with sidecars, plus spec.overhead). */
export function podRequests(pod: Pod): ResourceAmounts {
  let reqs = emptyAmounts();
  for (const c of pod.spec?.containers ?? []) reqs = addAmounts(reqs, containerRequests(c));
  let sidecars = emptyAmounts();
  let initMax = emptyAmounts();
  for (const c of pod.spec?.initContainers ?? []) {
    let r = containerRequests(c);
    if (c.restartPolicy === 'Always') {
      reqs = addAmounts(reqs, r);
      sidecars = addAmounts(sidecars, r);
      r = sidecars;
    } else {
      r = addAmounts(r, sidecars);
    }
    initMax = maxAmounts(initMax, r);
  }
  reqs = maxAmounts(reqs, initMax);
  const overhead = pod.spec?.overhead as Record<string, string> | undefined;
  return overhead ? addAmounts(reqs, amountsOf(overhead)) : reqs;
}
