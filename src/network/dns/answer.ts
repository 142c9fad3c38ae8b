// The cluster DNS answer, as a pure function: a decoded query and a view of the cluster in, the response out
// (or "forward this upstream"). Semantics follow kubernetes/dns docs/specification.md 1.1.0 and CoreDNS
// plugin/kubernetes; the reasons for each negative answer are in docs/networking.md ("Cluster DNS").

import { isIPv4, isIPv6 } from 'node:net';
import type { Answer, DecodedPacket, Packet, SrvAnswer } from 'dns-packet';
import {
  type ClusterName,
  labelsInZone,
  owningReverseZone,
  parseClusterName,
  parseReverseName,
  type ReverseZone,
} from './names.js';
import { BADVERS, opcodeOf, optsOf, RCODE, type ResponseShape, responseTo, soaRecord } from './records.js';
import type { ClusterDnsView, DnsEndpoint, DnsService } from './view.js';

export type PodRecordMode = 'insecure' | 'verified' | 'disabled';

export interface DnsAnswerConfig {
  /** The cluster domain, e.g. `cluster.local` (no trailing dot). */
  clusterDomain: string;
  /** TTL of positive answers and MINIMUM of the SOA; CoreDNS's default is 5 s. */
  ttl: number;
  /** CoreDNS `pods`: insecure (A for any dashed IP in an existing namespace), verified, disabled. */
  podRecords: PodRecordMode;
  /** Reverse zones podrun is authoritative for: the service and pod CIDRs (see `reverseZone`). */
  reverseZones: readonly ReverseZone[];
  /** Whether other names go upstream; when false they get NXDOMAIN at once. */
  forwarding: boolean;
}

export type AnswerResult = { kind: 'answer'; response: Packet } | { kind: 'forward' };

const DNS_SCHEMA_VERSION = '1.1.0';
const DNS_VERSION_TTL = 28800;
/** Guards ExternalName → ExternalName chains inside the zone. */
const MAX_CNAME_CHAIN = 8;

interface RRSet {
  /** false → NXDOMAIN. */
  exists: boolean;
  /** Every record at the name, whatever its type; the query type picks among them. */
  records: Answer[];
  /** Records for the additional section (addresses of SRV targets). */
  extra?: Answer[];
  /** An ExternalName's target: answers every type with the CNAME, then chases it if it is a cluster name. */
  cname?: string;
}

const NONE: RRSet = { exists: false, records: [] };

function addressRecords(name: string, ips: Iterable<string>, ttl: number): Answer[] {
  const out: Answer[] = [];
  for (const ip of new Set(ips)) {
    if (isIPv4(ip)) out.push({ type: 'A', name, ttl, class: 'IN', data: ip });
    else if (isIPv6(ip)) out.push({ type: 'AAAA', name, ttl, class: 'IN', data: ip });
  }
  return out;
}

function protocolMatches(want: string, have: string): boolean {
  return want === have.toLowerCase();
}

/** CoreDNS backend_lookup.go SRV: priority 0, weight floor(100 / number of records at that priority). */
function weighSrv(records: SrvAnswer[]): SrvAnswer[] {
  const weight = records.length > 0 ? Math.floor(100 / records.length) : 0;
  for (const r of records) r.data.weight = weight;
  return records;
}

class ClusterAnswerer {
  constructor(
    private readonly view: ClusterDnsView,
    private readonly config: DnsAnswerConfig,
  ) {}

  private serviceName(svc: { namespace: string; name: string }): string {
    return `${svc.name}.${svc.namespace}.svc.${this.config.clusterDomain}`;
  }

  /** The records at a name of the cluster zone; `qname` is the name as asked (answers echo its case). */
  lookup(name: ClusterName, qname: string): RRSet {
    const ttl = this.config.ttl;
    switch (name.kind) {
      case 'apex':
        return { exists: true, records: [] };
      case 'dns-version':
        return {
          exists: true,
          records: [
            { type: 'TXT', name: qname, ttl: DNS_VERSION_TTL, class: 'IN', data: DNS_SCHEMA_VERSION },
          ],
        };
      case 'namespace':
        return this.view.namespaceExists(name.namespace) ? { exists: true, records: [] } : NONE;
      case 'service':
        return this.serviceRecords(name.namespace, name.service, qname);
      case 'endpoint': {
        const svc = this.view.service(name.namespace, name.service);
        if (!svc || svc.kind === 'ExternalName') return NONE;
        const ips = this.readyEndpoints(svc)
          .filter((ep) => ep.hostname.toLowerCase() === name.hostname)
          .map((ep) => ep.ip);
        return ips.length > 0 ? { exists: true, records: addressRecords(qname, ips, ttl) } : NONE;
      }
      case 'srv':
        return this.portRecords(name, qname);
      case 'pod': {
        if (name.ip === undefined || this.config.podRecords === 'disabled') return NONE;
        const ok =
          this.config.podRecords === 'insecure'
            ? this.view.namespaceExists(name.namespace)
            : this.view.podHasIP(name.namespace, name.ip);
        return ok ? { exists: true, records: addressRecords(qname, [name.ip], ttl) } : NONE;
      }
      case 'invalid':
        return NONE;
    }
  }

