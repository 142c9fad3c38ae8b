// A small cluster for the DNS tests, fed through ClusterDnsIndex.apply as the watches would feed it.

import dnsPacket, { type DecodedPacket, type Packet, type RecordType } from 'dns-packet';
import type { Namespace, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { type AnswerResult, answerQuery, type DnsAnswerConfig } from '../../../src/network/dns/answer.js';
import { ClusterDnsIndex, SERVICE_NAME_LABEL } from '../../../src/network/dns/cluster-index.js';
import { reverseZone } from '../../../src/network/dns/names.js';

export function namespace(name: string): Namespace {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

export function clusterIPService(
  ns: string,
  name: string,
  ip: string,
  ports: Array<[string, number, string?]>,
): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: ns, name },
    spec: {
      type: 'ClusterIP',
      clusterIP: ip,
      clusterIPs: [ip],
      ports: ports.map(([n, port, protocol]) => ({
        ...(n ? { name: n } : {}),
        port,
        protocol: protocol ?? 'TCP',
      })),
    },
  };
}

export function headlessService(ns: string, name: string, ports: Array<[string, number]>): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: ns, name },
    spec: { clusterIP: 'None', ports: ports.map(([n, port]) => ({ name: n, port, protocol: 'TCP' })) },
  };
}

export function externalNameService(ns: string, name: string, target: string): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: ns, name },
    spec: { type: 'ExternalName', externalName: target },
  };
}

export interface SliceEndpoint {
  ip: string;
  ready?: boolean;
  hostname?: string;
}

export function slice(
  ns: string,
  name: string,
  service: string,
  endpoints: SliceEndpoint[],
  ports: Array<[string, number]>,
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: ns, name, labels: { [SERVICE_NAME_LABEL]: service } },
    addressType: 'IPv4',
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      ...(e.ready === undefined ? {} : { conditions: { ready: e.ready } }),
      ...(e.hostname ? { hostname: e.hostname } : {}),
    })),
    ports: ports.map(([n, port]) => ({ name: n, port, protocol: 'TCP' })),
  };
}

export function pod(ns: string, name: string, ip: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: ns, name },
    status: { podIP: ip, podIPs: [{ ip }] },
  };
}

/**
 * default: postgres-service (10.96.0.20:5432 "postgres", one ready endpoint), redis-service (10.96.0.21:6379,
 * no endpoints), db (headless: db-0 ready, 10.244.0.8 ready by absence, 10.244.0.9 not ready), lonely
 * (headless, nothing ready), ext (ExternalName example.com), alias (ExternalName → postgres-service), pod web.
 */
export function sampleCluster(): ClusterDnsIndex {
  const index = new ClusterDnsIndex();
  index.apply('ADDED', namespace('default'));
  index.apply('ADDED', namespace('kube-system'));
  index.apply('ADDED', clusterIPService('default', 'postgres-service', '10.96.0.20', [['postgres', 5432]]));
  index.apply(
    'ADDED',
    slice(
      'default',
      'postgres-service-abcde',
      'postgres-service',
      [{ ip: '10.244.0.5', ready: true }],
      [['postgres', 5432]],
    ),
  );
  index.apply('ADDED', clusterIPService('default', 'redis-service', '10.96.0.21', [['', 6379]]));
  index.apply('ADDED', headlessService('default', 'db', [['pg', 5432]]));
  index.apply(
    'ADDED',
    slice(
      'default',
      'db-xyz',
      'db',
      [
        { ip: '10.244.0.7', ready: true, hostname: 'db-0' },
        { ip: '10.244.0.8' },
        { ip: '10.244.0.9', ready: false },
      ],
      [['pg', 5432]],
    ),
  );
  index.apply('ADDED', headlessService('default', 'lonely', [['http', 80]]));
  index.apply(
    'ADDED',
    slice('default', 'lonely-1', 'lonely', [{ ip: '10.244.0.30', ready: false }], [['http', 80]]),
  );
  index.apply('ADDED', externalNameService('default', 'ext', 'example.com'));
  index.apply('ADDED', externalNameService('default', 'alias', 'postgres-service.default.svc.cluster.local'));
  index.apply('ADDED', pod('default', 'web', '10.244.0.7'));
  return index;
}

export function config(overrides: Partial<DnsAnswerConfig> = {}): DnsAnswerConfig {
  return {
    clusterDomain: 'cluster.local',
    ttl: 5,
    podRecords: 'insecure',
    reverseZones: [reverseZone('10.96.0.0/12', 'serviceCidr'), reverseZone('10.244.0.0/16', 'podCidr')],
    forwarding: false,
    ...overrides,
  };
}

let nextId = 1;

export function query(
  name: string,
  type: RecordType | `UNKNOWN_${number}` = 'A',
  extra: Partial<Packet> = {},
): Packet {
  return {
    type: 'query',
    id: nextId++,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as RecordType, class: 'IN' }],
    ...extra,
  };
}

/** Sends the query through the wire format both ways, as the server would see and send it. */
export function ask(
  index: ClusterDnsIndex,
  q: Packet,
  overrides: Partial<DnsAnswerConfig> = {},
): DecodedPacket & { rcodeNum: number } {
  const result: AnswerResult = answerQuery(dnsPacket.decode(dnsPacket.encode(q)), index, config(overrides));
  if (result.kind !== 'answer') throw new Error(`expected an answer, got ${result.kind}`);
  const decoded = dnsPacket.decode(dnsPacket.encode(result.response));
  return Object.assign(decoded, { rcodeNum: (decoded.flags ?? 0) & 0xf });
}
