// The EndpointSlice reconciler, pure (k8s.io/endpointslice reconciler.go and utils.go): from a Service, the pods
// it selects and its existing slices, the slices to create, update and delete. Pods are grouped by the ports
// they resolve, at most maxEndpointsPerSlice endpoints per slice; an existing slice is only rewritten when one
// of its endpoints or its labels changed, so the proxy and DNS, which react to every write, see few.
import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { jsonEqual } from '../api/json-equal.js';
import type { Endpoint, EndpointSlice, EndpointSlicePort, OwnerReference, Pod } from '../api/types.js';
import { isPodReady } from './pods.js';
import { findPort } from './service-ports.js';

export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const ANNOTATION_LAST_CHANGE_TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';
/** kube-controller-manager's --max-endpoints-per-slice default. */
export const DEFAULT_MAX_ENDPOINTS_PER_SLICE = 100;

export type AddressType = 'IPv4' | 'IPv6';

export interface SliceChanges {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

const RESERVED_LABELS = [LABEL_SERVICE_NAME, LABEL_MANAGED_BY, LABEL_HEADLESS];

function isServiceIPSet(svc: Service): boolean {
  const ip = svc.spec?.clusterIP ?? '';
  return ip !== 'None' && ip !== '';
}

const isIPv6 = (ip: string) => ip.includes(':');

/**
 * getAddressTypesForService: the Service's ipFamilies, else its clusterIP's family. Upstream takes a Service
 * with neither as dual-stack until the API server fills ipFamilies in; podrun is single-stack IPv4, so IPv4.
 */
export function addressTypesForService(svc: Service): AddressType[] {
  const families = svc.spec?.ipFamilies ?? [];
  const out: AddressType[] = [];
  if (families.includes('IPv4')) out.push('IPv4');
  if (families.includes('IPv6')) out.push('IPv6');
  if (out.length > 0) return out;
  return [isServiceIPSet(svc) && isIPv6(svc.spec?.clusterIP ?? '') ? 'IPv6' : 'IPv4'];
}

/** ShouldPodBeInEndpoints(pod, includeTerminating=true): not terminal, and it has an IP. */
export function shouldPodBeInSlices(pod: Pod): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  return !!pod.status?.podIP || (pod.status?.podIPs?.length ?? 0) > 0;
}

/** getEndpointPorts: each service port whose targetPort the pod resolves (none for a port-less headless one). */
export function endpointPorts(svc: Service, pod: Pod): EndpointSlicePort[] {
  const ports = svc.spec?.ports ?? [];
  if (ports.length === 0 && svc.spec?.clusterIP === 'None') return [];
  const out: EndpointSlicePort[] = [];
  for (const sp of ports as ServicePort[]) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    out.push({
      name: sp.name ?? '',
      port,
      protocol: sp.protocol ?? 'TCP',
      ...(sp.appProtocol !== undefined ? { appProtocol: sp.appProtocol } : {}),
    });
  }
  return out;
}

/** podToEndpoint. podIPs, or podIP for a status that carries only that (the API server converts one into the other). */
export function podToEndpoint(pod: Pod, svc: Service, addressType: AddressType): Endpoint {
  const podIPs = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => !!ip);
  const ips = podIPs.length > 0 ? podIPs : pod.status?.podIP ? [pod.status.podIP] : [];
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata?.deletionTimestamp;
  const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const ep: Endpoint = {
    addresses: ips.filter((ip) => (addressType === 'IPv6') === isIPv6(ip)),
    conditions: { ready, serving, terminating },
  };
  if (
    pod.spec?.hostname &&
    pod.spec.subdomain === svc.metadata?.name &&
    pod.metadata?.namespace === svc.metadata?.namespace
  ) {
    ep.hostname = pod.spec.hostname;
  }
  ep.targetRef = {
    kind: 'Pod',
    namespace: pod.metadata?.namespace,
    name: pod.metadata?.name,
    uid: pod.metadata?.uid,
  };
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  return ep;
}

/** hashEndpoint: what identifies an endpoint across syncs; the rest may change in place. */
function endpointKey(ep: Endpoint): string {
  return JSON.stringify([
    [...(ep.addresses ?? [])].sort(),
    ep.hostname ?? '',
    ep.targetRef?.namespace ?? '',
    ep.targetRef?.name ?? '',
  ]);
}

/** EndpointsEqualBeyondHash (the targetRef's resourceVersion aside). */
function endpointsEqualBeyondKey(a: Endpoint, b: Endpoint): boolean {
  const ref = (e: Endpoint) => (e.targetRef ? { ...e.targetRef, resourceVersion: undefined } : undefined);
  return (
    a.nodeName === b.nodeName &&
    a.zone === b.zone &&
    a.conditions?.ready === b.conditions?.ready &&
    a.conditions?.serving === b.conditions?.serving &&
    a.conditions?.terminating === b.conditions?.terminating &&
    jsonEqual(ref(a), ref(b))
  );
}

