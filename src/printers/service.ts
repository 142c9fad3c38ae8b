// printService and printEndpoints (pkg/printers/internalversion/printers.go, v1.32).

import type { ServicePort } from 'kubernetes-types/core/v1.js';
import type { Endpoints, KubeObject, Service } from '../api/types.js';
import { translateTimestampSince } from './duration.js';
import { AGE_COLUMN, column, formatLabels, NAME_COLUMN } from './meta.js';
import type { PrintedTable, TableCell, TableColumnDefinition } from './types.js';

export const serviceColumnDefinitions: TableColumnDefinition[] = [
  NAME_COLUMN,
  column(
    'Type',
    'string',
    'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer. "ClusterIP" allocates a cluster-internal IP address for load-balancing to endpoints. Endpoints are determined by the selector or if that is not specified, by manual construction of an Endpoints object or EndpointSlice objects. If clusterIP is "None", no virtual IP is allocated and the endpoints are published as a set of endpoints rather than a virtual IP. "NodePort" builds on ClusterIP and allocates a port on every node which routes to the same endpoints as the clusterIP. "LoadBalancer" builds on NodePort and creates an external load-balancer (if supported in the current cloud) which routes to the same endpoints as the clusterIP. "ExternalName" aliases this service to the specified externalName. Several other fields do not apply to ExternalName services. More info: https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types',
  ),
  column(
    'Cluster-IP',
    'string',
    'clusterIP is the IP address of the service and is usually assigned randomly. If an address is specified manually, is in-range (as per system configuration), and is not in use, it will be allocated to the service; otherwise creation of the service will fail. This field may not be changed through updates unless the type field is also being changed to ExternalName (which requires this field to be blank) or the type field is being changed from ExternalName (in which case this field may optionally be specified, as describe above).  Valid values are "None", empty string (""), or a valid IP address. Setting this to "None" makes a "headless service" (no virtual IP), which is useful when direct endpoint connections are preferred and proxying is not required.  Only applies to types ClusterIP, NodePort, and LoadBalancer. If this field is specified when creating a Service of type ExternalName, creation will fail. This field will be wiped when updating a Service to type ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies',
  ),
  column(
    'External-IP',
    'string',
    'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.  These IPs are not managed by Kubernetes.  The user is responsible for ensuring that traffic arrives at a node with this IP.  A common example is external load-balancers that are not part of the Kubernetes system.',
  ),
  column(
    'Port(s)',
    'string',
    'The list of ports that are exposed by this service. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies',
  ),
  AGE_COLUMN,
  column(
    'Selector',
    'string',
    'Route service traffic to pods with label keys and values matching this selector. If empty or not present, the service is assumed to have an external process managing its endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/',
    1,
  ),
];

export const endpointsColumnDefinitions: TableColumnDefinition[] = [
  NAME_COLUMN,
  column(
    'Endpoints',
    'string',
    'The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs they share. A single address with multiple ports, some of which are ready and some of which are not (because they come from different containers) will result in the address being displayed in different subsets for the different ports. No address will appear in both Addresses and NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a service.',
  ),
  AGE_COLUMN,
];

/** makePortString: `80/TCP`, `80:30080/TCP` with a node port, comma-joined. */
export function makePortString(ports: ServicePort[] | undefined): string {
  return (ports ?? [])
    .map((p) => {
      // Protocol is defaulted to TCP by the API server; upstream prints defaulted objects.
      const protocol = p.protocol ?? 'TCP';
      return p.nodePort && p.nodePort > 0 ? `${p.port}:${p.nodePort}/${protocol}` : `${p.port}/${protocol}`;
    })
    .join(',');
}

const LOAD_BALANCER_WIDTH = 16;

/** loadBalancerStatusStringer: ingress IPs (or hostnames), de-duplicated; clipped to 16 bytes unless wide. */
function loadBalancerStatusStringer(svc: Service, wide: boolean): string {
  const seen: string[] = [];
  for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
    const v = ing.ip || ing.hostname;
    if (v && !seen.includes(v)) seen.push(v);
  }
  let r = seen.join(',');
  if (!wide && r.length > LOAD_BALANCER_WIDTH) r = `${r.slice(0, LOAD_BALANCER_WIDTH - 3)}...`;
  return r;
}

/** getServiceExternalIP: `<none>`, `<pending>` for a LoadBalancer without ingress, the external name, … */
export function serviceExternalIP(svc: Service, wide = true): string {
  const externalIPs = svc.spec?.externalIPs ?? [];
  switch (svc.spec?.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lbIps = loadBalancerStatusStringer(svc, wide);
      if (externalIPs.length > 0) return [...(lbIps ? lbIps.split(',') : []), ...externalIPs].join(',');
      return lbIps || '<pending>';
    }
    case 'ExternalName':
      return svc.spec?.externalName ?? '';
    default:
      return '<unknown>';
  }
}

export function printServiceRow(svc: Service, now: number): TableCell[] {
  // printService reads clusterIPs[0]: `None` for a headless Service, `<none>` for an ExternalName one. A
  // Service stored with only the singular field gets the plural on read (defaultOnRead), hence the fallback.
  const clusterIP = svc.spec?.clusterIPs?.[0] ?? (svc.spec?.clusterIP || '<none>');
  return [
    svc.metadata?.name ?? '',
    svc.spec?.type ?? 'ClusterIP',
    clusterIP,
    // The API server prints wide, so load-balancer addresses are never clipped in its Table.
    serviceExternalIP(svc, true),
    makePortString(svc.spec?.ports) || '<none>',
    translateTimestampSince(svc.metadata?.creationTimestamp, now),
    formatLabels(svc.spec?.selector),
  ];
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** formatEndpoints: up to three `ip:port`, then ` + N more...`; `<none>` without subsets. */
export function formatEndpoints(endpoints: Endpoints): string {
  const subsets = endpoints.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addresses = ss.addresses ?? [];
    if ((ss.ports ?? []).length === 0) {
      // A headless service may have no ports.
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(a.ip);
      }
      continue;
    }
    for (const port of ss.ports ?? []) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(joinHostPort(a.ip, port.port));
      }
    }
  }
  const ret = list.join(',');
  return more ? `${ret} + ${count - max} more...` : ret;
}

export function printServices(objects: KubeObject[], now: number): PrintedTable {
  return {
    columnDefinitions: serviceColumnDefinitions,
    rows: objects.map((object) => ({ cells: printServiceRow(object as unknown as Service, now), object })),
  };
}

export function printEndpoints(objects: KubeObject[], now: number): PrintedTable {
  return {
    columnDefinitions: endpointsColumnDefinitions,
    rows: objects.map((object) => {
      const ep = object as unknown as Endpoints;
      return {
        cells: [
          ep.metadata?.name ?? '',
          formatEndpoints(ep),
          translateTimestampSince(ep.metadata?.creationTimestamp, now),
        ],
        object,
      };
    }),
  };
}
