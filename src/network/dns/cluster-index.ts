// The in-memory ClusterDnsView: Namespaces, Services, EndpointSlices and Pods, indexed by the keys queries use
// (service by namespace/name, ClusterIP, endpoint IP, pod IP). Fed by watch events through `apply`; each event
// costs the size of the object it changes, each lookup a map access.

import type { Namespace, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { ClusterDnsView, DnsEndpoint, DnsEndpointRef, DnsService, DnsServicePort } from './view.js';

export type DnsWatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export type DnsIndexedObject = Namespace | Service | EndpointSlice | Pod;

/** The label an EndpointSlice names its Service by (discovery.k8s.io/v1 LabelServiceName). */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

const EMPTY: readonly never[] = Object.freeze([]);

interface IndexedSlice {
  serviceKey: string;
  namespace: string;
  service: string;
  endpoints: DnsEndpoint[];
}

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** CoreDNS's endpointHostname without endpoint_pod_names: the slice hostname, else the IP with dashes. */
export function dashedIP(ip: string): string {
  return ip.includes('.') ? ip.replaceAll('.', '-') : ip.replaceAll(':', '-');
}

function toDnsService(svc: Service): DnsService | undefined {
  const namespace = svc.metadata?.namespace ?? 'default';
  const name = svc.metadata?.name;
  if (!name) return undefined;
  const spec = svc.spec ?? {};
  const ports: DnsServicePort[] = (spec.ports ?? []).map((p) => ({
    name: p.name ?? '',
    port: p.port,
    protocol: p.protocol ?? 'TCP',
  }));
  if (spec.type === 'ExternalName') {
    const externalName = (spec.externalName ?? '').replace(/\.$/, '');
    return { namespace, name, kind: 'ExternalName', clusterIPs: [], externalName, ports };
  }
  if (spec.clusterIP === 'None') return { namespace, name, kind: 'Headless', clusterIPs: [], ports };
  const ips = spec.clusterIPs && spec.clusterIPs.length > 0 ? spec.clusterIPs : [spec.clusterIP ?? ''];
  return {
    namespace,
    name,
    kind: 'ClusterIP',
    clusterIPs: ips.filter((ip) => ip !== '' && ip !== 'None'),
    ports,
  };
}

function readyEndpointsOf(slice: EndpointSlice): DnsEndpoint[] {
  const ports: DnsServicePort[] = (slice.ports ?? [])
    .filter((p) => p.port !== undefined)
    .map((p) => ({ name: p.name ?? '', port: p.port as number, protocol: p.protocol ?? 'TCP' }));
  const out: DnsEndpoint[] = [];
  for (const ep of slice.endpoints ?? []) {
    // plugin/kubernetes/object/endpoint.go: a nil ready condition counts as ready.
    if (ep.conditions?.ready === false) continue;
    for (const ip of ep.addresses ?? []) out.push({ ip, hostname: ep.hostname || dashedIP(ip), ports });
  }
  return out;
}

function addTo<K, V>(map: Map<K, V[]>, k: K, v: V): void {
  const list = map.get(k);
  if (list) list.push(v);
  else map.set(k, [v]);
}

function removeFrom<K, V>(map: Map<K, V[]>, k: K, v: V): void {
  const list = map.get(k);
  if (!list) return;
  const i = list.indexOf(v);
  if (i >= 0) list.splice(i, 1);
  if (list.length === 0) map.delete(k);
}

export class ClusterDnsIndex implements ClusterDnsView {
  private readonly namespaces = new Set<string>();
  private readonly services = new Map<string, DnsService>();
  private readonly byClusterIP = new Map<string, DnsService[]>();
  /** slice key (ns/name) → what it contributes. */
  private readonly slices = new Map<string, IndexedSlice>();
  /** service key → its slices' contributions. */
  private readonly slicesByService = new Map<string, IndexedSlice[]>();
  private readonly endpointRefsByIP = new Map<string, DnsEndpointRef[]>();
  /** pod key → its `${namespace}/${ip}` entries; entry → number of pods holding it. */
  private readonly podIPs = new Map<string, string[]>();
  private readonly podIPCount = new Map<string, number>();
  private lastChange = Math.floor(Date.now() / 1000);

  /** Applies one watch event. Objects of other kinds are ignored, so a shared watch loop can pass everything. */
  apply(type: DnsWatchEventType, obj: DnsIndexedObject): void {
    const deleted = type === 'DELETED';
    switch (obj.kind) {
      case 'Namespace':
        this.applyNamespace(obj as Namespace, deleted);
        break;
      case 'Service':
        this.applyService(obj as Service, deleted);
        break;
      case 'EndpointSlice':
        this.applySlice(obj as EndpointSlice, deleted);
        break;
      case 'Pod':
        this.applyPod(obj as Pod, deleted);
        break;
      default:
        return;
    }
    // Monotonic even if the clock steps back or two changes fall in one second: secondaries compare serials.
    this.lastChange = Math.max(this.lastChange + 1, Math.floor(Date.now() / 1000));
  }

  /**
   * Forgets everything, for a relist: call it and then `apply('ADDED', …)` for every listed object in the same
   * tick, so that no query sees the index half filled.
   */
  reset(): void {
    this.namespaces.clear();
    this.services.clear();
    this.byClusterIP.clear();
    this.slices.clear();
    this.slicesByService.clear();
    this.endpointRefsByIP.clear();
    this.podIPs.clear();
    this.podIPCount.clear();
    this.lastChange = Math.max(this.lastChange + 1, Math.floor(Date.now() / 1000));
  }

  private applyNamespace(ns: Namespace, deleted: boolean): void {
    const name = ns.metadata?.name;
    if (!name) return;
    if (deleted) this.namespaces.delete(name);
    else this.namespaces.add(name);
  }

  private applyService(svc: Service, deleted: boolean): void {
    const name = svc.metadata?.name;
    if (!name) return;
    const k = key(svc.metadata?.namespace ?? 'default', name);
    const old = this.services.get(k);
    if (old) {
      for (const ip of old.clusterIPs) removeFrom(this.byClusterIP, ip, old);
      this.services.delete(k);
    }
    if (deleted) return;
    const next = toDnsService(svc);
    if (!next) return;
    this.services.set(k, next);
    for (const ip of next.clusterIPs) addTo(this.byClusterIP, ip, next);
  }

  private applySlice(slice: EndpointSlice, deleted: boolean): void {
    const name = slice.metadata?.name;
    if (!name) return;
    const namespace = slice.metadata?.namespace ?? 'default';
    const k = key(namespace, name);
    const old = this.slices.get(k);
    if (old) {
      removeFrom(this.slicesByService, old.serviceKey, old);
      for (const ep of old.endpoints) {
        const refs = this.endpointRefsByIP.get(ep.ip);
        const i = refs?.findIndex((r) => r.namespace === old.namespace && r.service === old.service) ?? -1;
        if (refs && i >= 0) {
          refs.splice(i, 1);
          if (refs.length === 0) this.endpointRefsByIP.delete(ep.ip);
        }
      }
      this.slices.delete(k);
    }
    const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (deleted || !service) return;
    const entry: IndexedSlice = {
      serviceKey: key(namespace, service),
      namespace,
      service,
      endpoints: readyEndpointsOf(slice),
    };
    this.slices.set(k, entry);
    addTo(this.slicesByService, entry.serviceKey, entry);
    for (const ep of entry.endpoints) {
      addTo(this.endpointRefsByIP, ep.ip, { namespace, service, hostname: ep.hostname });
    }
  }

  private applyPod(pod: Pod, deleted: boolean): void {
    const name = pod.metadata?.name;
    if (!name) return;
    const namespace = pod.metadata?.namespace ?? 'default';
    const k = key(namespace, name);
    for (const entry of this.podIPs.get(k) ?? []) {
      const n = (this.podIPCount.get(entry) ?? 1) - 1;
      if (n > 0) this.podIPCount.set(entry, n);
      else this.podIPCount.delete(entry);
    }
    this.podIPs.delete(k);
    if (deleted) return;
    const ips = new Set<string>();
    for (const p of pod.status?.podIPs ?? []) if (p.ip) ips.add(p.ip);
    if (pod.status?.podIP) ips.add(pod.status.podIP);
    const entries = [...ips].map((ip) => key(namespace, ip));
    if (entries.length === 0) return;
    this.podIPs.set(k, entries);
    for (const e of entries) this.podIPCount.set(e, (this.podIPCount.get(e) ?? 0) + 1);
  }

  namespaceExists(namespace: string): boolean {
    return this.namespaces.has(namespace);
  }

  service(namespace: string, name: string): DnsService | undefined {
    return this.services.get(key(namespace, name));
  }

  servicesByClusterIP(ip: string): readonly DnsService[] {
    return this.byClusterIP.get(ip) ?? EMPTY;
  }

  readyEndpoints(namespace: string, service: string): readonly DnsEndpoint[] {
    const slices = this.slicesByService.get(key(namespace, service));
    if (!slices) return EMPTY;
    if (slices.length === 1) return slices[0]!.endpoints;
    return slices.flatMap((s) => s.endpoints);
  }

  endpointsByIP(ip: string): readonly DnsEndpointRef[] {
    return this.endpointRefsByIP.get(ip) ?? EMPTY;
  }

  podHasIP(namespace: string, ip: string): boolean {
    return this.podIPCount.has(key(namespace, ip));
  }

  serial(): number {
    return this.lastChange;
  }
}