/** NewPortMapKey: the same ports in any order give the same key. */
export function portMapKey(ports: EndpointSlicePort[] | undefined): string {
  return JSON.stringify(
    (ports ?? [])
      .map((p) => JSON.stringify([p.name ?? '', p.port ?? null, p.protocol ?? 'TCP', p.appProtocol ?? null]))
      .sort(),
  );
}

/** setEndpointSliceLabels: the Service's labels (reserved ones aside) plus the controller's own. */
export function sliceLabels(
  slice: EndpointSlice | undefined,
  svc: Service,
): { labels: Record<string, string>; changed: boolean } {
  const strip = (m: Record<string, string> | undefined) =>
    Object.fromEntries(Object.entries(m ?? {}).filter(([k]) => !RESERVED_LABELS.includes(k)));
  const svcLabels = strip(svc.metadata?.labels);
  const changed = !jsonEqual(strip(slice?.metadata?.labels), svcLabels);
  const labels: Record<string, string> = { ...svcLabels };
  if (!isServiceIPSet(svc)) labels[LABEL_HEADLESS] = '';
  labels[LABEL_SERVICE_NAME] = svc.metadata?.name ?? '';
  labels[LABEL_MANAGED_BY] = CONTROLLER_NAME;
  return { labels, changed };
}

function serviceOwnerReference(svc: Service): OwnerReference {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    name: svc.metadata?.name ?? '',
    uid: svc.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** newEndpointSlice: an empty slice of the Service for these ports and address type. */
export function newEndpointSlice(
  svc: Service,
  ports: EndpointSlicePort[],
  addressType: AddressType,
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      // getEndpointSlicePrefix drops the dash only for a prefix that is no valid name, which a Service name
      // (a DNS-1035 label) plus a dash always is.
      generateName: `${svc.metadata?.name ?? ''}-`,
      namespace: svc.metadata?.namespace,
      labels: sliceLabels(undefined, svc).labels,
      ownerReferences: [serviceOwnerReference(svc)],
    },
    addressType,
    endpoints: [],
    ports,
  };
}

/** ownedBy: the slice's owner references name this Service (not an older one of the same name). */
export function ownedBy(slice: EndpointSlice, svc: Service): boolean {
  return (slice.metadata?.ownerReferences ?? []).some(
    (o) => o.uid === svc.metadata?.uid && o.kind === 'Service' && o.apiVersion === 'v1',
  );
}

