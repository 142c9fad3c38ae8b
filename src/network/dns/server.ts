// The cluster DNS server: UDP and TCP on one address and port, answering from a ClusterDnsView and forwarding
// the rest. Whatever a client sends, a handler never throws: a packet whose header parses gets FORMERR (or
// SERVFAIL if answering it failed), anything shorter is dropped.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import { type DecodedPacket, decode } from 'dns-packet';
import { answerQuery, type DnsAnswerConfig, type PodRecordMode } from './answer.js';
import { AnswerCache } from './cache.js';
import { Forwarder, type UpstreamOptions } from './forward.js';
import { reverseZone } from './names.js';
import { headerOnlyReply, RCODE, responseTo, udpLimit } from './records.js';
import type { ClusterDnsView } from './view.js';
import { encodeResponse, MAX_TCP_MESSAGE } from './wire.js';

export interface ClusterDnsOptions {
  /** Where to listen, e.g. the bridge address `10.244.0.1` (not 0.0.0.0: a host resolver may hold :53). */
  address: string;
  /** 53 in production; 0 picks a free port, the same for UDP and TCP. */
  port: number;
  view: ClusterDnsView;
  /** Default `cluster.local`. */
  clusterDomain?: string;
  /** TTL of answers, MINIMUM of the SOA; default 5 s (CoreDNS). */
  ttl?: number;
  /** CoreDNS `pods` mode for `a-b-c-d.<ns>.pod.<zone>`; default `insecure` (kubeadm's and k3s's Corefile). */
  podRecords?: PodRecordMode;
  /** Reverse zones answered here and never forwarded; defaults 10.96.0.0/12 and 10.244.0.0/16. */
  serviceCidr?: string;
  podCidr?: string;
  /** Forwarding of names outside the cluster; `false`: NXDOMAIN at once. Default: the host's resolv.conf. */
  upstream?: UpstreamOptions | false;
  /** A TCP connection with no query for this long is closed; default 10 s. */
  tcpIdleTimeoutMs?: number;
  /** Told about unexpected failures (the client got SERVFAIL); default: ignored. */
  onError?: (err: unknown) => void;
}

export interface ClusterDnsServer {
  address: string;
  port: number;
  close(): Promise<void>;
}

const BIND_ATTEMPTS = 20;

export function dnsAnswerConfig(options: ClusterDnsOptions): DnsAnswerConfig {
  const clusterDomain = (options.clusterDomain ?? 'cluster.local').replace(/\.$/, '').toLowerCase();
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(clusterDomain)) {
    throw new Error(`clusterDomain: "${options.clusterDomain}" is not a DNS name; e.g. cluster.local`);
  }
  return {
    clusterDomain,
    ttl: options.ttl ?? 5,
    podRecords: options.podRecords ?? 'insecure',
    reverseZones: [
      reverseZone(options.serviceCidr ?? '10.96.0.0/12', 'serviceCidr'),
      reverseZone(options.podCidr ?? '10.244.0.0/16', 'podCidr'),
    ],
    forwarding: options.upstream !== false,
  };
}

export type DnsHandler = (raw: Buffer, overTcp: boolean) => Buffer | undefined | Promise<Buffer | undefined>;

/**
 * Answers one raw query; `undefined` means send nothing. Never throws. Answers podrun decides come back at once
 * (no promise: most queries are answered in the same tick they arrive); forwarded ones as a promise.
 */
export function makeHandler(
  view: ClusterDnsView,
  config: DnsAnswerConfig,
  forwarder: Forwarder | undefined,
  onError: (err: unknown) => void,
): DnsHandler {
  const cache = new AnswerCache();
  return (raw, overTcp) => {
    try {
      if (raw.length < 12) return undefined;
      const serial = view.serial();
      const key = AnswerCache.key(raw, overTcp);
      const hit = cache.get(key, serial, raw.readUInt16BE(0));
      if (hit) return hit;
      let query: DecodedPacket;
      try {
        query = decode(raw);
      } catch {
        return headerOnlyReply(raw, RCODE.FORMERR);
      }
      if (query.flag_qr) return undefined; // a response sent to us: answering could loop
      const limit = overTcp ? MAX_TCP_MESSAGE : udpLimit(query);
      const result = answerQuery(query, view, config);
      if (result.kind === 'answer') {
        const wire = encodeResponse(result.response, limit);
        cache.set(key, serial, wire);
        return wire;
      }
      return forwardOrFail(raw, overTcp, query, limit, forwarder, onError);
    } catch (err) {
      onError(err);
      return headerOnlyReply(raw, RCODE.SERVFAIL);
    }
  };
}

