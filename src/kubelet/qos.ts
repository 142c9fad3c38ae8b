// ComputePodQOS (pkg/apis/core/v1/helper/qos/qos.go): BestEffort, Burstable or Guaranteed, over init and app
// containers, cpu and memory only. Requests default to limits, as API defaulting does.
import type { Container, Pod } from '../api/types.js';

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
      const r = quantity(req[name]);
      if (r > 0) requests[name] = (requests[name] ?? 0) + r;
    }
    const found = new Set<string>();
    for (const name of QOS_RESOURCES) {
      const l = quantity(lim[name]);
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

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** resource.Quantity as a number (`100m` → 0.1, `128Mi` → 134217728); 0 when absent or unparsable. */
export function quantity(value: string | number | undefined): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$/.exec(value.trim());
  if (!m) return 0;
  const factor = SUFFIX[m[2] ?? ''];
  if (factor === undefined) return 0;
  return Number(m[1]) * factor;
}
