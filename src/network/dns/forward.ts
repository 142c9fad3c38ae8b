// Names outside the cluster go to the host's resolvers, as CoreDNS `forward . /etc/resolv.conf` does: 2 s per
// try, SERVFAIL when nothing answered within 5 s. After repeated queries that no upstream answered, queries
// get SERVFAIL at once for a while instead of costing every client 5 s each (docs/networking.md).
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect, isIP } from 'node:net';

export interface UpstreamServer {
  address: string;
  port: number;
}

export interface UpstreamOptions {
  /** The resolvers, `ip`, `ip:port`, `[ipv6]:port` or objects; default: the nameservers of `resolvConf`. */
  servers?: Array<string | UpstreamServer>;
  /** Default `/etc/resolv.conf`. podrun's DNS runs in the host netns, so `127.0.0.53` there works. */
  resolvConf?: string;
  /** One try (one UDP exchange) waits this long; default 2000 ms (CoreDNS forward's read timeout). */
  tryTimeoutMs?: number;
  /** The query gets SERVFAIL after this long; default 5000 ms (CoreDNS forward). */
  overallTimeoutMs?: number;
  /** Consecutive unanswered queries that start a hold-down; default 3. */
  failureThreshold?: number;
  /** How long queries then get SERVFAIL at once; default 10000 ms. */
  holdDownMs?: number;
}

export const DEFAULT_RESOLV_CONF = '/etc/resolv.conf';

/** The `nameserver` lines of a resolv.conf (glibc takes the first 3; none means 127.0.0.1, as glibc does). */
export function parseResolvConf(text: string): UpstreamServer[] {
  const servers: UpstreamServer[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m) continue;
    const address = m[1]!.split('%')[0]!; // an IPv6 zone (`fe80::1%eth0`) cannot be used by dgram send
    if (isIP(address) && servers.length < 3) servers.push({ address, port: 53 });
  }
  return servers.length > 0 ? servers : [{ address: '127.0.0.1', port: 53 }];
}

export function parseUpstream(spec: string | UpstreamServer, option: string): UpstreamServer {
  if (typeof spec !== 'string') return spec;
  if (isIP(spec)) return { address: spec, port: 53 };
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(spec) ?? /^([^:]+):(\d+)$/.exec(spec);
  if (m && isIP(m[1]!) && Number(m[2]) > 0 && Number(m[2]) < 65536)
    return { address: m[1]!, port: Number(m[2]) };
  throw new Error(`${option}: "${spec}" is not a resolver address; write ip, ip:port or [ipv6]:port`);
}

function sameQuestion(query: Buffer, response: Buffer, questionEnd: number): boolean {
  if (response.length < questionEnd) return false;
  for (let i = 12; i < questionEnd; i++) {
    const a = query[i]!;
    const b = response[i]!;
    if (a !== b && (a | 0x20) !== (b | 0x20)) return false;
  }
  return true;
}

/** The end of the (single) question section, or undefined when the query is not one plain question. */
function questionEnd(query: Buffer): number | undefined {
  if (query.length < 12 || query.readUInt16BE(4) !== 1) return undefined;
  let i = 12;
  while (i < query.length) {
    const len = query[i]!;
    if (len === 0) return i + 5 <= query.length ? i + 5 : undefined;
    if (len & 0xc0) return undefined; // queries carry no compression pointers
    i += len + 1;
  }
  return undefined;
}

export class Forwarder {
  readonly servers: UpstreamServer[];
  private readonly tryTimeoutMs: number;
  private readonly overallTimeoutMs: number;
  private readonly failureThreshold: number;
  private readonly holdDownMs: number;
  private consecutiveFailures = 0;
  private holdDownUntil = 0;
  private next = 0;
  /** Ends the tries in flight (each then resolves undefined). */
  private readonly inFlight = new Set<() => void>();
  private closed = false;

  constructor(options: UpstreamOptions, self?: UpstreamServer) {
    const listed =
      options.servers !== undefined
        ? options.servers.map((s, i) => parseUpstream(s, `upstream.servers[${i}]`))
        : parseResolvConf(readResolvConf(options.resolvConf ?? DEFAULT_RESOLV_CONF));
    // Forwarding to ourselves would loop until the timeout.
    this.servers = listed.filter((s) => !(self && s.address === self.address && s.port === self.port));
    this.tryTimeoutMs = options.tryTimeoutMs ?? 2000;
    this.overallTimeoutMs = options.overallTimeoutMs ?? 5000;
    this.failureThreshold = options.failureThreshold ?? 3;
    this.holdDownMs = options.holdDownMs ?? 10_000;
  }