async function forwardOrFail(
  raw: Buffer,
  overTcp: boolean,
  query: DecodedPacket,
  limit: number,
  forwarder: Forwarder | undefined,
  onError: (err: unknown) => void,
): Promise<Buffer | undefined> {
  try {
    const upstream = forwarder ? await forwarder.forward(raw, overTcp) : undefined;
    if (upstream) return upstream;
    const servfail = responseTo(query, {
      rcode: RCODE.SERVFAIL,
      authoritative: false,
      recursionAvailable: true,
    });
    return encodeResponse(servfail, limit);
  } catch (err) {
    onError(err);
    return headerOnlyReply(raw, RCODE.SERVFAIL);
  }
}

/** Runs `handle` and passes its reply (if any) to `send`, at once when it is not a promise. */
function reply(handle: DnsHandler, raw: Buffer, overTcp: boolean, send: (reply: Buffer) => void): void {
  const r = handle(raw, overTcp);
  if (r === undefined) return;
  if (r instanceof Promise) void r.then((b) => b && send(b));
  else send(r);
}

function bindUdp(address: string, port: number): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4' });
    socket.once('error', reject);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

function listenTcp(server: Server, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function serveTcp(conn: Socket, handle: DnsHandler, idleMs: number) {
  let pending: Buffer = Buffer.alloc(0);
  conn.setTimeout(idleMs, () => conn.destroy());
  conn.on('error', () => conn.destroy());
  conn.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    // Several length-prefixed queries may share a connection and a segment (RFC 7766 §6.2.1).
    while (pending.length >= 2) {
      const len = pending.readUInt16BE(0);
      if (pending.length < 2 + len) break;
      const msg = Buffer.from(pending.subarray(2, 2 + len));
      pending = pending.subarray(2 + len);
      reply(handle, msg, true, (answer) => {
        if (conn.destroyed) return;
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(answer.length);
        conn.write(Buffer.concat([prefix, answer]));
      });
    }
  });
}

/**
 * Starts cluster DNS on `address:port` over UDP and TCP (the same port number; with port 0 the UDP port is
 * picked first and TCP takes the same one, retrying if it is taken).
 */
export async function startClusterDns(options: ClusterDnsOptions): Promise<ClusterDnsServer> {
  const config = dnsAnswerConfig(options);
  const onError = options.onError ?? (() => {});
  const idleMs = options.tcpIdleTimeoutMs ?? 10_000;
  let udp: UdpSocket | undefined;
  let tcp: Server | undefined;
  const conns = new Set<Socket>();
  let handle: DnsHandler | undefined;
  for (let attempt = 0; attempt < BIND_ATTEMPTS && !tcp; attempt++) {
    try {
      udp = await bindUdp(options.address, options.port);
    } catch (err) {
      throw new Error(
        `cluster DNS: cannot listen on ${options.address}:${options.port}/udp: ${(err as Error).message}`,
      );
    }
    const port = udp.address().port;
    const server = createServer((conn) => {
      conns.add(conn);
      conn.on('close', () => conns.delete(conn));
      if (handle) serveTcp(conn, handle, idleMs);
      else conn.destroy();
    });
    try {
      await listenTcp(server, options.address, port);
      tcp = server;
    } catch (err) {
      udp.close();
      udp = undefined;
      const taken = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (!(taken && options.port === 0)) {
        throw new Error(
          `cluster DNS: cannot listen on ${options.address}:${port}/tcp: ${(err as Error).message}`,
        );
      }
    }
  }
  if (!udp || !tcp) {
    throw new Error(
      `cluster DNS: no port on ${options.address} was free for both UDP and TCP after ${BIND_ATTEMPTS} tries`,
    );
  }
  const port = udp.address().port;
  const forwarder =
    options.upstream === false
      ? undefined
      : new Forwarder(options.upstream ?? {}, { address: options.address, port });
  handle = makeHandler(options.view, config, forwarder, onError);
  const udpSocket = udp;
  const h = handle;
  udpSocket.on('error', onError);

  udpSocket.on('message', (msg, rinfo) => {
    // No send callback: a failed send is reported through 'error', and a callback per datagram costs.
    reply(h, msg, false, (answer) => udpSocket.send(answer, rinfo.port, rinfo.address));
  });
  const tcpServer = tcp;
  tcpServer.on('error', onError);
  return {
    address: options.address,
    port,
    close: async () => {
      forwarder?.close();
      for (const c of conns) c.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udpSocket.close(() => resolve())),
        new Promise<void>((resolve) => tcpServer.close(() => resolve())),
      ]);
    },
  };
}
