// Small builders for Services and EndpointSlices as the API server stores them.
import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';

export function service(
  name: string,
  clusterIP: string | undefined,
  ports: ServicePort[],
  extra: {
    ns?: string;
    type?: string;
    affinity?: number | 'default';
    clusterIPs?: string[];
    labels?: Record<string, string>;
  } = {},
): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: extra.ns ?? 'default', ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: {
      ...(extra.type ? { type: extra.type } : {}),
      ...(clusterIP !== undefined ? { clusterIP } : {}),
      ...(extra.clusterIPs ? { clusterIPs: extra.clusterIPs } : clusterIP ? { clusterIPs: [clusterIP] } : {}),
      ports,
      ...(extra.affinity !== undefined
        ? {
            sessionAffinity: 'ClientIP',
            sessionAffinityConfig:
              extra.affinity === 'default' ? {} : { clientIP: { timeoutSeconds: extra.affinity } },
          }
        : {}),
    },
  };
}

export function slice(
  serviceName: string,
  name: string,
  ports: EndpointPort[],
  endpoints: Endpoint[],
  extra: { ns?: string; addressType?: string; labels?: Record<string, string> } = {},
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name,
      namespace: extra.ns ?? 'default',
      labels: { 'kubernetes.io/service-name': serviceName, ...extra.labels },
    },
    addressType: extra.addressType ?? 'IPv4',
    ports,
    endpoints,
  };
}

export function ep(ip: string, conditions?: Endpoint['conditions']): Endpoint {
  return { addresses: [ip], ...(conditions ? { conditions } : {}) };
}
