// Which VIP ports exist and where their new connections go, chosen from Services and EndpointSlices as
// kube-proxy does for one IPv4 node: pkg/proxy/servicechangetracker.go (which Services), endpointslicecache.go
// (which slice ports and endpoints) and topology.go CategorizeEndpoints (ready, else serving and terminating).

import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { ServiceEndpoint, ServicePortRule, ServiceProtocol, ServiceRules } from '../types.js';
import { compareIpv4, parseIpv4, parseIpv4Cidr } from './ipv4.js';

/** Slices name their Service with this label (discovery.LabelServiceName); ownerReferences are not used. */
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
/** kube-proxy's informers skip Services and slices carrying either label (an alternative proxy, headless). */
const LABEL_SERVICE_PROXY_NAME = 'service.kubernetes.io/service-proxy-name';
const LABEL_HEADLESS = 'service.kubernetes.io/headless';

/** `sessionAffinityConfig.clientIP.timeoutSeconds` when the Service leaves it out (API defaulting). */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10800;
const MAX_AFFINITY_TIMEOUT_SECONDS = 86400;

const PROTOCOLS: ReadonlySet<string> = new Set<ServiceProtocol>(['TCP', 'UDP', 'SCTP']);

interface CandidateEndpoint extends ServiceEndpoint {
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

/**
 * The rules kube-proxy would program for these objects. Pure; the order of the inputs does not matter, and
 * the result is sorted so that equal inputs give deep-equal rules (the proxy skips unchanged ones).
 */
export function computeServiceRules(
  services: readonly Service[],
  endpointSlices: readonly EndpointSlice[],
  serviceCidr: string,
): ServiceRules {
  const cidr = parseIpv4Cidr(serviceCidr, 'serviceCidr');
  const endpointsByPort = collectEndpoints(endpointSlices);

  const clusterIPs = new Set<string>();
  const ports: ServicePortRule[] = [];
  for (const svc of services) {
    const clusterIP = proxiedClusterIP(svc);
    if (clusterIP === undefined) continue;
    clusterIPs.add(clusterIP);
    const ns = svc.metadata?.namespace ?? 'default';
    const name = svc.metadata?.name ?? '';
    const affinity = affinityTimeout(svc);
    for (const port of svc.spec?.ports ?? []) {
      const protocol = port.protocol ?? 'TCP';
      if (!PROTOCOLS.has(protocol) || !validPort(port.port)) continue;
      const portName = port.name ?? '';
      const candidates = endpointsByPort.get(portKey(ns, name, portName, protocol)) ?? [];
      const rule: ServicePortRule = {
        service: servicePortName(ns, name, port),
        clusterIP,
        protocol: protocol as ServiceProtocol,
        port: port.port,
        endpoints: usableEndpoints(candidates),
      };
      if (affinity !== undefined) rule.affinityTimeoutSeconds = affinity;
      ports.push(rule);
    }
  }

  ports.sort(
    (a, b) =>
      compareStrings(a.service, b.service) ||
      compareStrings(a.protocol, b.protocol) ||
      a.port - b.port ||
      compareIpv4(a.clusterIP, b.clusterIP),
  );
  // One map key per VIP port: a duplicate (two Services given one clusterIP) would fail the whole nft
  // transaction, so the first in name order keeps it, as a sorted kube-proxy map would.
  const seen = new Set<string>();
  const unique = ports.filter((p) => {
    const key = `${p.clusterIP} ${p.protocol} ${p.port}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { serviceCidr: cidr.text, clusterIPs: [...clusterIPs].sort(compareIpv4), ports: unique };
}

/** `<ns>/<name>:<port name>`, or `<ns>/<name>` for an unnamed port (proxy.ServicePortName.String). */
export function servicePortName(ns: string, name: string, port: Pick<ServicePort, 'name'>): string {
  return port.name ? `${ns}/${name}:${port.name}` : `${ns}/${name}`;
}

/**
 * The Service's IPv4 ClusterIP, or undefined when kube-proxy ignores it: ExternalName, headless, no IP yet,
 * handled by another proxy (ShouldSkipService), or IPv6 only (GetClusterIPByFamily).
 */
function proxiedClusterIP(svc: Service): string | undefined {
  const spec = svc.spec;
  if (!spec || spec.type === 'ExternalName') return undefined;
  if (svc.metadata?.labels?.[LABEL_SERVICE_PROXY_NAME] !== undefined) return undefined;
  if (!spec.clusterIP || spec.clusterIP === 'None') return undefined;
  const candidates = spec.clusterIPs && spec.clusterIPs.length > 0 ? spec.clusterIPs : [spec.clusterIP];
  return candidates.find((ip) => parseIpv4(ip) !== undefined);
}

function affinityTimeout(svc: Service): number | undefined {
  if (svc.spec?.sessionAffinity !== 'ClientIP') return undefined;
  const t = svc.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  // Validation keeps it in (0, 86400]; an object that skipped validation still gets a usable set timeout.
  if (t === undefined || !Number.isInteger(t) || t <= 0) return DEFAULT_AFFINITY_TIMEOUT_SECONDS;
  return Math.min(t, MAX_AFFINITY_TIMEOUT_SECONDS);
}

function portKey(ns: string, service: string, portName: string, protocol: string): string {
  return `${ns}\u0000${service}\u0000${portName}\u0000${protocol}`;
}

/**
 * Endpoints per (Service, port name, protocol), deduplicated by ip:port across the Service's slices. The API
 * server defaults a slice port's name to "" and protocol to TCP; unset ones are read the same way here.
 */
function collectEndpoints(slices: readonly EndpointSlice[]): Map<string, CandidateEndpoint[]> {
  // Slices in name order, so that when one endpoint appears in two slices (while the controller moves it)
  // the same copy wins every time; kube-proxy keeps whichever its map iteration met first.
  const ordered = slices
    .filter(usableSlice)
    .sort((a, b) => compareStrings(a.metadata?.name ?? '', b.metadata?.name ?? ''));
  const byPort = new Map<string, Map<string, CandidateEndpoint>>();
  for (const slice of ordered) {
    const ns = slice.metadata?.namespace ?? 'default';
    const service = slice.metadata?.labels?.[LABEL_SERVICE_NAME] ?? '';
    for (const port of slice.ports ?? []) {
      if (port.port === undefined || !validPort(port.port)) continue;
      const key = portKey(ns, service, port.name ?? '', port.protocol ?? 'TCP');
      let set = byPort.get(key);
      if (!set) {
        set = new Map();
        byPort.set(key, set);
      }
      for (const ep of slice.endpoints ?? []) {
        const candidate = candidateOf(ep, port.port);
        if (!candidate) continue;
        const id = `${candidate.ip}:${candidate.port}`;
        if (!set.has(id)) set.set(id, candidate);
      }
    }
  }
  const out = new Map<string, CandidateEndpoint[]>();
  for (const [key, set] of byPort) out.set(key, [...set.values()]);
  return out;
}

function usableSlice(slice: EndpointSlice): boolean {
  const labels = slice.metadata?.labels ?? {};
  if (!labels[LABEL_SERVICE_NAME]) return false;
  if (labels[LABEL_SERVICE_PROXY_NAME] !== undefined || labels[LABEL_HEADLESS] !== undefined) return false;
  return slice.addressType === 'IPv4';
}

/** kube-proxy uses an endpoint's first address only; conditions: ready and serving nil = true, terminating nil = false. */
function candidateOf(ep: Endpoint, port: number): CandidateEndpoint | undefined {
  const ip = ep.addresses?.[0];
  if (ip === undefined || parseIpv4(ip) === undefined) return undefined;
  const c = ep.conditions ?? {};
  return {
    ip,
    port,
    ready: c.ready !== false,
    serving: c.serving !== false,
    terminating: c.terminating === true,
  };
}

/** CategorizeEndpoints for Cluster traffic policy without topology: ready ones, else serving and terminating. */
function usableEndpoints(candidates: readonly CandidateEndpoint[]): ServiceEndpoint[] {
  let chosen = candidates.filter((e) => e.ready);
  if (chosen.length === 0) chosen = candidates.filter((e) => e.serving && e.terminating);
  return chosen
    .map((e) => ({ ip: e.ip, port: e.port }))
    .sort((a, b) => compareIpv4(a.ip, b.ip) || a.port - b.port);
}

function validPort(p: number): boolean {
  return Number.isInteger(p) && p >= 1 && p <= 65535;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
