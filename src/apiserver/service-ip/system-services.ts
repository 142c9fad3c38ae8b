// The two Services every cluster has: `default/kubernetes` (the API server, created by kube-apiserver's
// kubernetesservice controller) at the first address of the range and `kube-system/kube-dns` (kubeadm's
// CoreDNS addon) at the tenth. Neither has a selector: podrun writes their endpoints itself.
import type { Service } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../api/types.js';
import { ApiError } from '../errors.js';
import type { Registry } from '../registry.js';
import { clusterIPsOf } from './allocator.js';
import {
  type Cidr,
  DEFAULT_SERVICE_CIDR,
  kubeDnsIP,
  kubernetesServiceIP,
  parseServiceCidr,
} from './config.js';

export function kubernetesService(cidr: string | Cidr = DEFAULT_SERVICE_CIDR): KubeObject {
  const ip = kubernetesServiceIP(cidr);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      labels: { component: 'apiserver', provider: 'kubernetes' },
    },
    spec: {
      type: 'ClusterIP',
      clusterIP: ip,
      clusterIPs: [ip],
      sessionAffinity: 'None',
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
    },
  };
}

export function kubeDnsService(cidr: string | Cidr = DEFAULT_SERVICE_CIDR): KubeObject {
  const ip = kubeDnsIP(cidr);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'kube-dns',
      namespace: 'kube-system',
      labels: {
        'k8s-app': 'kube-dns',
        'kubernetes.io/cluster-service': 'true',
        'kubernetes.io/name': 'CoreDNS',
      },
      annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' },
    },
    spec: {
      clusterIP: ip,
      clusterIPs: [ip],
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
      ],
    },
  };
}

/**
 * Creates `default/kubernetes` and `kube-system/kube-dns` where missing. One that exists with an address
 * outside `cidr` (the service CIDR changed since it was made) is recreated at its new address, since the
 * kubelet points pods at kubeDnsIP(cidr); one that exists in range is left alone. A failure is reported
 * through `log` and the others still happen: podrun runs without them rather than not at all.
 */
export async function ensureSystemServices(
  registry: Registry,
  cidr: string = DEFAULT_SERVICE_CIDR,
  log: (message: string) => void = (m) => registry.reportError(new Error(m)),
): Promise<void> {
  const range = parseServiceCidr(cidr, '');
  for (const want of [kubernetesService(range), kubeDnsService(range)]) {
    const { name, namespace } = want.metadata as { name: string; namespace: string };
    const key = `${namespace}/${name}`;
    const wantIP = (want.spec as { clusterIP: string }).clusterIP;
    try {
      const have = await registry.find('services', namespace, name);
      if (have) {
        const ips = clusterIPsOf(have as unknown as Service);
        if (ips.includes(wantIP)) continue;
        log(
          `service ${key} has ClusterIP ${ips.join(',') || '<none>'}, not ${wantIP} of the service CIDR ${range.text}: recreating it`,
        );
        await registry.delete('services', namespace, name);
      }
      await registry.create('services', namespace, want);
    } catch (e) {
      if (e instanceof ApiError && e.reason === 'AlreadyExists') continue;
      log(`could not create service ${key} at ${wantIP}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