  private readyEndpoints(svc: DnsService): readonly DnsEndpoint[] {
    return this.view.readyEndpoints(svc.namespace, svc.name);
  }

  private serviceRecords(namespace: string, service: string, qname: string): RRSet {
    const svc = this.view.service(namespace, service);
    if (!svc) return NONE;
    const ttl = this.config.ttl;
    if (svc.kind === 'ExternalName') {
      if (!svc.externalName) return NONE;
      return {
        exists: true,
        records: [{ type: 'CNAME', name: qname, ttl, class: 'IN', data: svc.externalName }],
        cname: svc.externalName,
      };
    }
    const own = this.serviceName(svc);
    if (svc.kind === 'ClusterIP') {
      // A ClusterIP answers even with no endpoints (CoreDNS findServices): connecting is then refused.
      const srv = svc.ports.map(
        (p): SrvAnswer => ({
          type: 'SRV',
          name: qname,
          ttl,
          class: 'IN',
          data: { priority: 0, weight: 0, port: p.port, target: own },
        }),
      );
      return {
        exists: true,
        records: [...addressRecords(qname, svc.clusterIPs, ttl), ...weighSrv(srv)],
        extra: srv.length > 0 ? addressRecords(own, svc.clusterIPs, ttl) : [],
      };
    }
    const endpoints = this.readyEndpoints(svc);
    // Headless with no ready address: the name does not exist (specification 2.4.1).
    if (endpoints.length === 0) return NONE;
    const srv: SrvAnswer[] = [];
    const extra: Answer[] = [];
    for (const ep of endpoints) {
      const target = `${ep.hostname}.${own}`;
      if (ep.ports.length > 0) extra.push(...addressRecords(target, [ep.ip], ttl));
      for (const p of ep.ports) {
        srv.push({
          type: 'SRV',
          name: qname,
          ttl,
          class: 'IN',
          data: { priority: 0, weight: 0, port: p.port, target },
        });
      }
    }
    return {
      exists: true,
      records: [
        ...addressRecords(
          qname,
          endpoints.map((ep) => ep.ip),
          ttl,
        ),
        ...weighSrv(srv),
      ],
      extra,
    };
  }

  /** `_<port>._<proto>.<svc>.<ns>.svc.<zone>`: named ports only. */
  private portRecords(name: Extract<ClusterName, { kind: 'srv' }>, qname: string): RRSet {
    const svc = this.view.service(name.namespace, name.service);
    if (!svc || svc.kind === 'ExternalName') return NONE;
    const ttl = this.config.ttl;
    const own = this.serviceName(svc);
    const matches = (p: { name: string; protocol: string }) =>
      p.name !== '' && p.name.toLowerCase() === name.port && protocolMatches(name.protocol, p.protocol);
    const srv: SrvAnswer[] = [];
    const extra: Answer[] = [];
    if (svc.kind === 'ClusterIP') {
      for (const p of svc.ports.filter(matches)) {
        srv.push({
          type: 'SRV',
          name: qname,
          ttl,
          class: 'IN',
          data: { priority: 0, weight: 0, port: p.port, target: own },
        });
      }
      if (srv.length > 0) extra.push(...addressRecords(own, svc.clusterIPs, ttl));
    } else {
      for (const ep of this.readyEndpoints(svc)) {
        const target = `${ep.hostname}.${own}`;
        const ports = ep.ports.filter(matches);
        if (ports.length > 0) extra.push(...addressRecords(target, [ep.ip], ttl));
        for (const p of ports) {
          srv.push({
            type: 'SRV',
            name: qname,
            ttl,
            class: 'IN',
            data: { priority: 0, weight: 0, port: p.port, target },
          });
        }
      }
    }
    return srv.length > 0 ? { exists: true, records: weighSrv(srv), extra } : NONE;
  }

  /** PTR for an address: a ClusterIP names its service, a ready endpoint `<hostname>.<svc>…` (reverse.go). */
  reverse(ip: string, qname: string): RRSet {
    const ttl = this.config.ttl;
    const services = this.view.servicesByClusterIP(ip);
    if (services.length > 0) {
      return {
        exists: true,
        records: services.map((s) => ({
          type: 'PTR',
          name: qname,
          ttl,
          class: 'IN',
          data: this.serviceName(s),
        })),
      };
    }
    const refs = this.view.endpointsByIP(ip);
    if (refs.length === 0) return NONE;
    const targets = new Set(
      refs.map((r) => `${r.hostname}.${this.serviceName({ namespace: r.namespace, name: r.service })}`),
    );
    return {
      exists: true,
      records: [...targets].map((t) => ({ type: 'PTR', name: qname, ttl, class: 'IN', data: t })),
    };
  }
}

