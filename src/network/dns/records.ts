// Resource records and response skeletons shared by the cluster answers and the server's error replies.
import type { Answer, DecodedPacket, OptAnswer, Packet, Question, SoaAnswer } from 'dns-packet';
import { AUTHORITATIVE_ANSWER, RECURSION_AVAILABLE, RECURSION_DESIRED } from 'dns-packet';

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
/** EDNS0 BADVERS (16): its upper bits go in the OPT record's extended rcode, the lower 4 in the header. */
export const BADVERS = 16;
/** The UDP payload podrun advertises and the most it sends over UDP (the DNS flag day 2020 value). */
export const MAX_UDP_PAYLOAD = 1232;
export const DEFAULT_UDP_PAYLOAD = 512;
const QR_FLAG = 1 << 15;

export function opcodeOf(flags: number | undefined): number {
  return ((flags ?? 0) >> 11) & 0xf;
}

export function rcodeOf(flags: number | undefined): number {
  return (flags ?? 0) & 0xf;
}

/** The query's OPT records (more than one is a FORMERR, RFC 6891 §6.1.1). */
export function optsOf(query: Packet): OptAnswer[] {
  return (query.additionals ?? []).filter((a): a is OptAnswer => a.type === 'OPT');
}

/** The UDP size the client can take: 512 without EDNS0, else its advertised size within 512..1232. */
export function udpLimit(query: Packet): number {
  const opt = optsOf(query)[0];
  if (!opt) return DEFAULT_UDP_PAYLOAD;
  return Math.min(MAX_UDP_PAYLOAD, Math.max(DEFAULT_UDP_PAYLOAD, opt.udpPayloadSize || DEFAULT_UDP_PAYLOAD));
}

export interface ResponseShape {
  rcode: number;
  authoritative: boolean;
  recursionAvailable: boolean;
  answers?: Answer[];
  authorities?: Answer[];
  additionals?: Answer[];
}

/**
 * A response to `query`: its id, opcode, RD bit and questions, and an OPT record when the query had one
 * (RFC 6891 §7), carrying the extended rcode bits.
 */
export function responseTo(query: Packet | DecodedPacket, shape: ResponseShape): Packet {
  const qflags = query.flags ?? 0;
  let flags = (opcodeOf(qflags) << 11) | (qflags & RECURSION_DESIRED) | (shape.rcode & 0xf);
  if (shape.authoritative) flags |= AUTHORITATIVE_ANSWER;
  if (shape.recursionAvailable) flags |= RECURSION_AVAILABLE;
  let additionals = shape.additionals ?? [];
  if (hasOpt(query)) {
    additionals = additionals.concat({
      type: 'OPT',
      name: '.',
      udpPayloadSize: MAX_UDP_PAYLOAD,
      extendedRcode: shape.rcode >> 4,
      ednsVersion: 0,
      flags: 0,
      flag_do: false,
      options: [],
    });
  }
  const questions: Question[] = [];
  for (const q of query.questions ?? [])
    questions.push({ name: q.name, type: q.type, class: q.class ?? 'IN' });
  return {
    type: 'response',
    id: query.id ?? 0,
    flags,
    questions,
    answers: shape.answers ?? [],
    authorities: shape.authorities ?? [],
    additionals,
  };
}

function hasOpt(query: Packet): boolean {
  for (const a of query.additionals ?? []) if (a.type === 'OPT') return true;
  return false;
}

/** CoreDNS's negative-answer SOA (plugin/pkg backend_lookup.go `SOA`): TTL min(ttl, 300), MINIMUM ttl. */
export function soaRecord(zone: string, clusterDomain: string, serial: number, ttl: number): SoaAnswer {
  return {
    type: 'SOA',
    name: zone,
    ttl: Math.min(ttl, 300),
    class: 'IN',
    data: {
      mname: `ns.dns.${clusterDomain}`,
      rname: `hostmaster.${clusterDomain}`,
      serial: serial >>> 0,
      refresh: 7200,
      retry: 1800,
      expire: 86400,
      minimum: ttl,
    },
  };
}

/** A minimal error reply built from the raw header alone, for packets whose body does not parse. */
export function headerOnlyReply(raw: Buffer, rcode: number): Buffer | undefined {
  if (raw.length < 12) return undefined;
  const id = raw.readUInt16BE(0);
  const flags = raw.readUInt16BE(2);
  if (flags & QR_FLAG) return undefined; // a response: answering it could start a loop between two servers
  const out = Buffer.alloc(12);
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE(QR_FLAG | (flags & (0xf << 11)) | (flags & RECURSION_DESIRED) | (rcode & 0xf), 2);
  return out;
}
