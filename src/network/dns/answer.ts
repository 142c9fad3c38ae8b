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
import type { ClusterDnsView, DnsServicePort } from './view.js';

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
  /** The records of the asked type at the name (all of them for an ExternalName's CNAME). */
  records: Answer[];
  /** Records for the additional section (addresses of SRV targets). */
  extra?: Answer[];
  /** An ExternalName's target: answers every type with the CNAME, then chases it if it is a cluster name. */
  cname?: string;
}

const NONE: RRSet = { exists: false, records: [] };
const EMPTY: RRSet = { exists: true, records: [] };

// Hot path note: podrun runs from source through tsx, which keeps function names by wrapping every named
// closure at creation; per-query closures are avoided here for that reason (a query costs a few µs).

function addressRecords(name: string, ips: Iterable<string>, ttl: number, qtype: string): Answer[] {
  const out: Answer[] = [];
  const seen = new Set<string>();
  for (const ip of ips) {
    if (seen.has(ip)) continue;
    seen.add(ip);
    if (qtype === 'A' && isIPv4(ip)) out.push({ type: 'A', name, ttl, class: 'IN', data: ip });
    else if (qtype === 'AAAA' && isIPv6(ip)) out.push({ type: 'AAAA', name, ttl, class: 'IN', data: ip });
  }
  return out;
}

function srvRecord(name: string, ttl: number, port: number, target: string): SrvAnswer {
  return { type: 'SRV', name, ttl, class: 'IN', data: { priority: 0, weight: 0, port, target } };
}

/** CoreDNS backend_lookup.go SRV: priority 0, weight floor(100 / number of records at that priority). */
function weighSrv(records: SrvAnswer[]): SrvAnswer[] {
  const weight = records.length > 0 ? Math.floor(100 / records.length) : 0;
  for (const r of records) r.data.weight = weight;
  return records;
}

function serviceName(svc: { namespace: string; name: string }, config: DnsAnswerConfig): string {
  return `${svc.name}.${svc.namespace}.svc.${config.clusterDomain}`;
}

function portMatches(p: DnsServicePort, port: string, protocol: string): boolean {
  return p.name !== '' && p.name.toLowerCase() === port && p.protocol.toLowerCase() === protocol;
}

/** The records of type `qtype` at a name of the cluster zone; `qname` is the name as asked (answers echo it). */
function lookup(
  view: ClusterDnsView,
  config: DnsAnswerConfig,
  name: ClusterName,
  qname: string,
  qtype: string,
): RRSet {
  const ttl = config.ttl;
  switch (name.kind) {
    case 'apex':
      return EMPTY;
    case 'dns-version':
      if (qtype !== 'TXT') return EMPTY;
      return {
        exists: true,
        records: [{ type: 'TXT', name: qname, ttl: DNS_VERSION_TTL, class: 'IN', data: DNS_SCHEMA_VERSION }],
      };
    case 'namespace':
      return view.namespaceExists(name.namespace) ? EMPTY : NONE;
    case 'service':
      return serviceRecords(view, config, name.namespace, name.service, qname, qtype);
    case 'endpoint': {
      const svc = view.service(name.namespace, name.service);
      if (!svc || svc.kind === 'ExternalName') return NONE;
      const ips: string[] = [];
      for (const ep of view.readyEndpoints(svc.namespace, svc.name)) {
        if (ep.hostname.toLowerCase() === name.hostname) ips.push(ep.ip);
      }
      return ips.length > 0 ? { exists: true, records: addressRecords(qname, ips, ttl, qtype) } : NONE;
    }
    case 'srv':
      return portRecords(view, config, name, qname, qtype);
    case 'pod': {
      if (name.ip === undefined || config.podRecords === 'disabled') return NONE;
      const ok =
        config.podRecords === 'insecure'
          ? view.namespaceExists(name.namespace)
          : view.podHasIP(name.namespace, name.ip);
      return ok ? { exists: true, records: addressRecords(qname, [name.ip], ttl, qtype) } : NONE;
    }
    case 'invalid':
      return NONE;
  }
}