/**
 * Answers one query. Cluster names, the reverse zones of `config.reverseZones`, addresses the cluster knows
 * and single-label names are decided here; anything else is `{ kind: 'forward' }` when forwarding is on.
 */
export function answerQuery(
  query: Packet | DecodedPacket,
  view: ClusterDnsView,
  config: DnsAnswerConfig,
): AnswerResult {
  const ra = config.forwarding;
  const reply = (shape: Omit<ResponseShape, 'recursionAvailable'>): AnswerResult => ({
    kind: 'answer',
    response: responseTo(query, { ...shape, recursionAvailable: ra }),
  });
  if (opcodeOf(query.flags) !== 0) return reply({ rcode: RCODE.NOTIMP, authoritative: false });
  const questions = query.questions ?? [];
  const opts = optsOf(query);
  if (questions.length !== 1 || opts.length > 1) return reply({ rcode: RCODE.FORMERR, authoritative: false });
  if (opts[0] && opts[0].ednsVersion > 0) return reply({ rcode: BADVERS, authoritative: false });

  const q = questions[0]!;
  const qtype = q.type.toUpperCase();
  const qname = q.name;
  const answerer = new ClusterAnswerer(view, config);

  let set: RRSet | undefined;
  let soaZone: string | undefined;
  const segs = labelsInZone(qname, config.clusterDomain);
  if (segs !== undefined) {
    set = answerer.lookup(parseClusterName(segs), qname);
    soaZone = config.clusterDomain;
  } else {
    const rev = parseReverseName(qname);
    if (rev) {
      const zone = owningReverseZone(rev, config.reverseZones);
      const known = rev.ip !== undefined ? answerer.reverse(rev.ip, qname) : NONE;
      if (known.exists || zone) {
        set = rev.ip === undefined ? { exists: true, records: [] } : known;
        soaZone = zone?.zone ?? config.clusterDomain;
      }
    }
  }
  if (set === undefined || soaZone === undefined) {
    const labels = qname
      .replace(/\.$/, '')
      .split('.')
      .filter((l) => l !== '');
    // A single label never reaches the internet: it is a search-list leftover (`redis-service.`).
    if (config.forwarding && labels.length !== 1) return { kind: 'forward' };
    if (qtype === 'AXFR' || qtype === 'IXFR') return reply({ rcode: RCODE.REFUSED, authoritative: false });
    return reply({ rcode: RCODE.NXDOMAIN, authoritative: false });
  }

  const soa = () => [soaRecord(soaZone, config.clusterDomain, view.serial(), config.ttl)];
  if (qtype === 'AXFR' || qtype === 'IXFR') return reply({ rcode: RCODE.REFUSED, authoritative: true });
  if (!set.exists) return reply({ rcode: RCODE.NXDOMAIN, authoritative: true, authorities: soa() });

  if (set.cname !== undefined) return chaseCname(set, qtype, answerer, config, reply, soa);

  if (qtype === 'SOA' && segs !== undefined && segs.length === 0) {
    return reply({ rcode: RCODE.NOERROR, authoritative: true, answers: soa() });
  }
  const answers = set.records.filter((r) => r.type === qtype);
  if (answers.length === 0) return reply({ rcode: RCODE.NOERROR, authoritative: true, authorities: soa() });
  return reply({
    rcode: RCODE.NOERROR,
    authoritative: true,
    answers,
    additionals: qtype === 'SRV' ? set.extra : [],
  });
}

/** An ExternalName: the CNAME, and the target's records when the target is itself a cluster name. */
function chaseCname(
  first: RRSet,
  qtype: string,
  answerer: ClusterAnswerer,
  config: DnsAnswerConfig,
  reply: (shape: Omit<ResponseShape, 'recursionAvailable'>) => AnswerResult,
  soa: () => Answer[],
): AnswerResult {
  const answers: Answer[] = [...first.records];
  if (qtype === 'CNAME') return reply({ rcode: RCODE.NOERROR, authoritative: true, answers });
  let set = first;
  for (let i = 0; i < MAX_CNAME_CHAIN && set.cname !== undefined; i++) {
    const segs = labelsInZone(set.cname, config.clusterDomain);
    // Outside the zone the client (or its recursive resolver) follows the CNAME itself.
    if (segs === undefined) return reply({ rcode: RCODE.NOERROR, authoritative: true, answers });
    set = answerer.lookup(parseClusterName(segs), set.cname);
    if (!set.exists)
      return reply({ rcode: RCODE.NXDOMAIN, authoritative: true, answers, authorities: soa() });
    if (set.cname !== undefined) answers.push(...set.records);
    else answers.push(...set.records.filter((r) => r.type === qtype));
  }
  return reply({
    rcode: RCODE.NOERROR,
    authoritative: true,
    answers,
    authorities: answers.length === first.records.length ? soa() : [],
  });
}
