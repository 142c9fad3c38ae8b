// The Endpoints controller (pkg/controller/endpoint/endpoints_controller.go): for every Service with a
// selector, an Endpoints object of the same name listing the selected pods' IPs: ready ones under
// `addresses`, the others under `notReadyAddresses`, with each service port's targetPort resolved on each pod
// (service-ports.ts).
import type { EndpointAddress, EndpointPort, EndpointSubset, Service } from 'kubernetes-types/core/v1.js';
import { labelSelectorFromObject } from '../api/selectors.js';
import type { KubeObject, Pod } from '../api/types.js';
import { type ControllerClient, isStaleWrite } from './client.js';
import type { Informer } from './informer.js';
import { RESOURCE } from './kinds.js';
import { asPod, isPodReady } from './pods.js';
import { findPort } from './service-ports.js';

export interface EndpointsSyncDeps {
  client: ControllerClient;
  services: Informer;
  endpoints: Informer;
  pods: Informer;
}

/** Builds the subsets for a service from the pods it selects; pure. */
export function endpointSubsets(service: Service, pods: Pod[]): EndpointSubset[] {
  const publishNotReady = service.spec?.publishNotReadyAddresses === true;
  // Addresses grouped by their exact port list, as RepackSubsets leaves them.
  const groups = new Map<
    string,
    { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }
  >();
  for (const pod of pods) {
    const ip = pod.status?.podIP;
    if (!ip) continue;
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    if (pod.metadata?.deletionTimestamp && !publishNotReady) continue;
    const ports: EndpointPort[] = [];
    for (const sp of service.spec?.ports ?? []) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      ports.push({ ...(sp.name ? { name: sp.name } : {}), port, protocol: sp.protocol ?? 'TCP' });
    }
    if (ports.length === 0 && (service.spec?.ports?.length ?? 0) > 0) continue;
    const key = JSON.stringify(ports);
    const group = groups.get(key) ?? { ports, ready: [], notReady: [] };
    groups.set(key, group);
    const address: EndpointAddress = {
      ip,
      ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
      targetRef: {
        kind: 'Pod',
        namespace: pod.metadata?.namespace,
        name: pod.metadata?.name,
        uid: pod.metadata?.uid,
      },
    };
    if (isPodReady(pod) || publishNotReady) group.ready.push(address);
    else group.notReady.push(address);
  }
  const byIp = (a: EndpointAddress, b: EndpointAddress) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0);
  return [...groups.values()].map((g) => ({
    ...(g.ready.length ? { addresses: g.ready.sort(byIp) } : {}),
    ...(g.notReady.length ? { notReadyAddresses: g.notReady.sort(byIp) } : {}),
    ...(g.ports.length ? { ports: g.ports } : {}),
  }));
}

export async function syncEndpoints(
  deps: EndpointsSyncDeps,
  namespace: string,
  name: string,
): Promise<undefined> {
  const svcObj = deps.services.get(namespace, name);
  const existing = deps.endpoints.get(namespace, name);
  if (!svcObj || svcObj.metadata.deletionTimestamp) {
    if (existing) await deps.client.delete(RESOURCE.endpoints, namespace, name);
    return undefined;
  }
  const service = svcObj as unknown as Service;
  // A service without a selector has endpoints that its user manages.
  if (!service.spec?.selector || Object.keys(service.spec.selector).length === 0) return undefined;
  const selector = labelSelectorFromObject({ matchLabels: service.spec.selector });
  const pods = deps.pods
    .list(namespace)
    .filter((p) => selector.matches(p.metadata.labels ?? {}))
    .map(asPod);
  const subsets = endpointSubsets(service, pods);
  const desired: KubeObject = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      name,
      namespace,
      ...(svcObj.metadata.labels ? { labels: { ...svcObj.metadata.labels } } : {}),
    },
    ...(subsets.length ? { subsets } : {}),
  };
  try {
    if (!existing) {
      await deps.client.create(RESOURCE.endpoints, namespace, desired);
    } else if (
      JSON.stringify(existing.subsets ?? []) !== JSON.stringify(subsets) ||
      JSON.stringify(existing.metadata.labels ?? {}) !== JSON.stringify(desired.metadata.labels ?? {})
    ) {
      await deps.client.update(RESOURCE.endpoints, namespace, {
        ...desired,
        metadata: { ...existing.metadata, labels: desired.metadata.labels },
      });
    }
  } catch (err) {
    // A lost race (409, also AlreadyExists) or a vanished object: the next event brings us back.
    if (!isStaleWrite(err)) throw err;
  }
  return undefined;
}
