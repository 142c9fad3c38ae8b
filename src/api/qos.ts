// ComputePodQOS (pkg/apis/core/v1/helper/qos/qos.go): BestEffort, Burstable or Guaranteed, over init and app
// containers, cpu and memory only. Requests default to limits, as API defaulting does.
import { quantityOrZero } from './quantity.js';
import type { Container, Pod } from './types.js';

const QOS_RESOURCES = ['cpu', 'memory'] as const;

export type QOSClass = 'BestEffort' | 'Burstable' | 'Guaranteed';

export function podQOSClass(pod: Pod): QOSClass {
  const all: Container[] = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  const requests: Record<string, number> = {};
  const limits: Record<string, number> = {};
  let guaranteed = true;
  for (const c of all) {
    const lim = c.resources?.limits ?? {};
    const req = { ...lim, ...(c.resources?.requests ?? {}) };
    for (const name of QOS_RESOURCES) {
      const r = quantityOrZero(req[name]);
      if (r > 0) requests[name] = (requests[name] ?? 0) + r;
    }
    const found = new Set<string>();
    for (const name of QOS_RESOURCES) {
      const l = quantityOrZero(lim[name]);
      if (l > 0) {
        found.add(name);
        limits[name] = (limits[name] ?? 0) + l;
      }
    }
    if (!QOS_RESOURCES.every((n) => found.has(n))) guaranteed = false;
  }
  if (Object.keys(requests).length === 0 && Object.keys(limits).length === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, r] of Object.entries(requests)) {
      const l = limits[name];
      if (l === undefined || Math.abs(l - r) > 1e-9 * Math.max(l, r)) {
        guaranteed = false;
        break;
      }
    }
  }
  if (guaranteed && Object.keys(requests).length === Object.keys(limits).length) return 'Guaranteed';
  return 'Burstable';
}