  /** Whether queries now get SERVFAIL without trying (upstreams recently unreachable). */
  holdingDown(now = Date.now()): boolean {
    return now < this.holdDownUntil;
  }

  /**
   * The upstream's response to `raw` with the client's id, or undefined when no upstream answered in time
   * (the caller answers SERVFAIL). `overTcp`: the client came over TCP, so a truncated UDP answer is retried
   * over TCP rather than passed on.
   */
  async forward(raw: Buffer, overTcp: boolean): Promise<Buffer | undefined> {
    const end = questionEnd(raw);
    if (end === undefined || this.servers.length === 0 || this.holdingDown() || this.closed) return undefined;
    const deadline = Date.now() + this.overallTimeoutMs;
    const clientId = raw.readUInt16BE(0);
    const start = this.next++ % this.servers.length;
    for (let attempt = 0; Date.now() < deadline && !this.closed; attempt++) {
      const server = this.servers[(start + attempt) % this.servers.length]!;
      const wait = Math.min(this.tryTimeoutMs, deadline - Date.now());
      if (wait <= 0) break;
      const id = (Math.random() * 0x10000) | 0;
      const out = Buffer.from(raw);
      out.writeUInt16BE(id, 0);
      let response = await this.udpTry(server, out, id, end, wait);
      if (response && overTcp && response.length >= 4 && response[2]! & 0x02) {
        response = await this.tcpTry(server, out, id, end, Math.max(1, deadline - Date.now()));
      }
      if (response) {
        this.consecutiveFailures = 0;
        response.writeUInt16BE(clientId, 0);
        return response;
      }
    }
    if (++this.consecutiveFailures >= this.failureThreshold) {
      this.holdDownUntil = Date.now() + this.holdDownMs;
      // On probation afterwards: one more unanswered query holds down again, an answer clears it.
      this.consecutiveFailures = this.failureThreshold - 1;
    }
    return undefined;
  }

  /**
   * One try at an upstream: `start` sends the query and calls `done` with the answer; the try ends with
   * undefined at `waitMs`, on close(), or on any error. `release` frees the socket once.
   */
  private attempt(
    waitMs: number,
    start: (done: (result: Buffer | undefined) => void) => { release(): void },
  ): Promise<Buffer | undefined> {
    return new Promise<Buffer | undefined>((resolve) => {
      let settled = false;
      let handle: { release(): void } | undefined;
      const done = (result: Buffer | undefined) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.inFlight.delete(abort);
        handle?.release();
        resolve(result);
      };
      const abort = () => done(undefined);
      this.inFlight.add(abort);
      const timer = setTimeout(abort, waitMs);
      handle = start(done);
      if (settled) handle.release();
    });
  }

  private udpTry(server: UpstreamServer, query: Buffer, id: number, end: number, waitMs: number) {
    return this.attempt(waitMs, (done) => {
      const socket = createSocket(isIP(server.address) === 6 ? 'udp6' : 'udp4');
      socket.on('error', () => done(undefined));
      socket.on('message', (msg, rinfo) => {
        // Only the upstream asked, with our id and question, may answer (no spoofed replies).
        if (rinfo.address !== server.address || rinfo.port !== server.port) return;
        if (msg.length < 12 || msg.readUInt16BE(0) !== id || !(msg[2]! & 0x80)) return;
        if (!sameQuestion(query, msg, end)) return;
        done(msg);
      });
      socket.send(query, server.port, server.address, (err) => {
        if (err) done(undefined);
      });
      return { release: () => socket.close() };
    });
  }

  private tcpTry(server: UpstreamServer, query: Buffer, id: number, end: number, waitMs: number) {
    return this.attempt(waitMs, (done) => {
      const conn = connect({ host: server.address, port: server.port });
      let buf = Buffer.alloc(0);
      conn.on('error', () => done(undefined));
      conn.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(query.length);
        conn.write(Buffer.concat([len, query]));
      });
      conn.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        done(
          msg.length >= 12 && msg.readUInt16BE(0) === id && sameQuestion(query, msg, end)
            ? Buffer.from(msg)
            : undefined,
        );
      });
      conn.on('end', () => done(undefined));
      return { release: () => conn.destroy() };
    });
  }

  close(): void {
    this.closed = true;
    for (const abort of [...this.inFlight]) abort();
  }
}

function readResolvConf(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // no resolv.conf: glibc then asks 127.0.0.1
  }
}
