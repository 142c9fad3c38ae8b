// The Service strategy's field fix-ups (pkg/registry/core/service/strategy.go and storage.go, v1.30): keep
// clusterIP and clusterIPs in step, keep what the server allocated when a client resubmits without it,
// and wipe allocated fields a type change no longer needs (they are released by the allocator).
import type { Service } from 'kubernetes-types/core/v1.js';
import { jsonEqual } from '../../api/json-equal.js';
import { needsHealthCheck } from '../../api/validation/service.js';

export function needsClusterIP(svc: Service): boolean {
  return svc.spec?.type !== 'ExternalName';
}

export function needsNodePort(svc: Service): boolean {
  const t = svc.spec?.type;
  return t === 'NodePort' || t === 'LoadBalancer';
}

function sameSlice(a: string[] | undefined, b: string[] | undefined): boolean {
  return jsonEqual(a ?? [], b ?? []);
}

/** NormalizeClusterIPs: derive clusterIPs from clusterIP where the client only set (or changed) the singular. */
export function normalizeClusterIPs(old: Service | undefined, svc: Service): void {
  svc.spec ??= {};
  const spec = svc.spec;
  if (!old) {
    if (spec.clusterIP && (spec.clusterIPs ?? []).length === 0) spec.clusterIPs = [spec.clusterIP];
    return;
  }
  const o = old.spec ?? {};
  if ((o.clusterIPs ?? []).length > 0 && (spec.clusterIPs ?? []).length === 0) {
    // An old client that patched some other field and did not send clusterIPs.
    if ((o.clusterIP ?? '') === (spec.clusterIP ?? '')) spec.clusterIPs = o.clusterIPs;
  }
  if ((o.clusterIP ?? '') !== (spec.clusterIP ?? '')) {
    if (o.clusterIP && !spec.clusterIP) {
      if (sameSlice(o.clusterIPs, spec.clusterIPs)) delete spec.clusterIPs;
    } else if (sameSlice(o.clusterIPs, spec.clusterIPs)) {
      spec.clusterIPs = spec.clusterIP ? [spec.clusterIP] : [];
    }
  }
}

/**
 * patchAllocatedValues: a client resubmitting what it created (kubectl replace of its own YAML) keeps the
 * ClusterIP and NodePorts the server allocated instead of asking for new ones.
 */
export function patchAllocatedValues(svc: Service, old: Service): void {
  svc.spec ??= {};
  const spec = svc.spec;
  const o = old.spec ?? {};
  if (needsClusterIP(old) && needsClusterIP(svc)) {
    if (!spec.clusterIP && o.clusterIP) spec.clusterIP = o.clusterIP;
    if ((spec.clusterIPs ?? []).length === 0 && (o.clusterIPs ?? []).length > 0)
      spec.clusterIPs = o.clusterIPs;
  }
  if (needsNodePort(old) && needsNodePort(svc)) {
    const usedIn = (s: Service) =>
      new Set((s.spec?.ports ?? []).map((p) => p.nodePort ?? 0).filter((n) => n));
    const newUsed = usedIn(svc);
    const used = new Set([...usedIn(old)].filter((n) => newUsed.has(n)));
    const byName = new Map((o.ports ?? []).map((p) => [p.name ?? '', p.nodePort ?? 0]));
    for (const p of spec.ports ?? []) {
      if (p.nodePort) continue;
      const was = byName.get(p.name ?? '') ?? 0;
      if (was && !used.has(was)) p.nodePort = was;
    }
  }
  if (needsHealthCheck(old) && needsHealthCheck(svc) && !spec.healthCheckNodePort && o.healthCheckNodePort) {
    spec.healthCheckNodePort = o.healthCheckNodePort;
  }
}

/** dropTypeDependentFields: on a type change, wipe what the new type does not use unless the client changed it. */
export function dropTypeDependentFields(svc: Service, old: Service): void {
  svc.spec ??= {};
  const spec = svc.spec;
  const o = old.spec ?? {};
  if (needsClusterIP(old) && !needsClusterIP(svc)) {
    if ((o.clusterIP ?? '') === (spec.clusterIP ?? '') && sameSlice(o.clusterIPs, spec.clusterIPs)) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (sameSlice(o.ipFamilies, spec.ipFamilies)) delete spec.ipFamilies;
    if ((o.ipFamilyPolicy ?? '') === (spec.ipFamilyPolicy ?? '')) delete spec.ipFamilyPolicy;
  }
  if (needsNodePort(old) && !needsNodePort(svc)) {
    const oldPorts = new Set((o.ports ?? []).map((p) => p.nodePort ?? 0));
    if ((spec.ports ?? []).every((p) => !p.nodePort || oldPorts.has(p.nodePort))) {
      for (const p of spec.ports ?? []) delete p.nodePort;
    }
  }
  if (needsHealthCheck(old) && !needsHealthCheck(svc) && o.healthCheckNodePort === spec.healthCheckNodePort) {
    delete spec.healthCheckNodePort;
  }
}