/** placeholderSliceCompare: same namespace, labels and address type, and neither endpoints nor ports. */
function isSamePlaceholder(slice: EndpointSlice, placeholder: EndpointSlice): boolean {
  return (
    slice.metadata?.namespace === placeholder.metadata?.namespace &&
    jsonEqual(slice.metadata?.labels ?? {}, placeholder.metadata?.labels ?? {}) &&
    slice.addressType === placeholder.addressType &&
    (slice.endpoints ?? []).length === 0 &&
    (slice.ports ?? []).length === 0 &&
    jsonEqual(slice.metadata?.ownerReferences ?? [], placeholder.metadata?.ownerReferences ?? [])
  );
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** reconcileByPortMapping: the slices of one port set, given the endpoints wanted in it. */
function reconcilePortSet(
  svc: Service,
  existing: EndpointSlice[],
  desired: Map<string, Endpoint>,
  ports: EndpointSlicePort[],
  addressType: AddressType,
  maxPerSlice: number,
): SliceChanges {
  const byName = new Map<string, EndpointSlice>();
  const unchanged: string[] = [];
  const toUpdate: string[] = [];
  const toDelete: string[] = [];

  // 1. Keep the wanted endpoints of each slice (updated in place), drop the others.
  for (const slice of existing) {
    const name = slice.metadata?.name ?? '';
    byName.set(name, slice);
    const kept: Endpoint[] = [];
    let endpointChanged = false;
    for (const ep of slice.endpoints ?? []) {
      const key = endpointKey(ep);
      const want = desired.get(key);
      if (!want) continue;
      kept.push(want);
      if (!endpointsEqualBeyondKey(want, ep)) endpointChanged = true;
      desired.delete(key);
    }
    const { labels, changed: labelsChanged } = sliceLabels(slice, svc);
    if (endpointChanged || kept.length !== (slice.endpoints ?? []).length) {
      if (kept.length === 0) {
        toDelete.push(name);
      } else {
        const next = clone(slice);
        next.endpoints = kept;
        next.metadata = { ...next.metadata, labels };
        byName.set(name, next);
        toUpdate.push(name);
      }
    } else if (labelsChanged) {
      const next = clone(slice);
      next.metadata = { ...next.metadata, labels };
      byName.set(name, next);
      toUpdate.push(name);
    } else {
      unchanged.push(name);
    }
  }

  const remaining = [...desired.values()];
  // 2. Fill the slices being rewritten anyway, fullest first.
  if (remaining.length > 0 && toUpdate.length > 0) {
    const slices = toUpdate
      .map((n) => byName.get(n)!)
      .sort((a, b) => (b.endpoints?.length ?? 0) - (a.endpoints?.length ?? 0));
    for (const s of slices) {
      while (remaining.length > 0 && s.endpoints.length < maxPerSlice) s.endpoints.push(remaining.shift()!);
    }
  }

  // 3. The rest goes into the unchanged slice it fills closest to full, else into new slices.
  const create: EndpointSlice[] = [];
  while (remaining.length > 0) {
    let target: EndpointSlice | undefined;
    if (remaining.length < maxPerSlice && unchanged.length > 0) {
      let closest = maxPerSlice;
      for (const n of unchanged) {
        const diff = maxPerSlice - (remaining.length + (byName.get(n)!.endpoints?.length ?? 0));
        if (diff >= 0 && diff < closest) {
          closest = diff;
          target = byName.get(n);
        }
      }
    }
    if (target) {
      target = clone(target);
      target.endpoints ??= [];
      byName.set(target.metadata?.name ?? '', target);
    } else {
      target = newEndpointSlice(svc, ports, addressType);
    }
    while (remaining.length > 0 && target.endpoints.length < maxPerSlice)
      target.endpoints.push(remaining.shift()!);
    const name = target.metadata?.name;
    if (name) {
      if (!toUpdate.includes(name)) toUpdate.push(name);
      unchanged.splice(unchanged.indexOf(name), 1);
    } else {
      create.push(target);
    }
  }
  return {
    create,
    update: toUpdate.map((n) => byName.get(n)!),
    delete: toDelete.map((n) => byName.get(n)!),
  };
}

/** reconcileByAddressType: the changes for the slices of one address type. */
function reconcileAddressType(
  svc: Service,
  pods: Pod[],
  existing: EndpointSlice[],
  addressType: AddressType,
  maxPerSlice: number,
): SliceChanges {
  const changes: SliceChanges = { create: [], update: [], delete: [] };
  const existingByPorts = new Map<string, EndpointSlice[]>();
  for (const slice of existing) {
    if (!ownedBy(slice, svc)) {
      changes.delete.push(slice);
      continue;
    }
    const key = portMapKey(slice.ports);
    existingByPorts.set(key, [...(existingByPorts.get(key) ?? []), slice]);
  }

  const desired = new Map<string, { ports: EndpointSlicePort[]; endpoints: Map<string, Endpoint> }>();
  for (const pod of pods) {
    if (!shouldPodBeInSlices(pod)) continue;
    const ports = endpointPorts(svc, pod);
    const key = portMapKey(ports);
    let group = desired.get(key);
    if (!group) {
      group = { ports, endpoints: new Map() };
      desired.set(key, group);
    }
    const ep = podToEndpoint(pod, svc, addressType);
    if (ep.addresses.length > 0) group.endpoints.set(endpointKey(ep), ep);
  }

  for (const [key, group] of desired) {
    const c = reconcilePortSet(
      svc,
      existingByPorts.get(key) ?? [],
      group.endpoints,
      group.ports,
      addressType,
      maxPerSlice,
    );
    changes.create.push(...c.create);
    changes.update.push(...c.update);
    changes.delete.push(...c.delete);
  }
  for (const [key, slices] of existingByPorts) if (!desired.has(key)) changes.delete.push(...slices);

  // A Service without endpoints keeps one empty placeholder slice.
  if (existing.length === changes.delete.length && changes.create.length === 0) {
    const placeholder = newEndpointSlice(svc, [], addressType);
    if (changes.delete.length === 1 && isSamePlaceholder(changes.delete[0]!, placeholder))
      changes.delete = [];
    else changes.create.push(placeholder);
  }
  return changes;
}

/**
 * Reconciler.Reconcile and the first half of finalize: every change the Service's slices need. A slice that
 * would be deleted while another is created is updated into the new one instead (same address type, owned
 * by this Service). The caller drops the creates while the Service is being deleted.
 */
export function reconcileEndpointSlices(
  svc: Service,
  pods: Pod[],
  existing: EndpointSlice[],
  maxPerSlice = DEFAULT_MAX_ENDPOINTS_PER_SLICE,
): SliceChanges {
  const types = addressTypesForService(svc);
  const all: SliceChanges = { create: [], update: [], delete: [] };
  for (const slice of existing) {
    if (!types.includes(slice.addressType as AddressType)) all.delete.push(slice);
  }
  for (const t of types) {
    const c = reconcileAddressType(
      svc,
      pods,
      existing.filter((s) => s.addressType === t),
      t,
      maxPerSlice,
    );
    all.create.push(...c.create);
    all.update.push(...c.update);
    all.delete.push(...c.delete);
  }
  for (let i = 0; i < all.delete.length && all.create.length > 0; ) {
    const doomed = all.delete[i]!;
    const fresh = all.create[all.create.length - 1]!;
    if (doomed.addressType === fresh.addressType && ownedBy(doomed, svc)) {
      all.create.pop();
      all.update.push({
        ...fresh,
        metadata: {
          ...fresh.metadata,
          name: doomed.metadata?.name,
          resourceVersion: doomed.metadata?.resourceVersion,
        },
      });
      all.delete.splice(i, 1);
    } else {
      i++;
    }
  }
  return all;
}
