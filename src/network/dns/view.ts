// What cluster DNS needs to know about the cluster, read-only. `answerQuery` reads only this, so it can be fed
// by the in-memory index (`ClusterDnsIndex`, kept current from the store's watches) or by anything else.
// Every lookup is expected to be a map access, not a scan: it runs once per query.

export interface DnsServicePort {
  /** The port's name ('' when unnamed): SRV names are `_<name>._<proto>`. */
  name: string;
  port: number;
  /** 'TCP' | 'UDP' | 'SCTP', as the object says it. */
  protocol: string;
}

export interface DnsService {
  namespace: string;
  name: string;
  /** ClusterIP services have addresses; headless ones (`clusterIP: None`) answer with their endpoints. */
  kind: 'ClusterIP' | 'Headless' | 'ExternalName';
  /** The allocated ClusterIPs (IPv4 and/or IPv6); empty for headless and ExternalName services. */
  clusterIPs: string[];
  /** `spec.externalName`, without a trailing dot; only for ExternalName services. */
  externalName?: string;
  ports: DnsServicePort[];
}

/** One ready address of a service's EndpointSlices (ready = `conditions.ready` true or absent). */
export interface DnsEndpoint {
  ip: string;
  /** The slice's `hostname`, else the address with dashes (`10-244-0-7`), as CoreDNS names endpoints. */
  hostname: string;
  /** The slice's ports (resolved target ports), which headless SRV records carry. */
  ports: DnsServicePort[];
}

/** A ready endpoint address found by IP, for PTR. */
export interface DnsEndpointRef {
  namespace: string;
  service: string;
  hostname: string;
}

export interface ClusterDnsView {
  namespaceExists(namespace: string): boolean;
  service(namespace: string, name: string): DnsService | undefined;
  /** The services holding this ClusterIP (normally one). */
  servicesByClusterIP(ip: string): readonly DnsService[];
  /** The ready endpoints of a service, over all its EndpointSlices; several entries may share an IP. */
  readyEndpoints(namespace: string, service: string): readonly DnsEndpoint[];
  /** The services that have this IP as a ready endpoint. */
  endpointsByIP(ip: string): readonly DnsEndpointRef[];
  /** Whether a pod of that namespace has this IP (`pods verified`). */
  podHasIP(namespace: string, ip: string): boolean;
  /** The SOA serial: changes whenever the data does (CoreDNS uses the last modification time, in seconds). */
  serial(): number;
}
