// The endpoints of `default/kubernetes`, which kube-apiserver's endpoint reconciler writes on a cluster:
// an Endpoints and an EndpointSlice, both named `kubernetes`, naming the address and port where pods reach
// the API server. podrun's API server listens on loopback by default, which a pod's network namespace cannot
// reach, so it also listens on the pod network's gateway (the host's side of the bridge) on a port of its own;
// that is what these point at. The port changes with every start, so both are rewritten each time.
import { RESOURCES, type ResourceInfo } from '../api/resources.js';
import type { KubeObject } from '../api/types.js';
import { ApiError } from '../apiserver/errors.js';
import type { Registry } from '../apiserver/registry.js';

const SERVICE = { namespace: 'default', name: 'kubernetes' };

function endpointSlices(): ResourceInfo {
  const r = RESOURCES.find((x) => x.group === 'discovery.k8s.io' && x.resource === 'endpointslices');
  if (!r) throw new Error('resource endpointslices.discovery.k8s.io is missing from src/api/resources.ts');
  return r;
}

export function kubernetesEndpoints(ip: string, port: number): { endpoints: KubeObject; slice: KubeObject } {
  const ports = [{ name: 'https', port, protocol: 'TCP' }];
  return {
    endpoints: {
      apiVersion: 'v1',
      kind: 'Endpoints',
      // skip-mirror: the API server writes the slice itself, so the mirroring controller leaves these alone.
      metadata: { ...SERVICE, labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
      subsets: [{ addresses: [{ ip }], ports }],
    },
    slice: {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { ...SERVICE, labels: { 'kubernetes.io/service-name': SERVICE.name } },
      addressType: ip.includes(':') ? 'IPv6' : 'IPv4',
      endpoints: [{ addresses: [ip], conditions: { ready: true, serving: true, terminating: false } }],
      ports,
    },
  };
}

/**
 * Creates or replaces the Endpoints and EndpointSlice of `default/kubernetes` with `target`. Without one
 * (pods have no route to where the server listens), or when the write fails, the reason is logged and podrun
 * runs on: only in-cluster clients miss the API.
 */
export async function writeKubernetesEndpoints(
  registry: Registry,
  target: { address: string; port: number } | undefined,
  log: (message: string) => void,
): Promise<void> {
  if (!target) {
    log(
      'apiserver: pods have no route to the API server (it listens on loopback or a wildcard address, and the runtime gives pods no bridge to the host): default/kubernetes has no endpoints',
    );
    return;
  }
  const { endpoints, slice } = kubernetesEndpoints(target.address, target.port);
  try {
    await upsert(registry, 'endpoints', endpoints);
    await upsert(registry, endpointSlices(), slice);
  } catch (e) {
    log(`apiserver: ${(e as Error).message}; pods cannot reach the API server at kubernetes.default.svc`);
  }
}

async function upsert(registry: Registry, ref: string | ResourceInfo, body: KubeObject): Promise<void> {
  const { namespace, name = '' } = body.metadata;
  for (let attempt = 0; ; attempt++) {
    const old = await registry.find(ref, namespace, name);
    try {
      if (!old) await registry.create(ref, namespace, body);
      else {
        await registry.update(ref, namespace, name, {
          ...body,
          metadata: { ...body.metadata, resourceVersion: old.metadata.resourceVersion },
        });
      }
      return;
    } catch (e) {
      const raced = e instanceof ApiError && (e.reason === 'Conflict' || e.reason === 'AlreadyExists');
      if (raced && attempt < 3) continue;
      throw new Error(`writing the endpoints of default/kubernetes: ${(e as Error).message}`, { cause: e });
    }
  }
}