function serviceRecords(
  view: ClusterDnsView,
  config: DnsAnswerConfig,
  namespace: string,
  service: string,
  qname: string,
  qtype: string,
): RRSet {
  const svc = view.service(namespace, service);
  if (!svc) return NONE;
  const ttl = config.ttl;
  if (svc.kind === 'ExternalName') {
    if (!svc.externalName) return NONE;
    return {
      exists: true,
      records: [{ type: 'CNAME', name: qname, ttl, class: 'IN', data: svc.externalName }],
      cname: svc.externalName,
    };
  }
  const own = serviceName(svc, config);
  if (svc.kind === 'ClusterIP') {
    // A ClusterIP answers even with no endpoints (CoreDNS findServices): connecting is then refused.
    if (qtype !== 'SRV') return { exists: true, records: addressRecords(qname, svc.clusterIPs, ttl, qtype) };
    const srv: SrvAnswer[] = [];
    for (const p of svc.ports) srv.push(srvRecord(qname, ttl, p.port, own));
    const extra = srv.length > 0 ? addressRecords(own, svc.clusterIPs, ttl, 'A') : [];
    return { exists: true, records: weighSrv(srv), extra };
  }
  const endpoints = view.readyEndpoints(svc.namespace, svc.name);
  // Headless with no ready address: the name does not exist (specification 2.4.1).
  if (endpoints.length === 0) return NONE;
  if (qtype !== 'SRV') {
    const ips: string[] = [];
    for (const ep of endpoints) ips.push(ep.ip);
    return { exists: true, records: addressRecords(qname, ips, ttl, qtype) };
  }
  const srv: SrvAnswer[] = [];
  const extra: Answer[] = [];
  for (const ep of endpoints) {
    const target = `${ep.hostname}.${own}`;
    if (ep.ports.length > 0) extra.push(...addressRecords(target, [ep.ip], ttl, 'A'));
    for (const p of ep.ports) srv.push(srvRecord(qname, ttl, p.port, target));
  }
  return { exists: true, records: weighSrv(srv), extra };
}

/** `_<port>._<proto>.<svc>.<ns>.svc.<zone>`: named ports only. */
function portRecords(
  view: ClusterDnsView,
  config: DnsAnswerConfig,
  name: Extract<ClusterName, { kind: 'srv' }>,
  qname: string,
  qtype: string,
): RRSet {
  const svc = view.service(name.namespace, name.service);
  if (!svc || svc.kind === 'ExternalName') return NONE;
  const ttl = config.ttl;
  const own = serviceName(svc, config);
  const srv: SrvAnswer[] = [];
  const extra: Answer[] = [];
  if (svc.kind === 'ClusterIP') {
    for (const p of svc.ports) {
      if (portMatches(p, name.port, name.protocol)) srv.push(srvRecord(qname, ttl, p.port, own));
    }
    if (srv.length > 0) extra.push(...addressRecords(own, svc.clusterIPs, ttl, 'A'));
  } else {
    for (const ep of view.readyEndpoints(svc.namespace, svc.name)) {
      const target = `${ep.hostname}.${own}`;
      let matched = false;
      for (const p of ep.ports) {
        if (!portMatches(p, name.port, name.protocol)) continue;
        srv.push(srvRecord(qname, ttl, p.port, target));
        matched = true;
      }
      if (matched) extra.push(...addressRecords(target, [ep.ip], ttl, 'A'));
    }
  }
  if (srv.length === 0) return NONE;
  // The name holds SRV records only: other types get NODATA.
  return qtype === 'SRV' ? { exists: true, records: weighSrv(srv), extra } : EMPTY;
}

/** PTR for an address: a ClusterIP names its service, a ready endpoint `<hostname>.<svc>…` (reverse.go). */
function reverse(
  view: ClusterDnsView,
  config: DnsAnswerConfig,
  ip: string,
  qname: string,
  qtype: string,
): RRSet {
  const ttl = config.ttl;
  const targets = new Set<string>();
  for (const s of view.servicesByClusterIP(ip)) targets.add(serviceName(s, config));
  if (targets.size === 0) {
    for (const r of view.endpointsByIP(ip)) {
      targets.add(`${r.hostname}.${serviceName({ namespace: r.namespace, name: r.service }, config)}`);
    }
  }
  if (targets.size === 0) return NONE;
  if (qtype !== 'PTR') return EMPTY;
  const records: Answer[] = [];
  for (const t of targets) records.push({ type: 'PTR', name: qname, ttl, class: 'IN', data: t });
  return { exists: true, records };
}

