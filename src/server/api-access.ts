// How pods reach the API server: by the `kubernetes` Service's names and ClusterIP, which the serving
// certificate must cover (as kube-apiserver's does), and through an address of the host they can route to.
import { isIP } from 'node:net';
import { kubernetesServiceIP } from '../apiserver/service-ip/config.js';

/**
 * The serving certificate's names beyond loopback and the listen address: `kubernetes`,
 * `kubernetes.default`, `kubernetes.default.svc`, `kubernetes.default.svc.<domain>`, the Service's ClusterIP
 * and, when pods reach the server there, the pod network's gateway.
 */
export function apiServingNames(serviceCIDR: string, clusterDomain: string, podAddress?: string): string[] {
  const names = [
    'DNS:kubernetes',
    'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc',
    `DNS:kubernetes.default.svc.${clusterDomain}`,
    `IP:${kubernetesServiceIP(serviceCIDR)}`,
  ];
  if (podAddress) names.push(`IP:${podAddress}`);
  return names;
}

/**
 * Where pods reach an API server listening on `address` without a listener of its own for them: the address
 * itself when it is a specific, non-loopback IP. Loopback and wildcard addresses name no endpoint a pod can use.
 */
export function reachableFromPods(
  address: string,
  port: number,
): { address: string; port: number } | undefined {
  if (isIP(address) === 0) return undefined;
  if (address === '0.0.0.0' || address === '::' || address.startsWith('127.') || address === '::1')
    return undefined;
  return { address, port };
}