function reply(query: Packet, config: DnsAnswerConfig, shape: ResponseShape): AnswerResult {
  shape.recursionAvailable = config.forwarding;
  return { kind: 'answer', response: responseTo(query, shape) };
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
  if (opcodeOf(query.flags) !== 0)
    return reply(query, config, { recursionAvailable: false, rcode: RCODE.NOTIMP, authoritative: false });
  const questions = query.questions ?? [];
  const opts = optsOf(query);
  if (questions.length !== 1 || opts.length > 1) {
    return reply(query, config, { recursionAvailable: false, rcode: RCODE.FORMERR, authoritative: false });
  }
  if (opts[0] && opts[0].ednsVersion > 0)
    return reply(query, config, { recursionAvailable: false, rcode: BADVERS, authoritative: false });

  const q = questions[0]!;
  const qtype = q.type.toUpperCase();
  const qname = q.name;
  const transfer = qtype === 'AXFR' || qtype === 'IXFR';

  let set: RRSet | undefined;
  let soaZone: string | undefined;
  const segs = labelsInZone(qname, config.clusterDomain);
  if (segs !== undefined) {
    set = lookup(view, config, parseClusterName(segs), qname, qtype);
    soaZone = config.clusterDomain;
  } else {
    const rev = parseReverseName(qname);
    if (rev) {
      const zone = owningReverseZone(rev, config.reverseZones);
      const known = rev.ip !== undefined ? reverse(view, config, rev.ip, qname, qtype) : NONE;
      if (known.exists || zone) {
        // A shorter name inside the zone (`244.10.in-addr.arpa`) exists as the parent of addresses.
        set = rev.ip === undefined ? EMPTY : known;
        soaZone = zone?.zone ?? config.clusterDomain;
      }
    }
  }
  if (set === undefined || soaZone === undefined) {
    const labels = qname.split('.').filter((l) => l !== '').length;
    // A single label never reaches the internet: it is a search-list leftover (`redis-service.`).
    if (config.forwarding && labels !== 1) return { kind: 'forward' };
    return reply(query, config, {
      recursionAvailable: false,
      rcode: transfer ? RCODE.REFUSED : RCODE.NXDOMAIN,
      authoritative: false,
    });
  }

  if (transfer)
    return reply(query, config, { recursionAvailable: false, rcode: RCODE.REFUSED, authoritative: true });
  const soa = [soaRecord(soaZone, config.clusterDomain, view.serial(), config.ttl)];
  if (!set.exists)
    return reply(query, config, {
      recursionAvailable: false,
      rcode: RCODE.NXDOMAIN,
      authoritative: true,
      authorities: soa,
    });
  if (set.cname !== undefined) return chaseCname(query, view, config, set, qtype, soa);
  if (qtype === 'SOA' && segs !== undefined && segs.length === 0) {
    return reply(query, config, {
      recursionAvailable: false,
      rcode: RCODE.NOERROR,
      authoritative: true,
      answers: soa,
    });
  }
  if (set.records.length === 0) {
    return reply(query, config, {
      recursionAvailable: false,
      rcode: RCODE.NOERROR,
      authoritative: true,
      authorities: soa,
    });
  }
  return reply(query, config, {
    recursionAvailable: false,
    rcode: RCODE.NOERROR,
    authoritative: true,
    answers: set.records,
    additionals: set.extra,
  });
}

/** An ExternalName: the CNAME, and the target's records when the target is itself a cluster name. */
function chaseCname(
  query: Packet,
  view: ClusterDnsView,
  config: DnsAnswerConfig,
  first: RRSet,
  qtype: string,
  soa: Answer[],
): AnswerResult {
  const answers: Answer[] = [...first.records];
  if (qtype === 'CNAME')
    return reply(query, config, {
      recursionAvailable: false,
      rcode: RCODE.NOERROR,
      authoritative: true,
      answers,
    });
  let set = first;
  for (let i = 0; i < MAX_CNAME_CHAIN && set.cname !== undefined; i++) {
    const segs = labelsInZone(set.cname, config.clusterDomain);
    // Outside the zone the client (or its recursive resolver) follows the CNAME itself.
    if (segs === undefined)
      return reply(query, config, {
        recursionAvailable: false,
        rcode: RCODE.NOERROR,
        authoritative: true,
        answers,
      });
    set = lookup(view, config, parseClusterName(segs), set.cname, qtype);
    if (!set.exists) {
      return reply(query, config, {
        recursionAvailable: false,
        rcode: RCODE.NXDOMAIN,
        authoritative: true,
        answers,
        authorities: soa,
      });
    }
    answers.push(...set.records);
  }
  const nodata = answers.length === first.records.length;
  return reply(query, config, {
    recursionAvailable: false,
    rcode: RCODE.NOERROR,
    authoritative: true,
    answers,
    authorities: nodata ? soa : [],
  });
}
